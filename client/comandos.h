/* comandos.h - the one-shot orders, for scripts: "inventario-client obtener A1".
 *
 * Takes the order, its arguments and its own options (linea.h), checks
 * that the order takes them and every field before anything is sent, and
 * runs the action (acciones.h, ajuste.h, historial.h, intercambio.h).
 * Misuse is said on stderr with exit status 2; an invalid field with 3,
 * before any connection is tried.  "help ORDEN" and "ORDEN --help" show
 * the order's own help.
 */
#ifndef INVENTARIO_CLIENTE_COMANDOS_H
#define INVENTARIO_CLIENTE_COMANDOS_H

#include <stdarg.h>
#include <stdio.h>

#include "acciones.h"
#include "linea.h"

/* Runs the order of l, with its arguments and options (or its help, with
 * --help); returns the exit status. */
int comandos_ejecutar(struct salida *s, const struct linea *l);

/* The orders' synopses and what each does, for --help. */
void comandos_ayuda(FILE *f);

/* The whole of --help (main.c). */
void comandos_uso(FILE *f);

#endif
