/* intercambio.h - moving a whole inventory in and out as one JSON file.
 *
 * The format is the mission's inventario.json: a list of products,
 * [{"id": "A1", "nombre": "Cámara", "stock": 3}, ...], UTF-8, read and
 * written with jansson.  Other members of an entry are ignored on import.
 */
#ifndef INVENTARIO_CLIENTE_INTERCAMBIO_H
#define INVENTARIO_CLIENTE_INTERCAMBIO_H

#include <stdbool.h>

#include "acciones.h"
#include "resultado.h"

/* The whole inventory, in id order, to ruta or to stdout when ruta is NULL
 * or "-".  A file is written whole or not at all (a temporary file in the
 * same folder, renamed over ruta once complete). */
enum resultado accion_exportar(const struct salida *s, const char *ruta);

/*
 * Adds every product of the list in ruta ("-": stdin, shown as "entrada
 * estándar"), one AGREGAR each, and reports what it added, what already
 * existed and what was invalid, carrying on past bad entries.  An existing
 * product is left as it was, unless actualizar: then its stock is set to
 * the file's (one ACTUALIZAR_STOCK, with its movement) when it differs; a
 * different name is reported and left, as the contract has no call to
 * rename.  Stops only when the server cannot be reached.  RES_OK if
 * nothing was invalid; RES_ARCHIVO if the file cannot be read; RES_INVALIDO
 * if it is not a JSON list or some entry was invalid; RES_ERROR_INTERNO if
 * the server failed on some entry; the transport's outcome if it stopped.
 */
enum resultado accion_importar(const struct salida *s, const char *ruta,
                               bool actualizar);

#endif
