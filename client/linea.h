/* linea.h - the command line: options anywhere, the environment, the order.
 *
 * Options may come before or after the order and its arguments, GNU style
 * ("--timeout 5", "--timeout=5", "-t5", "-t 5", a unique prefix of a long
 * name, flags bundled as "-jh").  A word that starts with '-' and a digit
 * ("-3") is an argument, so that "ajustar A1 -3" needs nothing special;
 * after "--" every word is an argument ("obtener -- -A1").  The first
 * argument is the order, the rest are its arguments.
 *
 * INVENTARIO_HOST, INVENTARIO_PROGRAM and INVENTARIO_TIMEOUT give the
 * defaults of --host, --program and --timeout; an option given on the line
 * wins (an invalid variable that an option overrides is not looked at).
 * The TLS options and their variables are tls_ajustes.h's.
 *
 * Misuse is said on stderr, as text or, when --json is anywhere on the
 * line, as a JSON error document, and gives exit status 2.
 */
#ifndef INVENTARIO_CLIENTE_LINEA_H
#define INVENTARIO_CLIENTE_LINEA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "tls_ajustes.h"

/* Options that belong to some orders only (comandos.c says which). */
enum {
    OPC_MOTIVO     = 1u << 0,
    OPC_CLAVE      = 1u << 1,
    OPC_DESDE      = 1u << 2,
    OPC_ULTIMOS    = 1u << 3,
    OPC_ACTUALIZAR = 1u << 4
};

struct linea {
    char         *host;         /* malloc'd: one, or several with commas */
    unsigned long programa;     /* 0: the alias, or the contract's number */
    unsigned      espera_ms;
    bool          json, ayuda, version;
    const char   *orden;        /* NULL: the menu */
    char        **arg;          /* the order's arguments (malloc'd array) */
    int           narg;
    const char   *motivo, *clave, *desde, *ultimos;
    struct tls_ajustes tls;     /* --tls and its files, or INVENTARIO_TLS* */
    unsigned      opciones;     /* OPC_* given */
    const char   *nombres[5];   /* how each OPC_* was spelled, for messages */
};

/* Reads the environment and argv into *l.  Returns -1 if all is well, or
 * the exit status after saying the misuse. */
int linea_leer(int argc, char **argv, struct linea *l);

void linea_liberar(struct linea *l);

/* Says a misuse (printf-style) on stderr, as JSON if json, with the
 * pointer to --help; returns the exit status for misuse. */
int linea_mal_uso(bool json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int linea_mal_uso_v(bool json, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The options' lines of --help. */
void linea_ayuda(FILE *f);

#endif
