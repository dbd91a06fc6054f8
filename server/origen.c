/* origen.c - the movement's 'origen' text; see origen.h. */
#include "origen.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 if it is not one (overlong, surrogate, past U+10FFFF, cut). */
static size_t
utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t v, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, v = s[0] & 0x1F, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, v = s[0] & 0x0F, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, v = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* The text for the character (or bad byte) at s into tok; its input length. */
static size_t
token(const unsigned char *s, size_t n, char *tok, size_t *toklen)
{
    uint32_t cp;
    size_t len = utf8_char(s, n, &cp);

    if (len == 0) {
        *toklen = (size_t)snprintf(tok, 8, "\\x%02X", s[0]);
        return 1;
    }
    if (cp == '"' || cp == '\\') {
        tok[0] = '\\';
        tok[1] = (char)cp;
        *toklen = 2;
    } else if (cp < 0x20 || cp == 0x7F) {
        *toklen = (size_t)snprintf(tok, 8, "\\x%02X", (unsigned)cp);
    } else if (cp >= 0x80 && cp <= 0x9F) {
        *toklen = (size_t)snprintf(tok, 8, "\\u%04X", (unsigned)cp);
    } else {
        memcpy(tok, s, len);
        *toklen = len;
    }
    return len;
}

size_t
origen_formatear(char *out, size_t cap, const char *addr, bool have_sys,
                 uint32_t uid, const char *maquina)
{
    int r;
    size_t n;

    if (!have_sys) {
        r = snprintf(out, cap, "%s", addr);
        return r < 0 ? 0 : (size_t)r < cap ? (size_t)r : cap - 1;
    }
    /* The address is at most 45 bytes and the uid 10 digits: they fit. */
    r = snprintf(out, cap, "%s uid=%u maquina=\"", addr, (unsigned)uid);
    if (r < 0 || (size_t)r + 2 > cap) {
        r = snprintf(out, cap, "%s uid=%u", addr, (unsigned)uid);
        return r < 0 ? 0 : (size_t)r < cap ? (size_t)r : cap - 1;
    }
    n = (size_t)r;
    {
        const unsigned char *s = (const unsigned char *)maquina;
        size_t left = strlen(maquina);

        while (left > 0) {
            char tok[8];
            size_t tl, used = token(s, left, tok, &tl);

            if (n + tl + 2 > cap)       /* room for the quote and the NUL */
                break;
            memcpy(out + n, tok, tl);
            n += tl;
            s += used;
            left -= used;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    return n;
}
