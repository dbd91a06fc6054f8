/* validar.h - the contract's input rules (docs/protocolo.md, "Límites y validación").
 *
 * One module shared by the server, which must refuse bad input with INVALIDO
 * before touching the store, and the client, which checks a field before it
 * sends it so that a person hears what is wrong at once.  Pure functions of
 * their arguments: no allocation, no locale, safe from any thread.
 */
#ifndef INVENTARIO_VALIDAR_H
#define INVENTARIO_VALIDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventario.h"

/* Byte limits of the contract: the consts of inventario.x. */
#define VALIDAR_ID_MAX     INV_ID_MAX
#define VALIDAR_NOMBRE_MAX INV_NOMBRE_MAX
#define VALIDAR_TEXTO_MAX  INV_MOTIVO_MAX   /* motivo and clave */
_Static_assert(INV_MOTIVO_MAX == INV_CLAVE_MAX,
               "motivo and clave share one rule and one limit");

/* What is wrong with a field.  VALIDAR_MAP(X) makes the enum and the
 * Spanish sentences from one table, so the two can never drift apart. */
#define VALIDAR_MAP(X)                                                        \
    X(VALIDO,      "es válido")                                               \
    X(V_VACIO,     "no puede estar vacío")                                    \
    X(V_LARGO,     "es demasiado largo")                                      \
    X(V_UTF8,      "no es texto UTF-8 válido")                                \
    X(V_CONTROL,   "contiene caracteres de control")                          \
    X(V_ESPACIOS,  "no puede empezar ni terminar con espacios")               \
    X(V_INVISIBLE, "contiene caracteres invisibles o de control de "         \
                   "dirección (p. ej. U+200B, U+202E)")                       \
    X(V_RANGO,     "debe ser un número entero entre 0 y 2147483647")

enum validar_error {
#define VALIDAR_ENUM(name, msg) name,
    VALIDAR_MAP(VALIDAR_ENUM)
#undef VALIDAR_ENUM
};

/* The sentence for an error, to follow the field's name: "El id " + msg. */
const char *validar_mensaje(enum validar_error e);

/* A product id: 1 to 64 bytes of UTF-8 without control characters, without
 * Unicode format characters (category Cf: U+200B, U+202E, U+FEFF...) and
 * without a space of any kind (category Zs: U+0020, U+00A0...) or a tab at
 * either end.  'len' is the byte length,
 * so that an embedded NUL byte is seen (and refused as a control). */
enum validar_error validar_id(const char *s, size_t len);

/* A product name: as an id, 1 to 256 bytes. */
enum validar_error validar_nombre(const char *s, size_t len);

/* Free text (motivo, clave): 0 to 64 bytes, UTF-8, no control characters. */
enum validar_error validar_texto(const char *s, size_t len);

/* A filter or page start: "" or a valid id. */
enum validar_error validar_id_opcional(const char *s, size_t len);

/* An absolute stock: 0 to INT32_MAX. */
enum validar_error validar_stock(int64_t v);

/* True if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF) with no C0, DEL or C1 control character. */
bool validar_utf8_sin_control(const char *s, size_t len);

/* The number of bytes of the longest prefix of s[0..len) that is no longer
 * than max bytes and does not cut a UTF-8 sequence in two. */
size_t validar_corte_utf8(const char *s, size_t len, size_t max);

#endif
