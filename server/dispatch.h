/* dispatch.h - from an RPC call to a handler and back, for every version.
 *
 * Our own dispatch instead of rpcgen's: rpcgen's leaks what a failed
 * argument decode allocated and calls exit(1) if freeing fails.  This one
 * decodes into zeroed storage, answers GARBAGE_ARGS on a bad decode and
 * frees whatever was partly decoded, runs the handler, sends the reply and
 * frees everything, on the calling thread's stack.  Safe to run on many
 * threads at once: each call has its own SVCXPRT (svcx.h).
 */
#ifndef INVENTARIO_DISPATCH_H
#define INVENTARIO_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <rpc/rpc.h>

struct acceso_lista;

/* Who may call: writes need the caller's network or TLS identity in
 * 'escritura', reads in 'lectura' or 'escritura' (see acceso.h; an empty
 * list allows everybody, and with only 'lectura' given, writes are limited
 * to it as well).  The
 * lists must outlive the server.  Called once, before the first call. */
void dispatch_init(const struct acceso_lista *escritura,
                   const struct acceso_lista *lectura);

/* --tls required: every call but NULL on a connection without TLS is
 * refused with AUTH_ERROR (AUTH_TOOWEAK).  Called once, before the first
 * call; off by default. */
void dispatch_tls_required(bool required);

/* The dispatch function for every version (1, 2 and 3). */
void dispatch_inventario(struct svc_req *rq, SVCXPRT *xprt);

/* Calls answered since start, all procedures and versions. */
uint64_t dispatch_llamadas(void);

/* Counts one call answered outside dispatch_inventario (a deferred one). */
void dispatch_contar(void);

#endif
