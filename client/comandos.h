/* comandos.h - the one-shot orders, for scripts: "inventario-client obtener A1".
 *
 * Parses an order's arguments and its own options (--motivo, --clave,
 * --desde, and --json, which may also follow the order), checks every field
 * before anything is sent, and runs the action (acciones.h, intercambio.h).
 * Misuse is said on stderr with exit status 2; an invalid field with 3,
 * before any connection is tried.
 */
#ifndef INVENTARIO_CLIENTE_COMANDOS_H
#define INVENTARIO_CLIENTE_COMANDOS_H

#include <stdio.h>

#include "acciones.h"

/* Runs order argv[0] with argv[1..argc); returns the exit status.  May set
 * s->json (a --json after the order). */
int comandos_ejecutar(struct salida *s, int argc, char **argv);

/* The orders' synopses and what each does, for --help. */
void comandos_ayuda(FILE *f);

#endif
