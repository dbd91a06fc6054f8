/* svcx.c - one call's header, credential, dispatch and reply; see svcx.h. */
#include "svcx.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls.h"
#include "xdr_cadena.h"
#include "xdrproc.h"

struct svcx_call {
    struct pool_job          job;       /* first: svcx_job and back */
    SVCXPRT                  xprt;      /* xp_p1 points back here */
    struct svc_req           req;
    const struct svcx_conf  *conf;
    const struct svcx_sink  *sink;
    void                    *ctx;
    char                    *rec;       /* the whole call record */
    size_t                   len;
    XDR                      args;      /* positioned at the arguments */
    uint32_t                 xid;
    bool                    *deferred;  /* svcx_run's own flag, on its stack */
    struct sockaddr_in6      peer;
    struct authunix_parms    aup;
    char                     machname[MAX_MACHINE_NAME + 1];
    gid_t                    gids[NGRPS];
    bool                     tls_offer;     /* svcx_set_tls */
    const char              *tls_identity;
};

uint64_t
svcx_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Replies fit here unless they are listings; one buffer per thread. */
#define REPLY_BUF 16384

static bool_t
x_reply(SVCXPRT *xprt, struct rpc_msg *msg)
{
    static _Thread_local char tbuf[REPLY_BUF];
    struct svcx_call *c = xprt->xp_p1;
    char *buf = tbuf;
    size_t cap = sizeof tbuf;
    bool_t ok = FALSE;
    XDR x;

    msg->rm_xid = c->xid;
    xdrmem_create(&x, buf + 4, (u_int)(cap - 4), XDR_ENCODE);
    if (!xdr_replymsg(&x, msg)) {
        /* Too big for the thread's buffer: measure, then encode once more. */
        unsigned long need = xdr_sizeof(XDRPROC(xdr_replymsg), msg);

        xdr_destroy(&x);
        if (need == 0 || need > 0x7FFFFFFFul - 4 || (buf = malloc(need + 4)) == NULL)
            return FALSE;
        cap = need + 4;
        xdrmem_create(&x, buf + 4, (u_int)need, XDR_ENCODE);
        if (!xdr_replymsg(&x, msg))
            goto out;
    }
    {
        uint32_t n = xdr_getpos(&x);
        uint32_t mark = 0x80000000u | n;

        buf[0] = (char)(mark >> 24);
        buf[1] = (char)(mark >> 16);
        buf[2] = (char)(mark >> 8);
        buf[3] = (char)mark;
        c->sink->send(c->ctx, buf, (size_t)n + 4);
        ok = TRUE;
    }
out:
    xdr_destroy(&x);
    if (buf != tbuf)
        free(buf);
    return ok;
}

static bool_t
x_getargs(SVCXPRT *xprt, xdrproc_t proc, void *where)
{
    struct svcx_call *c = xprt->xp_p1;

    return (*proc)(&c->args, where);
}

static bool_t
x_freeargs(SVCXPRT *xprt, xdrproc_t proc, void *where)
{
    XDR x;

    (void)xprt;
    memset(&x, 0, sizeof x);
    x.x_op = XDR_FREE;
    return (*proc)(&x, where);
}

/* The rest of xp_ops: libtirpc's own svc loop would call them, which never
 * runs here; harmless answers in case anything asks. */
static bool_t
x_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
    (void)xprt;
    (void)msg;
    return FALSE;
}

static enum xprt_stat
x_stat(SVCXPRT *xprt)
{
    (void)xprt;
    return XPRT_IDLE;
}

static void
x_destroy(SVCXPRT *xprt)
{
    (void)xprt;
}

static bool_t
x_control(SVCXPRT *xprt, const u_int rq, void *in)
{
    (void)xprt;
    (void)rq;
    (void)in;
    return FALSE;
}

static const struct xp_ops ops = {
    .xp_recv = x_recv, .xp_stat = x_stat, .xp_getargs = x_getargs,
    .xp_reply = x_reply, .xp_freeargs = x_freeargs, .xp_destroy = x_destroy,
};
static const struct xp_ops2 ops2 = { .xp_control = x_control };

static void
job_run(struct pool_job *j)
{
    (void)svcx_run((struct svcx_call *)(void *)j);
}

