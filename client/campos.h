/* campos.h - checking a field a person typed, and saying what is wrong with it.
 *
 * The menu's answers and the one-shot commands' arguments go through these
 * before anything is sent, so that a mistake is heard at once and in the
 * words of the shared rules (validar.h).  Each returns true if the text is
 * acceptable, else false with one sentence in why ("El id no puede estar
 * vacío."), always NUL-terminated; a text over its limit is told the
 * limit and its own length, in bytes.  Numbers may have blanks around
 * them; texts are taken exactly as typed.
 */
#ifndef INVENTARIO_CLIENTE_CAMPOS_H
#define INVENTARIO_CLIENTE_CAMPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "validar.h"

/* The sentence for the outcome e of checking a text of len bytes whose
 * limit is max bytes: "El nombre es demasiado largo: como mucho 256 bytes;
 * este tiene 400 (...)."; true (and "") if e is VALIDO.  For texts that
 * come from elsewhere (an import file). */
bool campo_texto(const char *campo, enum validar_error e, size_t len, size_t max,
                 char *why, size_t n);

bool campo_id(const char *s, char *why, size_t n);

/* "" (every product) or an id. */
bool campo_id_opcional(const char *s, char *why, size_t n);

bool campo_nombre(const char *s, char *why, size_t n);

/* Free text for the movement log: 0 to 64 bytes. */
bool campo_motivo(const char *s, char *why, size_t n);

/* An idempotency key given by hand: 1 to 64 bytes of text. */
bool campo_clave(const char *s, char *why, size_t n);

/* An absolute stock, 0 to 2147483647. */
bool campo_stock(const char *s, int32_t *out, char *why, size_t n);

/* A change of stock, -2147483648 to 2147483647, with an optional sign. */
bool campo_delta(const char *s, int32_t *out, char *why, size_t n);

/* A movement number, 0 to 18446744073709551615. */
bool campo_seq(const char *s, uint64_t *out, char *why, size_t n);

/* How many of the newest movements to show: 1 to CAMPO_CUANTOS_MAX (a
 * bound that keeps the client's memory small whatever the log holds). */
#define CAMPO_CUANTOS_MAX 100000
bool campo_cuantos(const char *s, uint32_t *out, char *why, size_t n);

#endif
