/* formato.c - cards, tables, sentences and JSON; see formato.h. */
#include "formato.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define COLUMNAS_ENTRE 2        /* spaces between table columns */

/* -- display width ------------------------------------------------------- */

/* Decodes the UTF-8 sequence at s, of the len > 0 bytes left.  Returns its
 * length and the code point in *cp, or 1 and *cp = UINT32_MAX for a
 * malformed byte (stray continuation, overlong form, surrogate, past
 * U+10FFFF, cut short). */
static size_t
utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t v, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2; v = s[0] & 0x1Fu; min = 0x80;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3; v = s[0] & 0x0Fu; min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4; v = s[0] & 0x07u; min = 0x10000;
    } else {
        goto mal;
    }
    if (n > len)
        goto mal;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0u) != 0x80u)
            goto mal;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto mal;
    *cp = v;
    return n;
mal:
    *cp = UINT32_MAX;
    return 1;
}

/* Code points that show nothing, or reorder what follows, and so could make
 * two different ids look the same on screen: Unicode format characters
 * (category Cf, bidi controls among them), spaces other than U+0020
 * (Zs, Zl, Zp) and the other default-ignorable code points (variation
 * selectors, fillers).  Sorted by start; Unicode 15. */
static const struct { uint32_t desde, hasta; } invisibles[] = {
    { 0x00A0, 0x00A0 }, { 0x00AD, 0x00AD }, { 0x034F, 0x034F },
    { 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD },
    { 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 },
    { 0x115F, 0x1160 }, { 0x1680, 0x1680 }, { 0x17B4, 0x17B5 },
    { 0x180B, 0x180F }, { 0x2000, 0x200F }, { 0x2028, 0x202F },
    { 0x205F, 0x206F }, { 0x3000, 0x3000 }, { 0x3164, 0x3164 },
    { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF }, { 0xFFA0, 0xFFA0 },
    { 0xFFF0, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD },
    { 0x13430, 0x1343F }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A },
    { 0xE0000, 0xE0FFF },
};

static bool
invisible(uint32_t cp)
{
    size_t lo = 0, hi = sizeof invisibles / sizeof invisibles[0];

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp < invisibles[mid].desde)
            hi = mid;
        else if (cp > invisibles[mid].hasta)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static bool
control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* How the n bytes at u (one sequence, code point cp) are shown: NULL if
 * as they are, else the escape written into esc: "\\" for a backslash
 * (so that an escape can never be faked by typing one), "\u202e" for a
 * control or invisible code point, "\U000e0001" past U+FFFF, "\xff" for
 * a byte that is not part of valid UTF-8. */
static const char *
escape(const unsigned char *u, uint32_t cp, char esc[16])
{
    if (cp == UINT32_MAX)
        snprintf(esc, 16, "\\x%02x", u[0]);
    else if (cp == '\\')
        snprintf(esc, 16, "\\\\");
    else if (!control(cp) && !invisible(cp))
        return NULL;
    else if (cp <= 0xFFFF)
        snprintf(esc, 16, "\\u%04" PRIx32, cp);
    else
        snprintf(esc, 16, "\\U%08" PRIx32, cp);
    return esc;
}

/* Columns of one code point shown as it is: wcwidth where the locale knows
 * it (glibc's wchar_t is UCS-4 in every locale), one otherwise. */
static size_t
ancho_cp(uint32_t cp)
{
    int w = wcwidth((wchar_t)cp);

    return w < 0 ? 1 : (size_t)w;
}

size_t
formato_ancho(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), w = 0;

    for (size_t i = 0; i < len;) {
        char esc[16];
        uint32_t cp;
        size_t n = utf8(u + i, len - i, &cp);
        const char *e = escape(u + i, cp, esc);

        w += e != NULL ? strlen(e) : ancho_cp(cp);
        i += n;
    }
    return w;
}

void
formato_texto_n(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < len;) {
        char esc[16];
        uint32_t cp;
        size_t n = utf8(u + i, len - i, &cp);
        const char *e = escape(u + i, cp, esc);

        if (e != NULL)
            fputs(e, f);
        else
            fwrite(u + i, 1, n, f);
        i += n;
    }
}

void
formato_texto(FILE *f, const char *s)
{
    formato_texto_n(f, s, strlen(s));
}

