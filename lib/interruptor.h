/* interruptor.h - Ctrl-C for calls in progress: a self-pipe every wait of the library watches.
 *
 * A program that wants Ctrl-C to abandon a call creates the interruptor
 * once, at start, and has its SIGINT (and SIGTERM) handler call
 * interruptor_disparar: from then on every wait of every conexion (the
 * connect, each call, the pauses between polls) also watches the pipe and
 * gives up within milliseconds with RES_CANCELADO.  The pipe stays
 * readable, like the program's own "interrupted" flag, until the program
 * has dealt with the interruption and calls interruptor_rearmar (where it
 * clears that flag): a signal that lands just before a call starts still
 * cancels it.
 *
 * The one global state of the library: the pipe's two descriptors, set
 * once by interruptor_iniciar before any handler can run, read-only after.
 */
#ifndef INVENTARIO_LIB_INTERRUPTOR_H
#define INVENTARIO_LIB_INTERRUPTOR_H

#include <stdbool.h>

/* Creates the pipe (non-blocking, close-on-exec).  False, with errno, if
 * it could not; calls then cannot be cancelled this way.  Idempotent. */
bool interruptor_iniciar(void);

/* Makes the pipe readable.  Async-signal-safe (a write(2)), errno kept;
 * does nothing if the interruptor was not created. */
void interruptor_disparar(void);

/* Empties the pipe: later calls are not cancelled by what came before. */
void interruptor_rearmar(void);

/* The read end, to poll; -1 if there is none. */
int interruptor_fd(void);

#endif
