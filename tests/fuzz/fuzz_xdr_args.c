/* fuzz_xdr_args.c - fuzz target: decode every argument type of the contract.
 *
 * Input: one selector byte (which type, modulo the number of types), then
 * the XDR bytes of that argument as a client would send them.  Each input
 * is decoded with the generated routine through an xdrmem stream, exactly
 * as svc_getargs would decode it (inv_xdr_string included), and then:
 *
 *   - no single allocation during the decode may exceed FUZZ_ALLOC_MAX
 *     (fuzz_alloc.h): every string of an argument has a bound;
 *   - every decoded string is within its bound, and re-encoding the value
 *     takes exactly the bytes the decode consumed: an embedded NUL may not
 *     shorten a string (xdr_cadena.h), and decoding the re-encoded bytes
 *     gives the same value;
 *   - validar.h's verdict on each field matches an independent reading of
 *     docs/protocolo.md's rules (below, table-driven UTF-8, written apart from
 *     validar.c on purpose);
 *   - xdr_free releases everything, after a failed decode too (LeakSanitizer
 *     checks that in sanitizer builds).
 *
 * Any broken rule aborts, which libFuzzer reports as a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpc/rpc.h>

#include "fuzz_alloc.h"
#include "inventario.h"
#include "uniones.h"
#include "validar.h"
#include "xdrproc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *type, const char *why, const char *field)
{
    fprintf(stderr, "fuzz_xdr_args: %s: %s (%s)\n", type, why, field);
    abort();
}

/* -- an independent reading of the contract's text rules --------------- */

/* Well-formed UTF-8 per Unicode's table 3-7, without C0, DEL or C1. */
static bool
ref_texto_ok(const unsigned char *s, size_t n)
{
    static const struct { unsigned char lead_lo, lead_hi, lo2, hi2; size_t len; } t[] = {
        { 0xC2, 0xDF, 0x80, 0xBF, 2 },
        { 0xE0, 0xE0, 0xA0, 0xBF, 3 },
        { 0xE1, 0xEC, 0x80, 0xBF, 3 },
        { 0xED, 0xED, 0x80, 0x9F, 3 },
        { 0xEE, 0xEF, 0x80, 0xBF, 3 },
        { 0xF0, 0xF0, 0x90, 0xBF, 4 },
        { 0xF1, 0xF3, 0x80, 0xBF, 4 },
        { 0xF4, 0xF4, 0x80, 0x8F, 4 },
    };
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k, len = 0;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return false;
            i++;
            continue;
        }
        for (k = 0; k < sizeof t / sizeof t[0]; k++)
            if (c >= t[k].lead_lo && c <= t[k].lead_hi)
                break;
        if (k == sizeof t / sizeof t[0])
            return false;
        len = t[k].len;
        if (n - i < len || s[i + 1] < t[k].lo2 || s[i + 1] > t[k].hi2)
            return false;
        for (size_t j = 2; j < len; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return false;
        if (c == 0xC2 && s[i + 1] <= 0x9F)      /* U+0080..U+009F: C1 */
            return false;
        i += len;
    }
    return true;
}

/* Unicode's general category Cf (format characters) as of Unicode 14.0,
 * from DerivedGeneralCategory.txt: the release Debian's libunistring 1.0
 * follows.  Characters made Cf by a later release are listed apart
 * (ref_cf_later): the contract refuses them once the library knows them, so
 * either verdict is right for them here. */
struct ref_range { uint32_t lo, hi; };

static const struct ref_range ref_cf[] = {
    { 0x00AD, 0x00AD }, { 0x0600, 0x0605 }, { 0x061C, 0x061C },
    { 0x06DD, 0x06DD }, { 0x070F, 0x070F }, { 0x0890, 0x0891 },
    { 0x08E2, 0x08E2 }, { 0x180E, 0x180E }, { 0x200B, 0x200F },
    { 0x202A, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x206F },
    { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD },
    { 0x110CD, 0x110CD }, { 0x13430, 0x13438 }, { 0x1BCA0, 0x1BCA3 },
    { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 }, { 0xE0020, 0xE007F },
};
static const struct ref_range ref_cf_later[] = {
    { 0x13439, 0x1343F },                       /* Unicode 15.0 */
};
/* Category Zs (space separators), unchanged since Unicode 4.0.1. */
static const struct ref_range ref_zs[] = {
    { 0x0020, 0x0020 }, { 0x00A0, 0x00A0 }, { 0x1680, 0x1680 },
    { 0x2000, 0x200A }, { 0x202F, 0x202F }, { 0x205F, 0x205F },
    { 0x3000, 0x3000 },
};