static void
espacios(FILE *f, size_t n)
{
    while (n-- > 0)
        fputc(' ', f);
}

void
formato_relleno(FILE *f, const char *s, size_t ancho, bool derecha)
{
    size_t w = formato_ancho(s);
    size_t falta = w < ancho ? ancho - w : 0;

    if (derecha)
        espacios(f, falta);
    formato_texto(f, s);
    if (!derecha)
        espacios(f, falta);
}

/* -- tables ---------------------------------------------------------------- */

struct columna {
    const char *titulo;
    bool        derecha;
};

/* celdas holds nfilas rows of ncols strings, row after row.  The last
 * column is not padded on the right, so no line ends in blanks. */
static void
tabla(FILE *f, const struct columna *cols, size_t ncols, const char *const *celdas,
      size_t nfilas)
{
    size_t ancho[16] = { 0 };

    if (ncols > sizeof ancho / sizeof ancho[0])
        return;
    for (size_t c = 0; c < ncols; c++) {
        ancho[c] = formato_ancho(cols[c].titulo);
        for (size_t r = 0; r < nfilas; r++) {
            size_t w = formato_ancho(celdas[r * ncols + c]);

            if (w > ancho[c])
                ancho[c] = w;
        }
    }
    for (size_t r = 0; r < nfilas + 2; r++) {
        for (size_t c = 0; c < ncols; c++) {
            bool ultima = c + 1 == ncols;
            size_t w = ultima && !cols[c].derecha ? 0 : ancho[c];

            if (c > 0)
                espacios(f, COLUMNAS_ENTRE);
            if (r == 0)
                formato_relleno(f, cols[c].titulo, w, cols[c].derecha);
            else if (r == 1)
                for (size_t k = 0; k < ancho[c]; k++)
                    fputc('-', f);
            else
                formato_relleno(f, celdas[(r - 2) * ncols + c], w, cols[c].derecha);
        }
        fputc('\n', f);
    }
}

/* -- products ---------------------------------------------------------------- */

void
formato_producto(FILE *f, const producto *p)
{
    fputs("  Id:     ", f);
    formato_texto(f, p->id);
    fputs("\n  Nombre: ", f);
    formato_texto(f, p->nombre);
    fprintf(f, "\n  Stock:  %d %s\n", p->stock, p->stock == 1 ? "unidad" : "unidades");
}

void
formato_productos(FILE *f, const producto *v, size_t n)
{
    static const struct columna cols[] = {
        { "Id", false }, { "Nombre", false }, { "Stock", true }
    };
    const char **celdas = NULL;
    char (*num)[16] = NULL;

    if (n == 0) {
        fputs("No hay productos en el inventario.\n", f);
        return;
    }
    celdas = calloc(n * 3, sizeof *celdas);
    num = calloc(n, sizeof *num);
    if (celdas == NULL || num == NULL) {
        fputs("No hay memoria para mostrar la tabla.\n", f);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(num[i], sizeof num[i], "%d", v[i].stock);
        celdas[3 * i] = v[i].id;
        celdas[3 * i + 1] = v[i].nombre;
        celdas[3 * i + 2] = num[i];
    }
    tabla(f, cols, 3, celdas, n);
    fprintf(f, "%zu %s.\n", n, n == 1 ? "producto" : "productos");
out:
    free(celdas);
    free(num);
}

/* -- movements --------------------------------------------------------------- */

static const char *
tipo_texto(tipo_movimiento t)
{
    switch (t) {
    case ALTA:  return "alta";
    case STOCK: return "stock";
    case BAJA:  return "baja";
    }
    return "?";
}

/* "2024-05-01 14:03:22", local time. */
static void
fecha(char *buf, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, n, "?");
}

/* The columns of one movement row, written into its own buffers. */
struct fila_mov {
    char seq[24], cuando[32], antes[16], despues[16];
};

static void
fila_movimiento(struct fila_mov *b, const movimiento *m)
{
    snprintf(b->seq, sizeof b->seq, "%" PRIu64, (uint64_t)m->seq);
    fecha(b->cuando, sizeof b->cuando, (int64_t)m->cuando_ms);
    if (m->tipo == ALTA)
        snprintf(b->antes, sizeof b->antes, "-");
    else
        snprintf(b->antes, sizeof b->antes, "%d", m->stock_antes);
    if (m->tipo == BAJA)
        snprintf(b->despues, sizeof b->despues, "-");
    else
        snprintf(b->despues, sizeof b->despues, "%d", m->stock_despues);
}

