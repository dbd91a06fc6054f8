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

#include <stdarg.h>
#include <stdio.h>

#include "acciones.h"

/* Runs order argv[0] with argv[1..argc); returns the exit status.  May set
 * s->json (a --json after the order). */
int comandos_ejecutar(struct salida *s, int argc, char **argv);

/* The orders' synopses and what each does, for --help. */
void comandos_ayuda(FILE *f);

/* Says what was misused, to stderr, with the pointer to --help; returns the
 * exit status for misuse.  Shared by the command parser and main's options. */
int comandos_mal_uso_v(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