struct svcx_call *
svcx_new(const struct svcx_conf *conf, char *rec, size_t len,
         const struct sockaddr *peer, socklen_t peerlen,
         const struct svcx_sink *sink, void *ctx)
{
    struct svcx_call *c = calloc(1, sizeof *c);

    if (c == NULL) {
        free(rec);
        return NULL;
    }
    c->job.run = job_run;
    c->conf = conf;
    c->sink = sink;
    c->ctx = ctx;
    c->rec = rec;
    c->len = len;
    if (peerlen > sizeof c->peer)
        peerlen = sizeof c->peer;
    if (peer != NULL)
        memcpy(&c->peer, peer, peerlen);
    c->xprt.xp_fd = -1;
    c->xprt.xp_ops = &ops;
    c->xprt.xp_ops2 = &ops2;
    c->xprt.xp_p1 = c;
    c->xprt.xp_rtaddr.buf = &c->peer;
    c->xprt.xp_rtaddr.len = c->xprt.xp_rtaddr.maxlen = peer != NULL ? peerlen : 0;
    c->xprt.xp_verf = _null_auth;
    return c;
}

struct pool_job *
svcx_job(struct svcx_call *c)
{
    return &c->job;
}

void
svcx_set_tls(struct svcx_call *c, bool offer, const char *identity)
{
    c->tls_offer = offer;
    c->tls_identity = identity;
}

const char *
svcx_identity(SVCXPRT *xprt)
{
    return ((struct svcx_call *)xprt->xp_p1)->tls_identity;
}

SVCXPRT *
svcx_xprt(struct svcx_call *c)
{
    return &c->xprt;
}

static void
finish(struct svcx_call *c, enum svcx_result r)
{
    const struct svcx_sink *sink = c->sink;
    void *ctx = c->ctx;

    free(c->rec);
    free(c);
    sink->done(ctx, r);
}

void
svcx_done(struct svcx_call *c)
{
    finish(c, SVCX_OK);
}

struct svcx_call *
svcx_defer(SVCXPRT *xprt)
{
    struct svcx_call *c = xprt->xp_p1;

    /* A flag on svcx_run's stack, not in the call: once deferred, the call
     * may be answered and freed by another thread before dispatch returns. */
    *c->deferred = true;
    return c;
}

/* A credential or verifier: flavour, length, body (left in the record). */
static bool
opaque_auth_in(XDR *x, struct opaque_auth *oa)
{
    u_int32_t flavor, len;

    if (!xdr_u_int32_t(x, &flavor) || !xdr_u_int32_t(x, &len) ||
        len > MAX_AUTH_BYTES)
        return false;
    oa->oa_flavor = (enum_t)flavor;
    oa->oa_length = len;
    oa->oa_base = NULL;
    if (len > 0 && (oa->oa_base = (caddr_t)XDR_INLINE(x, (int)RNDUP(len))) == NULL)
        return false;
    return true;
}

/* AUTH_SYS, decoded into the call's own buffers: the body must be exactly
 * one authsys_parms, with the contract's bounds (255-byte name, 16 gids).
 * By hand (RFC 5531 appendix A) rather than with libtirpc's
 * xdr_authunix_parms, whose xdr_string reads the name's padding into a
 * static buffer all workers share; inv_xdr_string reads it into its own
 * (and shows an embedded NUL as DEL, which origen escapes). */
static bool
auth_sys_in(struct svcx_call *c)
{
    const struct opaque_auth *oa = &c->req.rq_cred;
    char *name = c->machname;
    u_int stamp, uid, gid, ngids = 0;
    bool ok;
    XDR x;

    if (oa->oa_length == 0)
        return false;
    xdrmem_create(&x, oa->oa_base, oa->oa_length, XDR_DECODE);
    ok = xdr_u_int(&x, &stamp) && inv_xdr_string(&x, &name, MAX_MACHINE_NAME) &&
         xdr_u_int(&x, &uid) && xdr_u_int(&x, &gid) && xdr_u_int(&x, &ngids) &&
         ngids <= NGRPS;
    for (u_int i = 0; ok && i < ngids; i++) {
        u_int g;

        ok = xdr_u_int(&x, &g);
        c->gids[i] = (gid_t)g;
    }
    ok = ok && xdr_getpos(&x) == oa->oa_length;
    xdr_destroy(&x);
    c->aup = (struct authunix_parms){ .aup_time = stamp, .aup_machname = c->machname,
                                      .aup_uid = (uid_t)uid, .aup_gid = (gid_t)gid,
                                      .aup_len = ngids, .aup_gids = c->gids };
    return ok;
}