void
formato_movimientos(FILE *f, const movimiento *v, size_t n)
{
    static const struct columna cols[] = {
        { "N.º", true }, { "Fecha y hora", false }, { "Tipo", false },
        { "Id", false }, { "Antes", true }, { "Después", true },
        { "Motivo", false }, { "Origen", false }
    };
    enum { NC = sizeof cols / sizeof cols[0] };
    const char **celdas = NULL;
    struct fila_mov *b = NULL;

    if (n == 0) {
        fputs("No hay movimientos.\n", f);
        return;
    }
    celdas = calloc(n * NC, sizeof *celdas);
    b = calloc(n, sizeof *b);
    if (celdas == NULL || b == NULL) {
        fputs("No hay memoria para mostrar la tabla.\n", f);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char **c = &celdas[i * NC];

        fila_movimiento(&b[i], &v[i]);
        c[0] = b[i].seq;
        c[1] = b[i].cuando;
        c[2] = tipo_texto(v[i].tipo);
        c[3] = v[i].id;
        c[4] = b[i].antes;
        c[5] = b[i].despues;
        c[6] = v[i].motivo;
        c[7] = v[i].origen;
    }
    tabla(f, cols, NC, celdas, n);
    fprintf(f, "%zu %s.\n", n, n == 1 ? "movimiento" : "movimientos");
out:
    free(celdas);
    free(b);
}

void
formato_movimiento(FILE *f, const movimiento *m)
{
    struct fila_mov b;

    fila_movimiento(&b, m);
    fprintf(f, "[%s] #%s ", b.cuando, b.seq);
    formato_texto(f, m->id);
    switch (m->tipo) {
    case ALTA:
        fprintf(f, ": alta con stock %d", m->stock_despues);
        break;
    case BAJA:
        fprintf(f, ": baja (tenía %d)", m->stock_antes);
        break;
    default:
        fprintf(f, ": stock %d → %d", m->stock_antes, m->stock_despues);
        break;
    }
    if (m->motivo[0] != '\0') {
        fputs(" (", f);
        formato_texto(f, m->motivo);
        fputc(')', f);
    }
    fputs(" — ", f);
    formato_texto(f, m->origen);
    fputc('\n', f);
}

/* -- server state ------------------------------------------------------------ */

static void
dato(FILE *f, const char *etiqueta, const char *valor)
{
    fputs("  ", f);
    formato_relleno(f, etiqueta, 22, false);
    formato_texto(f, valor);
    fputc('\n', f);
}

static void
dato_num(FILE *f, const char *etiqueta, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof buf, "%" PRIu64, v);
    dato(f, etiqueta, buf);
}

/* A figure read from the store: while the store does not answer, 0 is
 * what the server could not know, and anything else the last it knew. */
static void
dato_cifra(FILE *f, const char *etiqueta, uint64_t v, bool almacen_ok)
{
    char buf[64];

    if (almacen_ok)
        snprintf(buf, sizeof buf, "%" PRIu64, v);
    else if (v == 0)
        snprintf(buf, sizeof buf, "desconocido");
    else
        snprintf(buf, sizeof buf, "%" PRIu64 " (último dato conocido)", v);
    dato(f, etiqueta, buf);
}

void
formato_estado(FILE *f, const estado_servidor *e, const struct conexion *c)
{
    char buf[96], cuando[32];
    int64_t desde = (int64_t)e->arranque_ms;
    int64_t seg = (int64_t)time(NULL) - desde / 1000;

    fputs("Servidor de inventario en ", f);
    formato_texto(f, conexion_host(c));
    fprintf(f, " (programa %lu, protocolo versión %u)\n", conexion_programa(c),
            conexion_version(c));
    dato(f, "Versión del servidor:", e->release);
    fecha(cuando, sizeof cuando, desde);
    if (seg < 0)
        seg = 0;
    snprintf(buf, sizeof buf, "%s (hace %" PRId64 " h %" PRId64 " min %" PRId64 " s)",
             cuando, seg / 3600, seg / 60 % 60, seg % 60);
    dato(f, "En marcha desde:", buf);
    dato_cifra(f, "Productos:", e->productos, e->almacen_ok);
    dato_cifra(f, "Último movimiento:", e->ultimo_seq, e->almacen_ok);
    dato_num(f, "Llamadas atendidas:", e->llamadas);
    dato_num(f, "Conexiones abiertas:", e->conexiones);
    dato_num(f, "Hilos de trabajo:", e->hilos);
    dato(f, "Almacén:", e->almacen_ok ? "responde correctamente"
                                       : "NO RESPONDE (revise el registro del servidor)");
}

