/* espera.h - ESPERAR_MOVIMIENTOS (version 3): long polls that hold no worker.
 *
 * A call that finds nothing newer than its desde_seq is deferred (svcx.h)
 * and parked here, on no thread at all.  A successful write calls
 * espera_notificar with its product id; every parked call that could match
 * (same id, or no id) is handed back to the pool, queries again, and
 * answers if the movement is there, or parks again.  A small timer thread
 * answers each call at its espera_ms (capped at INV_ESPERA_MAX_MS) with an
 * empty list and the current ultimo_seq; with a shared database
 * ('remoto': PostgreSQL) it also polls the newest seq every ESPERA_SONDEO_MS
 * while any call is parked, so that other servers' writes wake them too.
 *
 * Lock: 'mu' (espera.c) guards the parked list, the generation and the
 * stop flag; pool_submit may be called under it (the pool never calls in).
 */
#ifndef INVENTARIO_ESPERA_H
#define INVENTARIO_ESPERA_H

#include <stdbool.h>

#include <rpc/rpc.h>

#include "inventario.h"

#define ESPERA_SONDEO_MS 20

struct store;

/* Starts the timer thread.  Returns false (errno set) if it could not. */
bool espera_init(struct store *s, bool remoto);

/* Answers every parked call now (as their time had come), stops the timer
 * thread.  The pool must still be running; calls arriving later answer at
 * once. */
void espera_stop(void);

/* From the dispatch function of procedure 10, on a worker: answers at once
 * when it can, otherwise defers the call and parks it.  Counts the call as
 * answered (dispatch_contar) when it is.  Frees nothing of 'a'. */
void espera_llamada(SVCXPRT *xprt, const esperar_args *a);

/* A write of product 'id' committed; any thread. */
void espera_notificar(const char *id);

/* Calls parked now. */
unsigned espera_pendientes(void);

#endif
