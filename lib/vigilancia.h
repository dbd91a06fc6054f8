/* vigilancia.h - following the movement log as it grows: long poll where offered, polling otherwise.
 *
 * What `vigilar` needs from the service, for any program.  On a server of
 * version 3 a round is one ESPERAR_MOVIMIENTOS: the server answers within
 * milliseconds of the next commit, or after VIGILANCIA_ESPERA_MS with
 * nothing, so an idle watch makes one call a minute.  On a server of
 * version 2 a round is one MOVIMIENTOS and, when it brought nothing, a
 * pause of VIGILANCIA_INTERVALO_MS.  Either way the round's waits watch
 * the conexion's cancel descriptors (conexion_cancelable, interruptor.h),
 * and end with RES_CANCELADO when one is readable.
 */
#ifndef INVENTARIO_LIB_VIGILANCIA_H
#define INVENTARIO_LIB_VIGILANCIA_H

#include <stdint.h>

#include "conexion.h"
#include "inventario.h"
#include "resultado.h"

/* How long a version 3 server may hold the reply: the contract's cap. */
#define VIGILANCIA_ESPERA_MS INV_ESPERA_MAX_MS
/* Between two MOVIMIENTOS that found nothing, on a version 2 server:
 * quick enough to feel live, slow enough to cost the server nothing. */
#define VIGILANCIA_INTERVALO_MS 300u

/* Called for each new movement, oldest first. */
typedef void (*vigilancia_fn)(void *ctx, const movimiento *m);

/* The newest seq of the log now (following starts after it). */
enum resultado vigilancia_inicio(struct conexion *c, uint64_t *desde);

/*
 * One round: the movements after *desde (of product id, "" for all) that
 * exist or arrive within the round, each passed to fn, *desde moved past
 * them; *n is how many.  RES_OK (with *n 0 if the round ended empty), or
 * the call's failure (conexion_error says it), RES_CANCELADO included.
 */
enum resultado vigilancia_ronda(struct conexion *c, const char *id,
                                uint64_t *desde, vigilancia_fn fn, void *ctx,
                                unsigned *n);

#endif
