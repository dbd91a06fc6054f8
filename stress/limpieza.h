/* limpieza.h - the end of a run against another server: delete what it created.
 *
 * Every product the tool creates has the run's prefix (a new one per run,
 * or --prefix).  Against a server the tool did not start, it deletes, at
 * the end and unless --conservar, every product whose id starts with that
 * prefix: it lists them with LISTAR_PAGINA (version 2) and deletes them
 * with ELIMINAR from a few clients at once, so that group commit shares
 * the syncs.  The movement log keeps their ALTA and BAJA rows: the
 * protocol has no way to delete history, and should not.
 */
#ifndef STRESS_LIMPIEZA_H
#define STRESS_LIMPIEZA_H

#include <stdint.h>

#include "destino.h"
#include "informe.h"

/* Deletes every product of the prefix; *borrados is how many went.
 * Returns an exit status (salida.h): SALIDA_OK if none is left,
 * SALIDA_INALCANZABLE if the listing or a deletion failed. */
int limpieza_prefijo(const struct destino *d, const char *prefijo,
                     const struct informe *inf, uint64_t *borrados);

#endif
