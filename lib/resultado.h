/* resultado.h - how a client operation ended: the one status enum of the client library.
 *
 * One X-macro table (libuv's UV_ERRNO_MAP style) gives the enum, the
 * stable upper-case names (--json error documents, the stress tool's
 * reports), whether the call may have run all the same, and the Spanish
 * sentence of each, so that none of them can drift apart.  Both programs
 * use it: inventario-client's exit status IS the value (rows are in
 * exit-code order, so a new row goes at the end), except RES_CANCELADO,
 * whose status is 130 as after SIGINT (resultado_salida), and
 * inventario-stress counts its calls by it.
 *
 * The first rows after RES_OK that share a name with the contract's
 * estado (YA_EXISTE ... STOCK_INSUFICIENTE) are the server's answer
 * (resultado_de_estado); RES_INVALIDO and RES_ERROR_INTERNO also stand for
 * the same cause found on this side (an argument the client refuses to
 * send, memory exhausted).  The rest say why there was no answer.
 */
#ifndef INVENTARIO_LIB_RESULTADO_H
#define INVENTARIO_LIB_RESULTADO_H

#include <stdbool.h>
#include <stdio.h>

#include "inventario.h"

/*  name                    code                  may have run  sentence */
#define RESULTADO_MAP(X)                                                      \
    X(RES_OK,                 "OK",                 false,                    \
      "la orden se completó")                                                 \
    X(RES_ERROR_INTERNO,      "ERROR_INTERNO",      false,                    \
      "error interno del servidor (su almacén falló) o de este programa")     \
    X(RES_USO,                "USO",                false,                    \
      "uso incorrecto: orden u opción desconocida, argumentos de más o de menos") \
    X(RES_INVALIDO,           "INVALIDO",           false,                    \
      "dato inválido: id, nombre, stock, motivo, clave o archivo de importación") \
    X(RES_NO_ENCONTRADO,      "NO_ENCONTRADO",      false,                    \
      "no existe ningún producto con ese id")                                 \
    X(RES_YA_EXISTE,          "YA_EXISTE",          false,                    \
      "ya existe un producto con ese id")                                     \
    X(RES_STOCK_INSUFICIENTE, "STOCK_INSUFICIENTE", false,                    \
      "el ajuste dejaría el stock por debajo de cero")                        \
    X(RES_SIN_SERVIDOR,       "SIN_SERVIDOR",       true,                     \
      "no se pudo contactar con el servidor (rpcbind, registro o conexión)")  \
    X(RES_TIEMPO_AGOTADO,     "TIEMPO_AGOTADO",     true,                     \
      "el servidor no respondió dentro del tiempo de espera")                 \
    X(RES_NO_OFRECIDO,        "NO_OFRECIDO",        false,                    \
      "el servidor no ofrece la versión del protocolo que la orden necesita") \
    X(RES_SIN_PERMISO,        "SIN_PERMISO",        false,                    \
      "el servidor no permite esta operación desde esta red (--allow-write)") \
    X(RES_PROTOCOLO,          "PROTOCOLO",          true,                     \
      "el servidor respondió algo fuera del protocolo o de sus límites")      \
    X(RES_CANCELADO,          "CANCELADO",          true,                     \
      "interrumpida con Ctrl-C (si esperaba una respuesta, el cambio pudo aplicarse)") \
    X(RES_SIN_TLS,            "SIN_TLS",            false,                    \
      "con --tls, el servidor no ofrece TLS o no se pudo establecer (certificados)") \
    X(RES_ARCHIVO,            "ARCHIVO",            false,                    \
      "no se pudo leer o escribir un archivo local (exportar, importar)")

enum resultado {
#define RESULTADO_ENUM(name, code, incierto, frase) name,
    RESULTADO_MAP(RESULTADO_ENUM)
#undef RESULTADO_ENUM
    RES_CUANTOS
};

/* The stable upper-case name, for JSON and reports ("NO_ENCONTRADO"). */
const char *resultado_codigo(enum resultado r);

/* The Spanish sentence of r, lower-case and without a final stop. */
const char *resultado_frase(enum resultado r);

/* The process exit status for r: its value, 0 to RES_CUANTOS - 1, but 130
 * for RES_CANCELADO (Ctrl-C). */
int resultado_salida(enum resultado r);

/* Writes the exit-status table of --help, one "  N  meaning" line each. */
void resultado_ayuda(FILE *f);

/* True if a call that ended in r may or may not have run (no answer came,
 * or what came could not be read).  Per call, conexion_incierta is more
 * precise: it knows whether anything was sent. */
bool resultado_incierto(enum resultado r);

/* True if r is the server's own estado (RES_OK ... RES_STOCK_INSUFICIENTE
 * as answered): the call ran, or was refused by the contract's rules. */
bool resultado_de_servidor(enum resultado r);

/* The outcome a server estado stands for (OK, YA_EXISTE ... STOCK_INSUFICIENTE);
 * an unknown value, which only a server outside the contract could send,
 * is RES_PROTOCOLO. */
enum resultado resultado_de_estado(estado e);

#endif
