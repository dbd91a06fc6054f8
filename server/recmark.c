/* recmark.c - RFC 5531 record marking; see recmark.h. */
#include "recmark.h"

#include <stdlib.h>
#include <string.h>

void
recmark_init(struct recmark *r, uint32_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

bool
recmark_partial(const struct recmark *r)
{
    return r->hdr_got > 0 || r->frags > 0;
}

void
recmark_free(struct recmark *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

/* Room for 'more' bytes in the record buffer, grown geometrically but
 * never past the cap (checked by the caller). */
static bool
reserve(struct recmark *r, size_t more)
{
    size_t want = r->len + more, cap = r->cap ? r->cap : 512;
    char *nb;

    if (want <= r->cap)
        return true;
    while (cap < want)
        cap *= 2;
    if (cap > r->max)
        cap = r->max;
    if ((nb = realloc(r->buf, cap)) == NULL)
        return false;
    r->buf = nb;
    r->cap = cap;
    return true;
}

enum recmark_rc
recmark_feed(struct recmark *r, const char *data, size_t n, size_t *used)
{
    size_t i = 0;

    for (;;) {
        if (r->hdr_got < 4) {
            while (r->hdr_got < 4 && i < n)
                r->hdr[r->hdr_got++] = (uint8_t)data[i++];
            if (r->hdr_got < 4)
                break;
            uint32_t h = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 |
                         (uint32_t)r->hdr[2] << 8 | r->hdr[3];
            r->last = (h & 0x80000000u) != 0;
            r->frag_left = h & 0x7FFFFFFFu;
            if (++r->frags > RECMARK_MAX_FRAGS ||
                r->frag_left > r->max - r->len) {
                *used = i;
                return RECMARK_ERROR;
            }
        }
        size_t take = n - i < r->frag_left ? n - i : r->frag_left;

        if (take > 0) {
            /* Grown as bytes arrive, not as headers promise: a trickle
             * that announces 8 KiB and sends one byte holds little. */
            if (!reserve(r, take)) {
                *used = i;
                return RECMARK_ERROR;
            }
            memcpy(r->buf + r->len, data + i, take);
            r->len += take;
            r->frag_left -= (uint32_t)take;
            i += take;
        }
        if (r->frag_left > 0)
            break;                      /* the data ran out inside a body */
        if (r->last) {
            *used = i;
            return RECMARK_RECORD;
        }
        r->hdr_got = 0;                 /* next fragment */
    }
    *used = i;
    return RECMARK_MORE;
}

void
recmark_take(struct recmark *r, char **buf, size_t *len)
{
    uint32_t max = r->max;

    *buf = r->buf;
    *len = r->len;
    recmark_init(r, max);
}
