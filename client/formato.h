/* formato.h - what the client shows: cards, tables by display width, sentences, JSON.
 *
 * Text for people is Spanish and aligned by display columns, not bytes
 * ("Cámara" is 7 bytes and 6 columns; a CJK character takes 2).  Strings
 * that came from the server are written safely: anything that is not
 * printable UTF-8 comes out as '?', so that no name can drive the terminal.
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

/* The display columns s takes; a byte that is not part of valid UTF-8
 * counts as one (it is shown as '?'). */
size_t formato_ancho(const char *s);

/* Writes s with every unprintable character or malformed byte as '?';
 * formato_texto_n writes len bytes, NUL bytes included (as '?'). */
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

/* The server's health and figures, and where it was found. */
void formato_estado(FILE *f, const estado_servidor *e, const struct conexion *c);

/* The sentence that explains outcome r of operation op on product id (may
 * be NULL): the transport's own when the failure was the transport's
 * (conexion_error), else one for the server's estado. */
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
