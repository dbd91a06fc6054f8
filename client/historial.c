/* historial.c - the movement log, all or the newest N; see historial.h. */
#include "historial.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formato.h"
#include "operaciones.h"
#include "vigilancia.h"
#include "paginador.h"

/* The newest movements seen so far: a ring of at most cap deep copies,
 * oldest first from 'primero'; or, when crece, an array that grows and
 * keeps them all. */
struct anillo {
    movimiento *v;
    size_t      cap, n, primero;
    bool        crece;
};

static void
mov_liberar(movimiento *m)
{
    free(m->id);
    free(m->motivo);
    free(m->origen);
    memset(m, 0, sizeof *m);
}

static void
anillo_vaciar(struct anillo *a)
{
    for (size_t i = 0; i < a->n; i++)
        mov_liberar(&a->v[(a->primero + i) % a->cap]);
    a->n = 0;
    a->primero = 0;
}

/* Adds a copy of m, dropping the oldest when full.  False if memory ran
 * out. */
static bool
anillo_poner(struct anillo *a, const movimiento *m)
{
    movimiento *d;

    if (a->n == a->cap && a->crece) {
        /* primero is 0: nothing was ever dropped. */
        if ((d = realloc(a->v, 2 * a->cap * sizeof *d)) == NULL)
            return false;
        a->v = d;
        a->cap *= 2;
    }
    if (a->n == a->cap) {
        d = &a->v[a->primero];
        mov_liberar(d);
        a->primero = (a->primero + 1) % a->cap;
        a->n--;
    }
    d = &a->v[(a->primero + a->n) % a->cap];
    *d = *m;
    d->id = strdup(m->id);
    d->motivo = strdup(m->motivo);
    d->origen = strdup(m->origen);
    if (d->id == NULL || d->motivo == NULL || d->origen == NULL) {
        mov_liberar(d);
        return false;
    }
    a->n++;
    return true;
}

/* The ring in order, oldest first, in one array (borrowing the copies). */
static movimiento *
anillo_lineal(const struct anillo *a)
{
    movimiento *v = calloc(a->n ? a->n : 1, sizeof *v);

    for (size_t i = 0; v != NULL && i < a->n; i++)
        v[i] = a->v[(a->primero + i) % a->cap];
    return v;
}

/* Every movement of id with seq in (desde, hasta] into the ring, page
 * after page; *vistos counts them.  (*hasta: 0 on entry means "up to the
 * newest", and receives the newest seq the first page reported.) */
static enum resultado
recorrer(struct conexion *c, const char *id, uint64_t desde, uint64_t *hasta,
         struct anillo *a, size_t *vistos)
{
    for (;;) {
        movimientos_res res;
        const movimientos_ok *ok;
        enum resultado r = ops_movimientos(c, desde, id, 0, &res);
        bool fin;
        u_int n;

        if (r != RES_OK)
            return r;
        ok = &res.movimientos_res_u.ok;
        if (*hasta == 0)
            *hasta = ok->ultimo_seq;
        n = ok->movimientos.movimientos_len;
        fin = n == 0;
        for (u_int i = 0; i < n && !fin; i++) {
            const movimiento *m = &ok->movimientos.movimientos_val[i];

            if (m->seq > *hasta || m->seq <= desde) {
                fin = true;     /* past the end, or a server going backwards */
                break;
            }
            if (!anillo_poner(a, m)) {
                ops_movimientos_liberar(&res);
                return RES_ERROR_INTERNO;
            }
            ++*vistos;
            desde = m->seq;
        }
        fin = fin || desde >= *hasta;
        ops_movimientos_liberar(&res);
        if (fin)
            return RES_OK;
    }
}

/* Fills the ring (of capacity cuantos, or every movement when the ring
 * is as big as the listing) with the newest movements after desde: looks
 * at a window of seqs before the newest, and widens it eightfold until it
 * holds enough or reaches desde.  One product's movements are sparse in
 * the log's seqs: its first window is wider. */
