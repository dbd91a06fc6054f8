/* informe.h - the report: a text table for people, JSON (--json) for machines.
 *
 * Each mode writes its results through here.  Without --json, tables go to
 * stdout as they are ready; with --json, stdout carries one JSON object,
 * built up by the modes (informe_poner) and printed by informe_fin, and
 * nothing else.  Diagnostics always go to stderr.  Latencies are reported
 * in milliseconds, from the merged histograms (histo.h).
 */
#ifndef STRESS_INFORME_H
#define STRESS_INFORME_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "estad.h"

struct informe {
    bool    json;
    json_t *raiz;       /* the JSON object being built (json only) */
    bool    verboso;
};

/* Starts the report of a run of mode 'modo' ("carga", "verificacion",
 * "bench").  False if out of memory. */
bool informe_init(struct informe *inf, const struct config *c, const char *modo);

/* Adds the settings that shaped the run ("config"), once the server is
 * known; no-op without --json. */
void informe_config(struct informe *inf, const struct config *c);

/* The text stream for tables, or NULL with --json. */
FILE *informe_texto(const struct informe *inf);

/* A table of every operation in e that was called, under a title. */
void informe_tabla(const struct informe *inf, const char *titulo, const struct estad *e);

/* e as a JSON array of operation objects (op, llamadas, ops_s, lat_ms{p50,
 * p95,p99,max,media}, estados{...}); a new reference. */
json_t *informe_estad_json(const struct estad *e);

/* Sets key in the root object (steals the reference); no-op without --json. */
void informe_poner(struct informe *inf, const char *clave, json_t *valor);

/* Progress and notes, to stderr with --verbose. */
void informe_nota(const struct informe *inf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the JSON (with --json) and frees everything.  False if stdout
 * could not be written. */
bool informe_fin(struct informe *inf);

#endif
