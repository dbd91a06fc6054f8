/* histo.c - logarithmic latency histogram; see histo.h. */
#include "histo.h"

#include <string.h>

void
histo_init(struct histo *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

static unsigned
indice(uint64_t v)
{
    unsigned msb, shift;

    if (v < HISTO_SUB)
        return (unsigned)v;
    msb = 63u - (unsigned)__builtin_clzll(v);
    if (msb > HISTO_MAX_BIT)
        return HISTO_BUCKETS - 1;
    shift = msb - HISTO_SUB_BITS;
    /* (v >> shift) is in [SUB, 2*SUB): the top bits give the step. */
    return (shift + 1) * HISTO_SUB + (unsigned)((v >> shift) - HISTO_SUB);
}

/* The largest value that falls in bucket i. */
static uint64_t
borde_superior(unsigned i)
{
    unsigned shift;

    if (i < HISTO_SUB)
        return i;
    shift = i / HISTO_SUB - 1;
    return ((((uint64_t)(i % HISTO_SUB) + HISTO_SUB) + 1) << shift) - 1;
}

void
histo_anotar(struct histo *h, uint64_t ns)
{
    h->n++;
    h->suma += ns;
    if (ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
    h->cuenta[indice(ns)]++;
}

void
histo_sumar(struct histo *dst, const struct histo *src)
{
    dst->n += src->n;
    dst->suma += src->suma;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    for (unsigned i = 0; i < HISTO_BUCKETS; i++)
        dst->cuenta[i] += src->cuenta[i];
}

uint64_t
histo_percentil(const struct histo *h, double q)
{
    uint64_t objetivo, visto = 0;

    if (h->n == 0)
        return 0;
    /* The rank of the q-quantile, 1-based, rounded up. */
    objetivo = (uint64_t)(q * (double)h->n);
    if ((double)objetivo < q * (double)h->n)
        objetivo++;
    if (objetivo == 0)
        objetivo = 1;
    for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
        visto += h->cuenta[i];
        if (visto >= objetivo) {
            /* The last bucket also holds every value past its range. */
            uint64_t v = i == HISTO_BUCKETS - 1 ? h->max : borde_superior(i);

            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double
histo_media(const struct histo *h)
{
    return h->n ? (double)h->suma / (double)h->n : 0.0;
}