#define REF_IN(table, cp) ref_in((table), sizeof (table) / sizeof (table)[0], (cp))

static bool
ref_in(const struct ref_range *t, size_t n, uint32_t cp)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= t[i].lo && cp <= t[i].hi)
            return true;
    return false;
}

/* Decodes the code point at s[*i] of a string ref_texto_ok accepted. */
static uint32_t
ref_next(const unsigned char *s, size_t *i)
{
    unsigned char c = s[*i];
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);

    for (size_t j = 1; j < len; j++)
        cp = (cp << 6) | (s[*i + j] & 0x3F);
    *i += len;
    return cp;
}

enum ref_verdict { REF_NO, REF_YES, REF_EITHER };

/* An id or a name: 1..max bytes of valid text, no Cf anywhere, no Zs at
 * either end. */
static enum ref_verdict
ref_id_ok(const char *s, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    uint32_t cp = 0, first = 0;
    bool later = false;

    if (n < 1 || n > max || !ref_texto_ok(u, n))
        return REF_NO;
    while (i < n) {
        bool at_start = i == 0;

        cp = ref_next(u, &i);
        if (at_start)
            first = cp;
        if (REF_IN(ref_cf, cp))
            return REF_NO;
        later = later || REF_IN(ref_cf_later, cp);
    }
    if (REF_IN(ref_zs, first) || REF_IN(ref_zs, cp))
        return REF_NO;
    return later ? REF_EITHER : REF_YES;
}

/* Checks one decoded string: within its wire bound, and validar.h agrees
 * with the reference.  'kind': 'i' id, 'n' nombre, 't' texto, 'o' optional id. */
static void
check_string(const char *type, const char *field, const char *s, size_t bound,
             char kind)
{
    size_t n;
    bool v;
    enum ref_verdict ref;

    if (s == NULL)
        fail(type, "a decoded string is NULL", field);
    n = strlen(s);
    if (n > bound)
        fail(type, "a decoded string is longer than its XDR bound", field);
    switch (kind) {
    case 'i':
        v = validar_id(s, n) == VALIDO;
        ref = ref_id_ok(s, VALIDAR_ID_MAX);
        break;
    case 'n':
        v = validar_nombre(s, n) == VALIDO;
        ref = ref_id_ok(s, VALIDAR_NOMBRE_MAX);
        break;
    case 'o':
        v = validar_id_opcional(s, n) == VALIDO;
        ref = n == 0 ? REF_YES : ref_id_ok(s, VALIDAR_ID_MAX);
        break;
    default:
        v = validar_texto(s, n) == VALIDO;
        ref = n <= VALIDAR_TEXTO_MAX && ref_texto_ok((const unsigned char *)s, n)
                  ? REF_YES : REF_NO;
        break;
    }
    if (ref != REF_EITHER && v != (ref == REF_YES))
        fail(type, v ? "validar accepts what the contract refuses"
                     : "validar refuses what the contract accepts", field);
}

static void
check_stock(const char *type, int v)
{
    if ((validar_stock(v) == VALIDO) != (v >= 0))
        fail(type, "validar_stock disagrees with 0..2147483647", "stock");
}

/* -- the argument types ------------------------------------------------ */

static void
check_producto(const union inventario_args *a)
{
    check_string("producto", "id", a->producto.id, INV_ID_MAX, 'i');
    check_string("producto", "nombre", a->producto.nombre, INV_NOMBRE_MAX, 'n');
    check_stock("producto", a->producto.stock);
}

static void
check_id(const union inventario_args *a)
{
    check_string("id_arg", "id", a->id, INV_ID_MAX, 'i');
}

static void
check_stock_args(const union inventario_args *a)
{
    check_string("stock_args", "id", a->stock.id, INV_ID_MAX, 'i');
    check_stock("stock_args", a->stock.valor);
}

static void
check_ajustar(const union inventario_args *a)
{
    check_string("ajustar_args", "id", a->ajustar.id, INV_ID_MAX, 'i');
    check_string("ajustar_args", "motivo", a->ajustar.motivo, INV_MOTIVO_MAX, 't');
    check_string("ajustar_args", "clave", a->ajustar.clave, INV_CLAVE_MAX, 't');
}

