/* intercambio.h - moving a whole inventory in and out as one JSON file.
 *
 * The format is the mission's inventario.json: a list of products,
 * [{"id": "A1", "nombre": "Cámara", "stock": 3}, ...], UTF-8, read and
 * written with jansson.  Other members of an entry are ignored on import.
 */
#ifndef INVENTARIO_CLIENTE_INTERCAMBIO_H
#define INVENTARIO_CLIENTE_INTERCAMBIO_H

#include "acciones.h"
#include "resultado.h"

/* The whole inventory, in id order, to ruta or to stdout when ruta is NULL
 * or "-".  A file is written whole or not at all (a temporary file in the
 * same folder, renamed over ruta once complete). */
enum resultado accion_exportar(const struct salida *s, const char *ruta);

/*
 * Adds every product of the list in ruta ("-": stdin), one AGREGAR each,
 * and reports what it added, what already existed (left as it was) and
 * what was invalid, carrying on past bad entries.  Stops only when the
 * server cannot be reached.  RES_OK if nothing was invalid; RES_INVALIDO
 * if the file or some entry was; RES_ERROR_INTERNO if the server failed on
 * some entry; the transport's outcome if it stopped.
 */
enum resultado accion_importar(const struct salida *s, const char *ruta);

#endif
