/* fuzz_recmark.c - fuzz target: the server's record reader (server/recmark.c).
 *
 * Input: one byte that picks the read sizes, one that picks the record cap,
 * then the bytes a client sends.  The bytes are fed to recmark_feed in
 * chunks of the sizes the first byte picks (as reads from a socket would
 * deliver them), and the records that come out are compared with an
 * independent reading of RFC 5531 section 11 over the whole input at once:
 * the same records with the same bytes, in order, and an error exactly
 * where the reference finds the cap or the fragment limit broken.  No
 * allocation above the cap plus a little may happen (fuzz_alloc.h), so a
 * header announcing 2 GiB costs nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"
#include "recmark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
die(const char *what)
{
    fprintf(stderr, "fuzz_recmark: %s\n", what);
    abort();
}

/* The reference: the next record of wire[*pos..n) into out (cap bytes).
 * Returns 1 with a record, 0 if the input ends inside one, -1 on an error. */
static int
reference(const uint8_t *w, size_t n, size_t *pos, uint32_t cap, uint8_t *out,
          size_t *outlen)
{
    size_t p = *pos, len = 0;
    unsigned frags = 0;

    for (;;) {
        uint32_t h, flen;

        if (n - p < 4)
            return 0;
        h = (uint32_t)w[p] << 24 | (uint32_t)w[p + 1] << 16 |
            (uint32_t)w[p + 2] << 8 | w[p + 3];
        p += 4;
        flen = h & 0x7FFFFFFFu;
        if (++frags > RECMARK_MAX_FRAGS || flen > cap - len)
            return -1;
        if (n - p < flen)
            return 0;
        memcpy(out + len, w + p, flen);
        len += flen;
        p += flen;
        if (h & 0x80000000u) {
            *pos = p;
            *outlen = len;
            return 1;
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t caps[] = { 0, 1, 16, 100, 8192 };
    struct recmark r;
    uint8_t *want;
    const uint8_t *w;
    uint32_t cap;
    size_t n, pos = 0, ref = 0, wlen = 0;
    unsigned seed;
    bool erred = false;
    int rr;

    if (size < 2)
        return 0;
    seed = data[0];
    cap = caps[data[1] % (sizeof caps / sizeof caps[0])];
    w = data + 2;
    n = size - 2;
    if ((want = malloc(cap + 1)) == NULL)
        die("out of memory");
    recmark_init(&r, cap);
    fuzz_alloc_begin("reading records", (size_t)cap * 2 + 1024);
    rr = reference(w, n, &ref, cap, want, &wlen);
    while (pos < n) {
        size_t chunk = 1 + (seed * 31u + pos * 7u) % 37u, used;
        enum recmark_rc rc;

        if (seed & 0x80)
            chunk = n - pos;                /* all at once */
        if (chunk > n - pos)
            chunk = n - pos;
        rc = recmark_feed(&r, (const char *)w + pos, chunk, &used);
        if (used > chunk)
            die("took more bytes than it was given");
        pos += used;
        if (rc == RECMARK_ERROR) {
            if (rr != -1)
                die("an error where the reference finds none");
            erred = true;
            break;
        }
        if (rc == RECMARK_RECORD) {
            char *buf;
            size_t blen;

            if (rr != 1 || pos != ref)
                die("a record where the reference has none, or ends elsewhere");
            recmark_take(&r, &buf, &blen);
            if (blen != wlen || (blen > 0 && memcmp(buf, want, blen) != 0))
                die("a record whose bytes differ from the reference's");
            free(buf);
            rr = reference(w, n, &ref, cap, want, &wlen);
        } else if (used != chunk) {
            die("RECMARK_MORE without taking every byte");
        }
    }
    /* Every byte taken with no error: nothing whole or broken may be left. */
    if (!erred && rr != 0)
        die(rr == 1 ? "the reference has a record the reader did not give"
                    : "the reference has an error the reader did not see");
    (void)fuzz_alloc_end();
    recmark_free(&r);
    free(want);
    return 0;
}
