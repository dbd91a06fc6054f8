/* validar.c - the contract's input rules; see validar.h. */
#include "validar.h"

#include <unictype.h>

static const char *const mensajes[] = {
#define VALIDAR_MSG(name, msg) msg,
    VALIDAR_MAP(VALIDAR_MSG)
#undef VALIDAR_MSG
};

const char *
validar_mensaje(enum validar_error e)
{
    if ((size_t)e >= sizeof mensajes / sizeof mensajes[0])
        return "no es válido";
    return mensajes[e];
}

/* Length of the UTF-8 sequence that starts at s[i], or 0 if it is malformed
 * (a stray continuation byte, an overlong form, a surrogate, a code point
 * past U+10FFFF, or a sequence cut short).  *cp receives the code point. */
static size_t
utf8_seq(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned char c = s[i];
    size_t n;
    uint32_t v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2; v = c & 0x1Fu; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3; v = c & 0x0Fu; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4; v = c & 0x07u; min = 0x10000;
    } else {
        return 0;       /* continuation byte, C0/C1 lead (overlong), F5+ */
    }
    if (len - i < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i + k] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

static bool
es_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Tells a malformed sequence from a control character, for the message. */
static enum validar_error
texto(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_seq(u, len, i, &cp);

        if (n == 0)
            return V_UTF8;
        if (es_control(cp))
            return V_CONTROL;
        i += n;
    }
    return VALIDO;
}

bool
validar_utf8_sin_control(const char *s, size_t len)
{
    return texto(s, len) == VALIDO;
}

/*
 * An id or a name must not look like another one on screen while differing
 * in bytes: no Unicode format character (category Cf: bidi overrides,
 * zero-width characters, the BOM, soft hyphens) anywhere, and no space
 * (category Zs, the ASCII one included) at either end.  libunistring's
 * tables follow the Unicode release it was built with, so a character
 * Unicode adds to Cf later is refused once the library knows it.
 */
static enum validar_error
visible(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp = 0, first = 0;
    size_t i = 0;

    while (i < len) {
        size_t n = utf8_seq(u, len, i, &cp);

        if (i == 0)
            first = cp;
        if (uc_is_general_category(cp, UC_CATEGORY_Cf))
            return V_INVISIBLE;
        i += n;
    }
    if (uc_is_general_category(first, UC_CATEGORY_Zs) ||
        uc_is_general_category(cp, UC_CATEGORY_Zs))
        return V_ESPACIOS;
    return VALIDO;
}

static enum validar_error
nombre_o_id(const char *s, size_t len, size_t max)
{
    enum validar_error e;

    if (s == NULL || len == 0)
        return V_VACIO;
    if (len > max)
        return V_LARGO;
    /* Well-formed first, so that visible() walks valid sequences only. */
    if ((e = texto(s, len)) != VALIDO)
        return e;
    return visible(s, len);
}

enum validar_error
validar_id(const char *s, size_t len)
{
    return nombre_o_id(s, len, VALIDAR_ID_MAX);
}

enum validar_error
validar_nombre(const char *s, size_t len)
{
    return nombre_o_id(s, len, VALIDAR_NOMBRE_MAX);
}

enum validar_error
validar_texto(const char *s, size_t len)
{
    if (s == NULL)
        return len == 0 ? VALIDO : V_UTF8;
    if (len > VALIDAR_TEXTO_MAX)
        return V_LARGO;
    return texto(s, len);
}

enum validar_error
validar_id_opcional(const char *s, size_t len)
{
    if (len == 0)
        return VALIDO;
    return validar_id(s, len);
}

enum validar_error
validar_stock(int64_t v)
{
    return (v >= 0 && v <= INT32_MAX) ? VALIDO : V_RANGO;
}

size_t
validar_corte_utf8(const char *s, size_t len, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;

    if (len <= max)
        return len;
    n = max;
    /* Step back over continuation bytes to the start of the cut sequence. */
    while (n > 0 && (u[n] & 0xC0u) == 0x80u)
        n--;
    return n;
}
