/* rpcclient.h - the library's own CLIENT: one deadline per call, over a pluggable stream.
 *
 * libtirpc's clnt_vc times each read, not the call: a reply that trickles
 * in one byte a second, or an endless run of replies with another xid,
 * keeps a call waiting for ever.  This CLIENT has the same interface (its
 * own cl_ops, so clnt_call, clnt_control, clnt_geterr, clnt_freeres and
 * clnt_destroy, and rpcgen's generated stubs, work unchanged) and:
 *   - one deadline for the whole call: sending it, and every byte of the
 *     reply, however it trickles (CLSET_TIMEOUT, or the call's timeout);
 *   - replies with another xid are skipped, for at most that deadline;
 *   - RFC 5531 record marking, any number of fragments, the whole record
 *     at most RPCCLIENT_RECORD_MAX bytes (or what RPCCLIENT_SET_RECORD_MAX
 *     says); a longer one fails the call;
 *   - two cancel descriptors that every wait also watches: either one
 *     readable, the call gives up at once with RPC_INTR;
 *   - results decoded by the caller's decoder, if one is set, so that
 *     arrays can be decoded with a bound (acotado.h);
 *   - byte I/O through a stream (stream.h): plain TCP or TLS.
 * A call that failed half-way (timeout, cancel, lost connection, a record
 * too long) leaves the stream out of step: every later call fails with
 * RPC_CANTSEND, and the owner should destroy the CLIENT.
 *
 * One thread uses a CLIENT at a time, as with libtirpc's.
 */
#ifndef INVENTARIO_LIB_RPCCLIENT_H
#define INVENTARIO_LIB_RPCCLIENT_H

#include <rpc/rpc.h>

#include "stream.h"

/* The longest reply record accepted by default: 16 MiB. */
#define RPCCLIENT_RECORD_MAX (16u * 1024 * 1024)

/* clnt_control requests of this CLIENT, beside libtirpc's CLSET_TIMEOUT,
 * CLGET_TIMEOUT, CLGET_FD, CLGET_XID, CLSET_XID, CLGET_VERS, CLSET_VERS,
 * CLGET_PROG, CLSET_PROG, CLSET_FD_CLOSE and CLSET_FD_NCLOSE (the stream
 * is always closed with the CLIENT).  Numbers well above libtirpc's. */
#define RPCCLIENT_SET_CANCEL_FDS 0x1001    /* const int[2]: -1 for none */
#define RPCCLIENT_SET_DECODER    0x1002    /* struct rpcclient_decoder * */
#define RPCCLIENT_SET_RECORD_MAX 0x1003    /* u_int * */

/* Decodes a call's results from xdrs: xres is the routine the caller
 * (a generated stub) passed for them, res where they go. */
struct rpcclient_decoder {
    bool_t (*decode)(XDR *xdrs, xdrproc_t xres, void *res, void *ctx);
    void   *ctx;
};

/*
 * A CLIENT for program prog, version vers, over st, which it owns from now
 * on (clnt_destroy closes it; so does a failure here).  Its credentials are
 * AUTH_NONE: the caller may replace cl_auth, and destroys it (as with
 * libtirpc's CLIENTs).  NULL if memory ran out, with rpc_createerr set.
 */
CLIENT *rpcclient_create(struct stream st, rpcprog_t prog, rpcvers_t vers);

#endif
