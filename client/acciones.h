/* acciones.h - what the user asked for, done and told: shared by menu and orders.
 *
 * Each accion_* function does one thing, with arguments already checked
 * (campos.h), and says how it went: text for people on stdout, or one JSON
 * document on stdout with --json.  The menu and the one-shot orders call
 * the same functions, so an answer reads the same whichever way it was
 * asked.  Failures go to stderr as "inventario-client: sentence" for
 * one-shot orders, or to stdout in the menu, which carries on; with --json
 * they are a document {"error": {"codigo", "salida", "mensaje"}} on stderr.
 * Each returns the outcome, which a one-shot order makes its exit status.
 */
#ifndef INVENTARIO_CLIENTE_ACCIONES_H
#define INVENTARIO_CLIENTE_ACCIONES_H

#include <stdbool.h>
#include <stdint.h>

#include "conexion.h"
#include "formato.h"
#include "resultado.h"

/* Where and how answers go. */
struct salida {
    struct conexion *con;
    bool             json;     /* JSON documents instead of text */
    bool             menu;     /* inside the interactive menu */
};

/* Says a failure the way s says things (see above). */
void acciones_fallo(const struct salida *s, enum resultado r, const char *frase);

/* Writes a JSON answer to stdout (taking the reference; NULL: memory ran
 * out, said as a failure). */
enum resultado acciones_json(const struct salida *s, json_t *j);

/* The sentence for outcome r of op on id (NULL: none), just after the call
 * failed: the transport's, or the server's estado explained; for a
 * server's ERROR_INTERNO it asks ESTADO whether the store is down, to say
 * so. */
void acciones_frase(const struct salida *s, char *frase, size_t n, enum resultado r,
                    enum operacion op, const char *id);

enum resultado accion_agregar(const struct salida *s, const char *id,
                              const char *nombre, int32_t stock);
enum resultado accion_obtener(const struct salida *s, const char *id);
enum resultado accion_actualizar(const struct salida *s, const char *id,
                                 int32_t stock);
enum resultado accion_listar(const struct salida *s);
enum resultado accion_eliminar(const struct salida *s, const char *id);

/* Prints every change from now on, as it happens, until Ctrl-C or SIGTERM,
 * or a line on stdin (Enter) when mirar_stdin.  Polls MOVIMIENTOS from the
 * newest seq a few times a second; outlives the server going away, and
 * carries on where it left off when it is back.  (entrada_iniciar must
 * have installed the signal handlers.) */
enum resultado accion_vigilar(const struct salida *s, const char *id,
                              bool mirar_stdin);

enum resultado accion_estado(const struct salida *s);

#endif
