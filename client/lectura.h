/* lectura.h - reading a JSON file to import, with every failure in Spanish.
 *
 * jansson finds the errors and says where (line, column) but in English;
 * this module opens the file (or stdin), refuses what is not a regular
 * file or a pipe before parsing it (a directory reads as an empty file),
 * tells a read error from a parse error, and says each jansson error in
 * Spanish with its line and column.
 */
#ifndef INVENTARIO_CLIENTE_LECTURA_H
#define INVENTARIO_CLIENTE_LECTURA_H

#include <stddef.h>

#include <jansson.h>

#include "resultado.h"

/* How a path is shown to people: "entrada estándar" for "-", else itself. */
const char *lectura_nombre(const char *ruta);

/* Parses ruta ("-": stdin) into *j (a new reference).  RES_OK; or
 * RES_ARCHIVO (cannot be opened or read, or is a directory) or RES_INVALIDO
 * (not JSON), with one sentence in frase that names the file and ends
 * with "No se importó nada.".  JSON strings may hold NUL bytes (so that
 * validation refuses the entry, not the file). */
enum resultado lectura_json(const char *ruta, json_t **j, char *frase, size_t n);

#endif
