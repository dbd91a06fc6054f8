/* historial.h - the movement log as a person or a script asks for it.
 *
 * All the movements after a seq, or only the newest N (newest last), of
 * one product or of all, fetched page by page (MOVIMIENTOS) and shown as
 * a table (through the pager on a terminal, paginador.h) or as one JSON
 * document.  The newest N are found by looking back from the newest seq
 * in growing windows, keeping only N copies in memory however long the
 * log is; movements that arrive meanwhile are not shown (the listing is
 * the log as of its newest seq when it started).
 */
#ifndef INVENTARIO_CLIENTE_HISTORIAL_H
#define INVENTARIO_CLIENTE_HISTORIAL_H

#include <stdint.h>

#include "acciones.h"

/* Every movement with seq > desde of product id ("" for all), or only the
 * newest 'ultimos' of them when ultimos > 0. */
enum resultado accion_movimientos(const struct salida *s, const char *id,
                                  uint64_t desde, uint32_t ultimos);

#endif