static void
reply_rpc_mismatch(struct svcx_call *c)
{
    struct rpc_msg m;

    memset(&m, 0, sizeof m);
    m.rm_direction = REPLY;
    m.rm_reply.rp_stat = MSG_DENIED;
    m.rjcted_rply.rj_stat = RPC_MISMATCH;
    m.rjcted_rply.rj_vers.low = 2;
    m.rjcted_rply.rj_vers.high = 2;
    (void)x_reply(&c->xprt, &m);
}

/* The answer to the AUTH_TLS probe (RFC 9289 section 4.1): success, with
 * an AUTH_NONE verifier that holds the 8 bytes "STARTTLS". */
static void
reply_starttls(struct svcx_call *c)
{
    static char starttls[] = TLS_STARTTLS;
    struct rpc_msg m;

    memset(&m, 0, sizeof m);
    m.rm_direction = REPLY;
    m.rm_reply.rp_stat = MSG_ACCEPTED;
    m.acpted_rply.ar_verf.oa_flavor = AUTH_NONE;
    m.acpted_rply.ar_verf.oa_base = starttls;
    m.acpted_rply.ar_verf.oa_length = TLS_STARTTLS_LEN;
    m.acpted_rply.ar_stat = SUCCESS;
    m.acpted_rply.ar_results.where = NULL;
    m.acpted_rply.ar_results.proc = XDRPROC(xdr_void);
    (void)x_reply(&c->xprt, &m);
}

/* The call header, up to the arguments. */
static enum svcx_result
header_in(struct svcx_call *c)
{
    XDR *x = &c->args;
    u_int32_t xid, dir, rpcvers, prog, vers, proc;
    struct opaque_auth verf;
    bool probe = false;

    xdrmem_create(x, c->rec, (u_int)c->len, XDR_DECODE);
    if (c->rec == NULL || !xdr_u_int32_t(x, &xid) || !xdr_u_int32_t(x, &dir) ||
        dir != CALL || !xdr_u_int32_t(x, &rpcvers))
        return SVCX_NOT_A_CALL;
    c->xid = xid;
    if (rpcvers != RPC_MSG_VERSION) {
        reply_rpc_mismatch(c);
        return SVCX_RPC_MISMATCH;
    }
    if (!xdr_u_int32_t(x, &prog) || !xdr_u_int32_t(x, &vers) ||
        !xdr_u_int32_t(x, &proc))
        return SVCX_NOT_A_CALL;
    c->req.rq_prog = prog;
    c->req.rq_vers = vers;
    c->req.rq_proc = proc;
    c->req.rq_xprt = &c->xprt;
    if (!opaque_auth_in(x, &c->req.rq_cred) || !opaque_auth_in(x, &verf)) {
        svcerr_auth(&c->xprt, AUTH_BADCRED);
        return SVCX_BAD_CRED;
    }
    switch (c->req.rq_cred.oa_flavor) {
    case AUTH_NONE:
        break;
    case AUTH_SYS:
        if (!auth_sys_in(c)) {
            svcerr_auth(&c->xprt, AUTH_BADCRED);
            return SVCX_BAD_CRED;
        }
        c->req.rq_clntcred = &c->aup;
        break;
    case TLS_AUTH_FLAVOR:
        /* Only a NULL call may ask for TLS, and only where it is offered. */
        if (proc == NULLPROC && c->tls_offer) {
            probe = true;
            break;
        }
        svcerr_auth(&c->xprt, AUTH_REJECTEDCRED);
        return SVCX_REJECTED_CRED;
    default:
        svcerr_auth(&c->xprt, AUTH_REJECTEDCRED);
        return SVCX_REJECTED_CRED;
    }
    if (prog != c->conf->prog) {
        svcerr_noprog(&c->xprt);
        return SVCX_NO_PROG;
    }
    if (vers < c->conf->low || vers > c->conf->high) {
        svcerr_progvers(&c->xprt, c->conf->low, c->conf->high);
        return SVCX_NO_PROG;
    }
    if (probe) {
        reply_starttls(c);
        return SVCX_STARTTLS;
    }
    return SVCX_OK;
}

enum svcx_result
svcx_run(struct svcx_call *c)
{
    enum svcx_result r = header_in(c);
    bool deferred = false;

    if (r != SVCX_OK) {
        finish(c, r);
        return r;
    }
    c->deferred = &deferred;
    c->conf->dispatch(&c->req, &c->xprt);
    if (!deferred)
        finish(c, SVCX_OK);
    return SVCX_OK;
}