static enum resultado
juntar(struct conexion *c, const char *id, uint64_t desde, uint32_t cuantos,
       struct anillo *a, uint64_t *ultimo)
{
    uint64_t ventana = (uint64_t)cuantos * (id[0] != '\0' ? 16 : 1);
    enum resultado r;

    if ((r = vigilancia_inicio(c, ultimo)) != RES_OK)
        return r;
    for (;;) {
        uint64_t inicio = *ultimo > ventana ? *ultimo - ventana : 0;
        uint64_t hasta = *ultimo;
        size_t vistos = 0;

        if (inicio < desde)
            inicio = desde;
        anillo_vaciar(a);
        if ((r = recorrer(c, id, inicio, &hasta, a, &vistos)) != RES_OK)
            return r;
        if (vistos >= cuantos || inicio == desde)
            return RES_OK;
        ventana = ventana > UINT64_MAX / 8 ? UINT64_MAX : ventana * 8;
    }
}

static enum resultado
mostrar(const struct salida *s, const char *id, uint64_t desde, uint32_t ultimos,
        const movimiento *v, size_t n, uint64_t ultimo)
{
    struct paginador *p;
    FILE *f;

    if (s->json) {
        json_t *a = json_array();

        for (size_t i = 0; a != NULL && i < n; i++)
            if (json_array_append_new(a, formato_json_movimiento(&v[i])) < 0) {
                json_decref(a);
                a = NULL;
            }
        return acciones_json(s, a == NULL ? NULL :
                             json_pack("{s:o, s:I}", "movimientos", a,
                                       "ultimo_seq", (json_int_t)ultimo));
    }
    f = paginador_abrir(&p, s->json);
    if (ultimos > 0)
        fprintf(f, "%s %" PRIu32 " movimientos más recientes",
                ultimos == 1 ? "El último de los" : "Los", ultimos);
    else
        fputs("Movimientos", f);
    if (id[0] != '\0') {
        fputs(" del producto ", f);
        formato_texto(f, id);
    } else {
        fputs(" de todos los productos", f);
    }
    if (desde > 0)
        fprintf(f, " posteriores al n.º %" PRIu64, desde);
    fputs(ultimos > 0 ? " (el más reciente, al final):\n" : ":\n", f);
    formato_movimientos(f, v, n);
    paginador_cerrar(p, f);
    return RES_OK;
}

enum resultado
accion_movimientos(const struct salida *s, const char *id, uint64_t desde,
                   uint32_t ultimos)
{
    struct anillo a = { .cap = ultimos > 0 ? ultimos : 256, .crece = ultimos == 0 };
    size_t vistos = 0;
    char frase[1024];
    movimiento *v = NULL;
    uint64_t ultimo = 0;
    enum resultado r;

    if ((a.v = calloc(a.cap, sizeof *a.v)) == NULL) {
        r = RES_ERROR_INTERNO;
        acciones_fallo(s, r, "No hay memoria para mostrar los movimientos.");
        goto out;
    }
    r = ultimos > 0 ? juntar(s->con, id, desde, ultimos, &a, &ultimo)
                    : recorrer(s->con, id, desde, &ultimo, &a, &vistos);
    if (r != RES_OK) {
        acciones_frase(s, frase, sizeof frase, r, OP_MOVIMIENTOS, id);
        acciones_fallo(s, r, frase);
        goto out;
    }
    if ((v = anillo_lineal(&a)) == NULL) {
        r = RES_ERROR_INTERNO;
        acciones_fallo(s, r, "No hay memoria para mostrar los movimientos.");
        goto out;
    }
    r = mostrar(s, id, desde, ultimos, v, a.n, ultimo);
out:
    free(v);
    if (a.v != NULL)
        anillo_vaciar(&a);
    free(a.v);
    return r;
}
