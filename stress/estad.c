/* estad.c - per-client statistics; see estad.h. */
#include "estad.h"

#include <string.h>

void
estad_init(struct estad *e)
{
    memset(e, 0, sizeof *e);
    for (unsigned i = 0; i < OP_N; i++)
        histo_init(&e->op[i].h);
}

void
estad_anotar(struct estad *e, enum op o, enum res r, uint64_t ns)
{
    histo_anotar(&e->op[o].h, ns);
    e->op[o].res[r]++;
}

void
estad_sumar(struct estad *dst, const struct estad *src)
{
    for (unsigned i = 0; i < OP_N; i++) {
        histo_sumar(&dst->op[i].h, &src->op[i].h);
        for (unsigned r = 0; r < RES_N; r++)
            dst->op[i].res[r] += src->op[i].res[r];
    }
    if (src->t1 == 0)
        return;
    if (dst->t1 == 0 || src->t0 < dst->t0)
        dst->t0 = src->t0;
    if (src->t1 > dst->t1)
        dst->t1 = src->t1;
}

uint64_t
estad_total(const struct estad *e)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < OP_N; i++)
        n += e->op[i].h.n;
    return n;
}

uint64_t
estad_errores(const struct estad *e)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < OP_N; i++)
        n += e->op[i].res[RES_INVALIDO] + e->op[i].res[RES_ERROR_INTERNO] +
             e->op[i].res[RES_RECHAZADA] + e->op[i].res[RES_TIMEOUT] +
             e->op[i].res[RES_CONEXION] + e->op[i].res[RES_RPC];
    return n;
}

double
estad_segundos(const struct estad *e)
{
    return e->t1 > e->t0 ? (double)(e->t1 - e->t0) / 1e9 : 0.0;
}
