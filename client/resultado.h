/* resultado.h - the outcome of one client operation, which is also the exit status.
 *
 * One X-macro table gives the enum, whose values ARE the process exit codes,
 * the stable names used in --json error documents, and the lines --help
 * prints, so that the three can never drift apart.  Rows are in exit-code
 * order: the enum's value is the row's position.
 */
#ifndef INVENTARIO_CLIENTE_RESULTADO_H
#define INVENTARIO_CLIENTE_RESULTADO_H

#include <stdio.h>

#include "inventario.h"

#define RESULTADO_MAP(X)                                                      \
    X(RES_OK,                 "OK",                                           \
      "la orden se completó")                                                 \
    X(RES_ERROR_INTERNO,      "ERROR_INTERNO",                                \
      "error interno del servidor (su almacén falló) o de este programa")     \
    X(RES_USO,                "USO",                                          \
      "uso incorrecto: orden u opción desconocida, argumentos de más o de menos") \
    X(RES_INVALIDO,           "INVALIDO",                                     \
      "dato inválido: id, nombre, stock, motivo, clave o archivo de importación") \
    X(RES_NO_ENCONTRADO,      "NO_ENCONTRADO",                                \
      "no existe ningún producto con ese id")                                 \
    X(RES_YA_EXISTE,          "YA_EXISTE",                                    \
      "ya existe un producto con ese id")                                     \
    X(RES_STOCK_INSUFICIENTE, "STOCK_INSUFICIENTE",                           \
      "el ajuste dejaría el stock por debajo de cero")                        \
    X(RES_SIN_SERVIDOR,       "SIN_SERVIDOR",                                 \
      "no se pudo contactar con el servidor (rpcbind, registro o conexión)")  \
    X(RES_TIEMPO_AGOTADO,     "TIEMPO_AGOTADO",                               \
      "el servidor no respondió dentro del tiempo de espera")                 \
    X(RES_NO_OFRECIDO,        "NO_OFRECIDO",                                  \
      "el servidor solo ofrece la versión 1 y la orden necesita la 2")        \
    X(RES_SIN_PERMISO,        "SIN_PERMISO",                                  \
      "el servidor no permite esta operación desde esta red (--allow-write)")

enum resultado {
#define RESULTADO_ENUM(name, code, help) name,
    RESULTADO_MAP(RESULTADO_ENUM)
#undef RESULTADO_ENUM
    RES_CUANTOS
};

/* The stable upper-case name, for JSON ("NO_ENCONTRADO"). */
const char *resultado_codigo(enum resultado r);

/* The process exit status for r: its value, 0 to RES_CUANTOS - 1. */
int resultado_salida(enum resultado r);

/* Writes the exit-status table of --help, one "  N  meaning" line each. */
void resultado_ayuda(FILE *f);

/* The outcome a server estado stands for (OK, YA_EXISTE ... STOCK_INSUFICIENTE);
 * an unknown value, which only a server outside the contract could send,
 * is an internal error. */
enum resultado resultado_de_estado(estado e);

#endif
