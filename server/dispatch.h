/* dispatch.h - from an RPC call to a handler and back, for every version.
 *
 * Our own dispatch instead of rpcgen's: rpcgen's leaks what a failed
 * argument decode allocated and calls exit(1) if freeing fails.  This one
 * decodes into zeroed storage, answers GARBAGE_ARGS on a bad decode and
 * frees whatever was partly decoded, runs the handler, sends the reply and
 * frees everything, on the calling thread's stack.  Safe to run on many
 * threads at once, one connection per thread (the transport guarantees it).
 */
#ifndef INVENTARIO_DISPATCH_H
#define INVENTARIO_DISPATCH_H

#include <stdint.h>

#include <rpc/rpc.h>

/* The dispatch function to svc_reg for every version (1 and 2). */
void dispatch_inventario(struct svc_req *rq, SVCXPRT *xprt);

/* Calls answered since start, all procedures and versions. */
uint64_t dispatch_llamadas(void);

#endif
