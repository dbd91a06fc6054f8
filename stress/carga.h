/* carga.h - the load engine: N clients calling a mix of operations.
 *
 * Used by the load mode and by the benchmark.  Each client has its own
 * connection, random generator and statistics; the results are merged when
 * all have ended.  Ids are the plan's prefix followed by a 7-digit number
 * in [0, productos); carga_precargar creates them beforehand so that reads
 * and updates find them.
 */
#ifndef STRESS_CARGA_H
#define STRESS_CARGA_H

#include <stdbool.h>
#include <stdint.h>

#include "destino.h"
#include "estad.h"
#include "informe.h"
#include "mezcla.h"

/* Stock of every preloaded product: high enough that random adjustments
 * rarely reach zero. */
#define CARGA_STOCK_INICIAL 1000000

struct carga_plan {
    const struct destino *d;
    unsigned      clientes;     /* clients that follow the mix */
    unsigned      pesados;      /* extra clients that only call op_pesada */
    enum op       op_pesada;
    struct mezcla mezcla;
    bool          procesos;
    double        segundos;     /* each client stops at this time ... */
    uint64_t      ops;          /* ... or after its share of ops (0: no cap) */
    const char   *prefijo;
    unsigned      productos;
    uint64_t      semilla;
    /* Benchmark only: agregar creates new ids (prefix "n<client>-<seq>")
     * and eliminar removes, in order, the ones the same client created.
     * Both arrays have one counter per client and outlive the run, so an
     * eliminar run can follow an agregar run with as many clients. */
    bool          frescos;
    uint64_t     *creados;
    uint64_t     *borrados;
};

struct carga_resultado {
    struct estad normales;      /* merged over the mix clients */
    struct estad pesados;       /* merged over the heavy clients */
};

/* Runs the plan; r is filled even when the run was cut short.  Returns an
 * exit status (salida.h): SALIDA_INALCANZABLE if a client could not
 * connect, SALIDA_LOCAL on a local failure. */
int carga_ejecutar(const struct carga_plan *p, struct carga_resultado *r);

/* Creates prefijo+%07u for k in [0, n) with CARGA_STOCK_INICIAL, with up to
 * 'clientes' threads; an id that already exists counts as done.  Returns
 * an exit status; reports what it did through inf's notes. */
int carga_precargar(const struct destino *d, const char *prefijo, unsigned n,
                    unsigned clientes, const struct informe *inf);

/* The id of product k. */
void carga_id(char *buf, size_t len, const char *prefijo, unsigned k);

/* The load mode of the command line: preload, run, report. */
int carga_modo(const struct config *c, struct informe *inf);

#endif
