/* bench.h - --bench: throughput and latency per operation at several client counts.
 *
 * For each client count, each scenario runs alone for --bench-seconds on a
 * preloaded product space.  Throughputs are reported as a ratio to NULL
 * calls at the same client count in the same run (the RPC ceiling of this
 * machine), and durable writes also as a ratio to the disk's single-commit
 * rate measured in the same run (disco.h).  "mixto" is obtener=80,
 * ajustar=20: it reports OBTENER's latency while a fifth of the calls are
 * durable writes.  "pagina" is LISTAR_PAGINA of 100 products from a random
 * id.  "agregar" creates new ids and "eliminar" deletes them again.
 */
#ifndef STRESS_BENCH_H
#define STRESS_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "informe.h"

#define BENCH_OPS_DEFECTO \
    "null,obtener,listar,pagina,actualizar,ajustar,agregar,eliminar,mixto"

/* True if s is a comma-separated list of known scenarios. */
bool bench_ops_validos(const char *s, char *err, size_t errlen);

int bench_modo(const struct config *c, struct informe *inf);

#endif
