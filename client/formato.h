/* formato.h - what the client shows: cards, tables by display width, sentences, JSON.
 *
 * Text for people is Spanish and aligned by display columns, not bytes
 * ("Cámara" is 7 bytes and 6 columns; a CJK character takes 2).  Strings
 * that came from the server are written safely and unambiguously: a
 * control character, and any code point that shows nothing or reorders the
 * text (Unicode format characters such as the bidi override U+202E, spaces
 * other than U+0020, other default-ignorables) comes out escaped as
 * "\u202e" ("\U000e0001" past U+FFFF), a byte that is not valid UTF-8 as
 * "\xff", and a backslash as "\\", so that no name can drive the
 * terminal and two ids that differ never look the same.
 * JSON for scripts is built with jansson, never by hand.  Output functions
 * write to the FILE they are given and do not flush.
 */
#ifndef INVENTARIO_CLIENTE_FORMATO_H
#define INVENTARIO_CLIENTE_FORMATO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "conexion.h"
#include "inventario.h"
#include "resultado.h"

/* What was being done, for the sentence that explains a failure. */
enum operacion {
    OP_AGREGAR, OP_OBTENER, OP_ACTUALIZAR, OP_LISTAR, OP_ELIMINAR,
    OP_AJUSTAR, OP_MOVIMIENTOS, OP_VIGILAR, OP_ESTADO
};

/* The display columns s takes as formato_texto shows it (escapes
 * included). */
size_t formato_ancho(const char *s);

/* Writes s with the escapes above; formato_texto_n writes len bytes, NUL
 * bytes included (as "\u0000"). */
void formato_texto(FILE *f, const char *s);
void formato_texto_n(FILE *f, const char *s, size_t len);

/* Writes s padded with spaces to 'ancho' columns, on the left if derecha. */
void formato_relleno(FILE *f, const char *s, size_t ancho, bool derecha);

/* A product as a short card. */
void formato_producto(FILE *f, const producto *p);

/* Products as a table aligned by display width, then how many there are. */
void formato_productos(FILE *f, const producto *v, size_t n);

/* Movements as a table; one movement as one line, for following changes. */
void formato_movimientos(FILE *f, const movimiento *v, size_t n);
void formato_movimiento(FILE *f, const movimiento *m);

/* The server's health and figures, and where it was found.  While the
 * store does not answer (almacen_ok false), a figure of 0 read from it is
 * shown as "desconocido" (null in JSON), any other as the last known. */
void formato_estado(FILE *f, const estado_servidor *e, const struct conexion *c);

/* The sentences below are implemented in formato_fallo.c. */

/* What the client found out about a failure by asking the server more
 * (acciones.c), so that the sentence names the one cause that applies. */
enum causa {
    CAUSA_DESCONOCIDA,      /* nothing more is known: name every cause left */
    CAUSA_DESBORDA,         /* INVALIDO of AJUSTAR: the stock would pass the max */
    CAUSA_CLAVE_USADA,      /* INVALIDO of AJUSTAR: the key was used otherwise */
    CAUSA_ALMACEN_CAIDO     /* ERROR_INTERNO, and ESTADO says almacen_ok false */
};

/* The sentence that explains outcome r of operation op on product id (may
 * be NULL): the transport's sentence t when it is not "" (the transport
 * failed, not the server), else one for the server's estado and the cause. */
void formato_fallo_causa(char *buf, size_t n, enum resultado r, enum operacion op,
                         const char *id, enum causa causa, const char *t);

/* formato_fallo_causa with CAUSA_DESCONOCIDA and conexion_error(c). */
void formato_fallo(char *buf, size_t n, enum resultado r, enum operacion op,
                   const char *id, const struct conexion *c);

/* JSON values (new references; NULL if memory ran out).  Strings that are
 * not valid UTF-8 have their bad bytes replaced by '?'. */
json_t *formato_json_cadena(const char *s);
json_t *formato_json_producto(const producto *p);
json_t *formato_json_productos(const producto *v, size_t n);
json_t *formato_json_movimiento(const movimiento *m);
json_t *formato_json_estado(const estado_servidor *e, const struct conexion *c);
json_t *formato_json_error(enum resultado r, const char *mensaje);

/* Writes j and a newline: indented, or on one line if compacto.  Takes the
 * reference (j may be NULL: then nothing is written and -1 returned). */
int formato_json(FILE *f, json_t *j, bool compacto);

#endif
