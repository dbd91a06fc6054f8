/* acciones.h - what the user asked for, done and told: shared by menu and orders.
 *
 * Each accion_* function does one thing, with arguments already checked
 * (campos.h), and says how it went: text for people on stdout, or one JSON
 * document on stdout with --json.  The menu and the one-shot orders call
 * the same functions, so an answer reads the same whichever way it was
 * asked.  Failures go to stderr as "inventario-client: sentence" for
 * one-shot orders, or to stdout in the menu, which carries on; with --json
 * they are a document {"error": {"codigo", "salida", "mensaje"}} on stdout.
 * Each returns the outcome, which a one-shot order makes its exit status.
 */
#ifndef INVENTARIO_CLIENTE_ACCIONES_H
#define INVENTARIO_CLIENTE_ACCIONES_H

#include <stdbool.h>
#include <stdint.h>

#include "conexion.h"
#include "resultado.h"

/* Where and how answers go. */
struct salida {
    struct conexion *con;
    bool             json;     /* JSON documents instead of text */
    bool             menu;     /* inside the interactive menu */
};

/* Says a failure the way s says things (see above). */
void acciones_fallo(const struct salida *s, enum resultado r, const char *frase);

enum resultado accion_agregar(const struct salida *s, const char *id,
                              const char *nombre, int32_t stock);
enum resultado accion_obtener(const struct salida *s, const char *id);
enum resultado accion_actualizar(const struct salida *s, const char *id,
                                 int32_t stock);
enum resultado accion_listar(const struct salida *s);
enum resultado accion_eliminar(const struct salida *s, const char *id);

/* clave NULL: a fresh random key.  After a failure that may or may not
 * have applied the change, the sentence names the key, so that the
 * adjustment can be repeated by hand without applying it twice. */
enum resultado accion_ajustar(const struct salida *s, const char *id,
                              int32_t delta, const char *motivo,
                              const char *clave);

/* Every movement with seq > desde, of product id ("" for all). */
enum resultado accion_movimientos(const struct salida *s, const char *id,
                                  uint64_t desde);

/* Prints every change from now on, as it happens, until Ctrl-C or SIGTERM,
 * or a line on stdin (Enter) when mirar_stdin.  Polls MOVIMIENTOS from the
 * newest seq a few times a second; outlives the server going away, and
 * carries on where it left off when it is back.  (entrada_iniciar must
 * have installed the signal handlers.) */
enum resultado accion_vigilar(const struct salida *s, const char *id,
                              bool mirar_stdin);

enum resultado accion_estado(const struct salida *s);

#endif
