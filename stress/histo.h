/* histo.h - a latency histogram with logarithmic buckets (HDR-like).
 *
 * Each client records into its own histogram, without locks; histograms
 * are merged at the end by adding their counts.  Values are nanoseconds.
 * Buckets have 32 linear steps per power of two, so any percentile read
 * back is at most ~3% above the true value (never below it); the minimum,
 * maximum, count and sum are exact.  Values past ~18 minutes land in the
 * last bucket (the maximum stays exact).
 */
#ifndef STRESS_HISTO_H
#define STRESS_HISTO_H

#include <stdint.h>

#define HISTO_SUB_BITS  5
#define HISTO_SUB       (1u << HISTO_SUB_BITS)
#define HISTO_MAX_BIT   40
#define HISTO_BUCKETS   ((HISTO_MAX_BIT - HISTO_SUB_BITS + 2) * HISTO_SUB)

struct histo {
    uint64_t n;
    uint64_t suma;          /* ns, for the mean */
    uint64_t min, max;      /* ns; min is UINT64_MAX while empty */
    uint64_t cuenta[HISTO_BUCKETS];
};

void histo_init(struct histo *h);
void histo_anotar(struct histo *h, uint64_t ns);
/* dst += src */
void histo_sumar(struct histo *dst, const struct histo *src);
/* The value at quantile q (0 < q <= 1) in ns: the upper edge of the bucket
 * holding it, capped at the exact maximum.  0 for an empty histogram. */
uint64_t histo_percentil(const struct histo *h, double q);
double histo_media(const struct histo *h);

#endif