/* -- JSON -------------------------------------------------------------------- */

json_t *
formato_json_cadena(const char *s)
{
    json_t *j = json_string(s);
    char *copia;

    if (j != NULL)
        return j;
    /* Not valid UTF-8: keep what is, mark what is not. */
    if ((copia = strdup(s)) == NULL)
        return NULL;
    for (size_t i = 0, len = strlen(copia); i < len;) {
        unsigned char *u = (unsigned char *)copia + i;
        uint32_t cp;

        i += utf8(u, len - i, &cp);
        if (cp == UINT32_MAX)
            *u = '?';
    }
    j = json_string(copia);
    free(copia);
    return j;
}

json_t *
formato_json_producto(const producto *p)
{
    return json_pack("{s:o, s:o, s:i}", "id", formato_json_cadena(p->id),
                     "nombre", formato_json_cadena(p->nombre), "stock", p->stock);
}

json_t *
formato_json_productos(const producto *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++) {
        if (json_array_append_new(a, formato_json_producto(&v[i])) < 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

static const char *
tipo_json(tipo_movimiento t)
{
    switch (t) {
    case ALTA:  return "ALTA";
    case STOCK: return "STOCK";
    case BAJA:  return "BAJA";
    }
    return "?";
}

json_t *
formato_json_movimiento(const movimiento *m)
{
    return json_pack("{s:I, s:I, s:s, s:o, s:i, s:i, s:o, s:o}",
                     "seq", (json_int_t)m->seq, "cuando_ms", (json_int_t)m->cuando_ms,
                     "tipo", tipo_json(m->tipo), "id", formato_json_cadena(m->id),
                     "stock_antes", m->stock_antes, "stock_despues", m->stock_despues,
                     "motivo", formato_json_cadena(m->motivo),
                     "origen", formato_json_cadena(m->origen));
}

/* A figure from the store, or null when the server could not know it
 * (see dato_cifra). */
static json_t *
json_cifra(uint64_t v, bool almacen_ok)
{
    return !almacen_ok && v == 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *
formato_json_estado(const estado_servidor *e, const struct conexion *c)
{
    return json_pack("{s:o, s:I, s:o, s:o, s:I, s:I, s:I, s:b, s:o, s:I, s:I}",
                     "version", formato_json_cadena(e->release),
                     "arranque_ms", (json_int_t)e->arranque_ms,
                     "productos", json_cifra(e->productos, e->almacen_ok),
                     "ultimo_seq", json_cifra(e->ultimo_seq, e->almacen_ok),
                     "llamadas", (json_int_t)e->llamadas,
                     "conexiones", (json_int_t)e->conexiones,
                     "hilos", (json_int_t)e->hilos,
                     "almacen_ok", e->almacen_ok ? 1 : 0,
                     "host", formato_json_cadena(conexion_host(c)),
                     "programa", (json_int_t)conexion_programa(c),
                     "protocolo", (json_int_t)conexion_version(c));
}

json_t *
formato_json_error(enum resultado r, const char *mensaje)
{
    return json_pack("{s:{s:s, s:i, s:o}}", "error", "codigo", resultado_codigo(r),
                     "salida", resultado_salida(r), "mensaje",
                     formato_json_cadena(mensaje));
}

int
formato_json(FILE *f, json_t *j, bool compacto)
{
    int rc;

    if (j == NULL)
        return -1;
    rc = json_dumpf(j, f, compacto ? JSON_COMPACT : JSON_INDENT(2));
    if (rc == 0 && fputc('\n', f) == EOF)
        rc = -1;
    json_decref(j);
    return rc;
}
