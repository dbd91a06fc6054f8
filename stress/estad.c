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
estad_anotar(struct estad *e, enum op o, enum resultado r, uint64_t ns)
{
    histo_anotar(&e->op[o].h, ns);
    e->op[o].res[r]++;
}

void
estad_sumar(struct estad *dst, const struct estad *src)
{
    for (unsigned i = 0; i < OP_N; i++) {
        histo_sumar(&dst->op[i].h, &src->op[i].h);
        for (unsigned r = 0; r < RES_CUANTOS; r++)
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

/* Outcomes our own calls never expect: a failure at the RPC level, or
 * INVALIDO or ERROR_INTERNO.  YA_EXISTE, NO_ENCONTRADO and
 * STOCK_INSUFICIENTE are the contract's answers to a random mix. */
static bool
estad_es_error(enum resultado r)
{
    return r != RES_OK && r != RES_YA_EXISTE && r != RES_NO_ENCONTRADO &&
           r != RES_STOCK_INSUFICIENTE;
}

uint64_t
estad_errores(const struct estad *e)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < OP_N; i++)
        for (unsigned r = 0; r < RES_CUANTOS; r++)
            if (estad_es_error((enum resultado)r))
                n += e->op[i].res[r];
    return n;
}

double
estad_segundos(const struct estad *e)
{
    return e->t1 > e->t0 ? (double)(e->t1 - e->t0) / 1e9 : 0.0;
}
