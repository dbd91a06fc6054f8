/* test_transporte.c - the transport's pure parts: record marking and origen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "origen.h"
#include "recmark.h"

/* Appends one fragment header to buf at *n. */
static void
hdr(char *buf, size_t *n, uint32_t len, int last)
{
    uint32_t h = (last ? 0x80000000u : 0) | len;

    buf[(*n)++] = (char)(h >> 24);
    buf[(*n)++] = (char)(h >> 16);
    buf[(*n)++] = (char)(h >> 8);
    buf[(*n)++] = (char)h;
}

static void
test_fragments_any_split(void **state)
{
    char wire[256];
    size_t n = 0;

    (void)state;
    hdr(wire, &n, 3, 0);
    memcpy(wire + n, "abc", 3), n += 3;
    hdr(wire, &n, 0, 0);                    /* an empty fragment */
    hdr(wire, &n, 2, 1);
    memcpy(wire + n, "de", 2), n += 2;
    hdr(wire, &n, 1, 1);                    /* the next record starts */
    wire[n++] = 'z';
    /* Every chunk size, 1 byte to all at once. */
    for (size_t chunk = 1; chunk <= n; chunk++) {
        struct recmark r;
        size_t pos = 0, used;
        int records = 0;

        recmark_init(&r, 100);
        while (pos < n) {
            size_t len = n - pos < chunk ? n - pos : chunk;
            enum recmark_rc rc = recmark_feed(&r, wire + pos, len, &used);

            assert_int_not_equal(rc, RECMARK_ERROR);
            pos += used;
            if (rc == RECMARK_RECORD) {
                char *buf;
                size_t blen;

                recmark_take(&r, &buf, &blen);
                if (records == 0) {
                    assert_int_equal(blen, 5);
                    assert_memory_equal(buf, "abcde", 5);
                } else {
                    assert_int_equal(blen, 1);
                    assert_memory_equal(buf, "z", 1);
                }
                free(buf);
                records++;
            } else {
                assert_int_equal(used, len);
            }
        }
        assert_int_equal(records, 2);
        assert_false(recmark_partial(&r));
        recmark_free(&r);
    }
}

static void
test_cap_and_endless_fragments(void **state)
{
    char wire[8];
    size_t n = 0, used;
    struct recmark r;

    (void)state;
    recmark_init(&r, 10);
    hdr(wire, &n, 6, 0);                    /* 6 + 6 > 10, in two fragments */
    assert_int_equal(recmark_feed(&r, wire, n, &used), RECMARK_MORE);
    assert_int_equal(recmark_feed(&r, "123456", 6, &used), RECMARK_MORE);
    n = 0;
    hdr(wire, &n, 6, 1);
    assert_int_equal(recmark_feed(&r, wire, n, &used), RECMARK_ERROR);
    recmark_free(&r);

    recmark_init(&r, 10);
    n = 0;
    hdr(wire, &n, 0, 0);
    for (int i = 0; i < RECMARK_MAX_FRAGS; i++)
        assert_int_equal(recmark_feed(&r, wire, n, &used), RECMARK_MORE);
    assert_int_equal(recmark_feed(&r, wire, n, &used), RECMARK_ERROR);
    recmark_free(&r);

    recmark_init(&r, 10);                   /* 2 GiB announced */
    assert_int_equal(recmark_feed(&r, "\x7f\xff\xff\xff", 4, &used), RECMARK_ERROR);
    recmark_free(&r);
}

static void
test_origen_format_and_escapes(void **state)
{
    char o[129];

    (void)state;
    origen_formatear(o, sizeof o, "127.0.0.1", false, 0, "");
    assert_string_equal(o, "127.0.0.1");
    origen_formatear(o, sizeof o, "10.1.2.3", true, 1000, "caja-3");
    assert_string_equal(o, "10.1.2.3 uid=1000 maquina=\"caja-3\"");
    /* A name that tries to look like another field stays inside quotes. */
    origen_formatear(o, sizeof o, "10.1.2.3", true, 1000, "x\" uid=0 \\");
    assert_string_equal(o, "10.1.2.3 uid=1000 maquina=\"x\\\" uid=0 \\\\\"");
    origen_formatear(o, sizeof o, "::1", true, 7, "a\nb\x7f\xc2\x85\xff ñ");
    assert_string_equal(o, "::1 uid=7 maquina=\"a\\x0Ab\\x7F\\u0085\\xFF ñ\"");
}

static void
test_origen_cut(void **state)
{
    char o[129], name[300];
    const char *addr = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff";

    (void)state;
    /* 300 bytes of 'é' (2 bytes each): cut on a character boundary, with
     * the quote closed, the address and uid whole. */
    for (int i = 0; i < 149; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[298] = '\0';
    origen_formatear(o, sizeof o, addr, true, 4294967295u, name);
    assert_true(strlen(o) <= 128);
    assert_int_equal(strncmp(o, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff uid=4294967295 "
                             "maquina=\"", 63), 0);
    assert_int_equal(o[strlen(o) - 1], '"');
    assert_int_equal((strlen(o) - 63 - 1) % 2, 0);   /* whole characters */
    /* An escape is never cut in half. */
    memset(name, '\n', 100);
    name[100] = '\0';
    origen_formatear(o, sizeof o, addr, true, 1, name);
    assert_true(strlen(o) <= 128);
    assert_int_equal((strlen(o) - strlen("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff uid=1 "
                                         "maquina=\"") - 1) % 4, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fragments_any_split),
        cmocka_unit_test(test_cap_and_endless_fragments),
        cmocka_unit_test(test_origen_format_and_escapes),
        cmocka_unit_test(test_origen_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
