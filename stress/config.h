/* config.h - inventario-stress's settings: defaults, command line, --help.
 *
 * Every default lives in config_init; config_parse fills the rest from the
 * command line with getopt_long and checks that the options make sense
 * together.  --help and --version print to stdout and exit 0; misuse
 * prints a reason to stderr and exits with SALIDA_USO.
 */
#ifndef STRESS_CONFIG_H
#define STRESS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "destino.h"
#include "mezcla.h"
#include "tls_ajustes.h"

enum verif_modo { VERIF_NINGUNA, VERIF_DISJUNTO, VERIF_CHURN, VERIF_CONTADOR };

#define CLIENTES_MAX        1000
#define PREFIJO_MAX         40      /* leaves room in a 64-byte id */
#define BENCH_CLIENTES_MAX  16
/* A run given only --ops still ends after this many seconds. */
#define DURACION_TOPE_S     300.0

struct config {
    struct destino  destino;
    unsigned        clientes;
    bool            procesos;
    double          duracion_s;     /* the run ends at this time ... */
    uint64_t        ops;            /* ... or after this many calls (0: no cap) */
    unsigned        productos;      /* product space; per mode default if 0 */
    struct mezcla   mezcla;
    bool            mezcla_dada;
    char            prefijo[PREFIJO_MAX + 1];   /* "" until a mode picks one */
    bool            precargar;
    unsigned        pesados;        /* extra clients doing only op_pesada */
    enum op         op_pesada;
    enum verif_modo verificar;
    bool            reintentar;     /* counter: keys, and retry on failure */
    double          dup_rate;       /* counter: share of calls sent twice */
    unsigned        max_reintentos;
    bool            bench;
    unsigned        bench_clientes[BENCH_CLIENTES_MAX];
    size_t          n_bench_clientes;
    double          bench_segundos;
    const char     *bench_ops;      /* scenario list, checked by bench.c */
    const char     *db_dir;         /* NULL: not given */
    /* Which server: our own (none of --host, --program and
     * --contra-servicio-real given) or the one those name. */
    bool            externo;
    bool            contra_real;    /* --contra-servicio-real */
    rpcprog_t       programa_servicio;  /* the real service's number */
    const char     *servidor_bin;   /* --servidor: our own server's binary */
    bool            conservar;      /* keep what the run created */
    bool            json;
    bool            fail_on_error;
    uint64_t        semilla;
    bool            verboso;
    struct tls_ajustes tls;         /* --tls and its files */
};

/* Fills c from argv (after the defaults); exits on --help, --version and
 * misuse.  Resolves the real service's program number (INVENTARIO_PROGRAM,
 * else getrpcbyname, else the contract's) and refuses, as misuse, a run
 * against it without --contra-servicio-real.  Gives the run its prefix
 * when --prefix was not given: "st<tag>-" for load, "b<tag>-" for the
 * benchmark, "v<tag>-" for a verification, <tag> new for each run. */
void config_parse(struct config *c, int argc, char **argv);

/* The verification mode's name as --verify spells it. */
const char *config_verif_nombre(enum verif_modo m);

#endif