static void
check_movimientos(const union inventario_args *a)
{
    check_string("movimientos_args", "id", a->movimientos.id, INV_ID_MAX, 'o');
}

static void
check_pagina(const union inventario_args *a)
{
    check_string("pagina_args", "desde_id", a->pagina.desde_id, INV_ID_MAX, 'o');
}

static const struct tipo {
    const char *name;
    xdrproc_t   xdr;
    void      (*check)(const union inventario_args *);
} tipos[] = {
    { "producto",         XDRPROC(xdr_producto),         check_producto },
    { "id_arg",           XDRPROC(xdr_id_arg),           check_id },
    { "stock_args",       XDRPROC(xdr_stock_args),       check_stock_args },
    { "ajustar_args",     XDRPROC(xdr_ajustar_args),     check_ajustar },
    { "movimientos_args", XDRPROC(xdr_movimientos_args), check_movimientos },
    { "pagina_args",      XDRPROC(xdr_pagina_args),      check_pagina },
};
#define NTIPOS (sizeof tipos / sizeof tipos[0])

/* Whether two decoded values are the same (strings by content). */
static bool
same(int t, const union inventario_args *x, const union inventario_args *y)
{
    switch (t) {
    case 0:
        return strcmp(x->producto.id, y->producto.id) == 0 &&
               strcmp(x->producto.nombre, y->producto.nombre) == 0 &&
               x->producto.stock == y->producto.stock;
    case 1:
        return strcmp(x->id, y->id) == 0;
    case 2:
        return strcmp(x->stock.id, y->stock.id) == 0 &&
               x->stock.valor == y->stock.valor;
    case 3:
        return strcmp(x->ajustar.id, y->ajustar.id) == 0 &&
               x->ajustar.delta == y->ajustar.delta &&
               strcmp(x->ajustar.motivo, y->ajustar.motivo) == 0 &&
               strcmp(x->ajustar.clave, y->ajustar.clave) == 0;
    case 4:
        return x->movimientos.desde_seq == y->movimientos.desde_seq &&
               strcmp(x->movimientos.id, y->movimientos.id) == 0 &&
               x->movimientos.max == y->movimientos.max;
    default:
        return strcmp(x->pagina.desde_id, y->pagina.desde_id) == 0 &&
               x->pagina.max == y->pagina.max;
    }
}

/* Decodes len bytes into a zeroed *a; the window watches the allocations. */
static bool
decode(const struct tipo *t, const uint8_t *buf, size_t len, union inventario_args *a,
       u_int *consumed)
{
    XDR x;
    bool ok;

    memset(a, 0, sizeof *a);
    /* xdrmem wants a non-const buffer; decoding never writes to it. */
    xdrmem_create(&x, (char *)(uintptr_t)buf, (u_int)len, XDR_DECODE);
    fuzz_alloc_begin(t->name, FUZZ_ALLOC_MAX);
    ok = t->xdr(&x, a, 0);
    (void)fuzz_alloc_end();
    *consumed = xdr_getpos(&x);
    xdr_destroy(&x);
    return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct tipo *t;
    union inventario_args a, b;
    char enc[2048];
    u_int consumed, again;
    int ti;
    XDR x;

    if (size < 1 || size > 1u << 20)
        return 0;
    ti = (int)(data[0] % NTIPOS);
    t = &tipos[ti];
    if (!decode(t, data + 1, size - 1, &a, &consumed)) {
        /* A failed decode must still free what it took (svc_freeargs). */
        xdr_free(t->xdr, (char *)&a);
        return 0;
    }
    t->check(&a);

    /* Re-encoding takes exactly the bytes consumed; the bounds keep it
     * well inside enc[]. */
    xdrmem_create(&x, enc, sizeof enc, XDR_ENCODE);
    if (!t->xdr(&x, &a, 0))
        fail(t->name, "a decoded value does not encode again", "-");
    if (xdr_getpos(&x) != consumed)
        fail(t->name, "re-encoding does not take the bytes the decode consumed "
             "(a string lost bytes, e.g. at an embedded NUL?)", "-");
    if (!decode(t, (const uint8_t *)enc, xdr_getpos(&x), &b, &again) ||
        again != consumed || !same(ti, &a, &b))
        fail(t->name, "decoding the re-encoded value gives another value", "-");
    xdr_destroy(&x);

    xdr_free(t->xdr, (char *)&b);
    xdr_free(t->xdr, (char *)&a);
    return 0;
}
