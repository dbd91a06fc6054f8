/* svcx.h - one ONC RPC call, from a whole record to a framed reply, behind an SVCXPRT of our own.
 *
 * The record layer (recmark.h) and the connection (conn.h) deliver a whole
 * call; this module decodes its header as RFC 5531 says, authenticates it,
 * and runs the program's dispatch function with a 'struct svc_req' and an
 * SVCXPRT whose xp_ops are ours, so that rpcgen-style dispatch code,
 * svc_getargs, svc_sendreply, svc_freeargs and every svcerr_* work
 * unchanged.  Replies are encoded here, framed as one record, and handed
 * to the call's 'send' function (conn_send for a connection).
 *
 * What it answers itself: RPC_MISMATCH (low 2, high 2) to rpcvers other
 * than 2; AUTH_ERROR for a malformed or over-long credential (AUTH_BADCRED)
 * or a flavour other than AUTH_NONE and AUTH_SYS (AUTH_REJECTEDCRED);
 * PROG_UNAVAIL and PROG_MISMATCH (the configured low and high).  AUTH_SYS
 * is decoded with libtirpc's XDR routines into the call's own buffers and
 * nothing is ever printed.  A record that is not a call at all (too short
 * for a header, or a REPLY) gets no answer: the connection is closed.
 *
 * Each call is its own object, so a call may outlive its dispatch function:
 * svcx_defer keeps it (xid, verifier, connection) until svcx_done, on any
 * thread; a reply to a connection closed meanwhile is dropped.
 */
#ifndef INVENTARIO_SVCX_H
#define INVENTARIO_SVCX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rpc/rpc.h>

#include "pool.h"

struct svcx_call;

/* What the transport serves: one program, a range of versions. */
struct svcx_conf {
    rpcprog_t prog;
    rpcvers_t low, high;
    void    (*dispatch)(struct svc_req *, SVCXPRT *);
};

/* Why a record was refused without a reply or answered with an error, for
 * the transport's throttled log; SVCX_OK when it went to dispatch. */
enum svcx_result {
    SVCX_OK,
    SVCX_NOT_A_CALL,        /* no reply: close the connection */
    SVCX_RPC_MISMATCH,
    SVCX_BAD_CRED,
    SVCX_REJECTED_CRED,
    SVCX_NO_PROG,
    SVCX_STARTTLS           /* the AUTH_TLS probe, answered STARTTLS: the
                               connection turns to TLS once that is sent */
};

/* Where a call's reply and end go. */
struct svcx_sink {
    /* Sends one framed reply record; 'buf' is the caller's (copy what you keep). */
    void (*send)(void *ctx, const char *buf, size_t len);
    /* The call is over (replied, dropped, or refused); no more sends.
     * SVCX_NOT_A_CALL: close the connection. */
    void (*done)(void *ctx, enum svcx_result result);
};


/*
 * A call over 'rec' (a whole record, len bytes; ownership passes to the
 * call), from 'peer' (copied), answered through sink/ctx.  NULL if out of
 * memory (rec is then freed).  The call is a pool job: pool_submit it, or
 * run it with svcx_run.
 */
struct svcx_call *svcx_new(const struct svcx_conf *conf, char *rec, size_t len,
                           const struct sockaddr *peer, socklen_t peerlen,
                           const struct svcx_sink *sink, void *ctx);

/* RPC-with-TLS (RFC 9289), set by the transport after svcx_new: whether
 * the AUTH_TLS probe is answered STARTTLS on this connection (TLS is
 * configured and the connection does not use it yet; otherwise the probe
 * gets AUTH_REJECTEDCRED), and the TLS identity of the connection's client
 * (NULL without TLS).  'identity' must outlive the call. */
void svcx_set_tls(struct svcx_call *c, bool offer, const char *identity);

/* From inside a dispatch function: the call's TLS identity, or NULL. */
const char *svcx_identity(SVCXPRT *xprt);

/* The pool job inside a call, and back. */
struct pool_job *svcx_job(struct svcx_call *c);

/* Decodes, authenticates, dispatches, replies and ends the call (unless
 * the dispatch function deferred it).  Returns what happened. */
enum svcx_result svcx_run(struct svcx_call *c);

/* From inside a dispatch function: the call will be answered later, by
 * svcx_done (after svc_sendreply on svcx_xprt), from any thread.  The
 * dispatch function must still svc_freeargs what it decoded. */
struct svcx_call *svcx_defer(SVCXPRT *xprt);

/* The transport of a deferred call, for svc_sendreply and svcerr_*. */
SVCXPRT *svcx_xprt(struct svcx_call *c);

/* Ends a deferred call: frees it and tells the sink. */
void svcx_done(struct svcx_call *c);

/* Monotonic milliseconds (the clocks of the transport). */
uint64_t svcx_now_ms(void);

#endif
