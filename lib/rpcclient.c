/* rpcclient.c - a CLIENT with one deadline per call over a stream; see rpcclient.h. */
#include "rpcclient.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "reloj.h"
#include "xdrproc.h"

/* The call as sent: header, credentials and arguments.  The contract's
 * longest arguments (an ajustar_args) and AUTH_SYS's longest credentials
 * take well under 2 KiB. */
#define OUT_SIZE 8192
/* What one read asks the stream for. */
#define IN_SIZE  65536
/* A record buffer grown past this by a large reply is given back after
 * the call, so that one listing does not keep its memory. */
#define REC_KEEP (256u * 1024)

struct rc {
    struct stream  st;
    rpcprog_t      prog;
    rpcvers_t      vers;
    uint32_t       xid;
    struct timeval timeout;         /* CLSET_TIMEOUT's */
    bool           timeout_set;     /* if not, each call's own timeout */
    bool           roto;            /* out of step: see rpcclient.h */
    int            cancel_fd[2];
    u_int          record_max;
    struct rpcclient_decoder dec;   /* dec.decode NULL: xres itself */
    struct rpc_err err;
    char           out[OUT_SIZE];
    char           in[IN_SIZE];     /* read from the stream, not yet used: */
    size_t         in_pos, in_len;  /*   in[in_pos .. in_len) */
    char          *rec;             /* the record being read */
    size_t         rec_len, rec_cap;
};

/* Sets the call's error; returns its status. */
static enum clnt_stat
fallo(struct rc *r, enum clnt_stat st, int err)
{
    r->err.re_status = st;
    r->err.re_errno = err;
    if (st != RPC_SUCCESS)
        r->roto = true;
    return st;
}

/*
 * Waits until the stream can go on with what 'want' (POLLIN, POLLOUT)
 * needs, the deadline passes, or the cancel descriptor is readable.
 * RPC_SUCCESS, RPC_TIMEDOUT, RPC_INTR, or 'si_falla' (with errno) when
 * poll itself failed.
 */
static enum clnt_stat
esperar(struct rc *r, short want, int64_t fin, enum clnt_stat si_falla)
{
    const struct stream_ops *o = r->st.ops;
    struct pollfd p[3];
    int n;

    for (;;) {
        int64_t queda = fin - reloj_ms();

        if (queda <= 0)
            return fallo(r, RPC_TIMEDOUT, 0);
        p[0] = (struct pollfd){ .fd = o->fd(r->st.h),
                                .events = o->events != NULL ? o->events(r->st.h, want)
                                                            : want };
        p[1] = (struct pollfd){ .fd = r->cancel_fd[0], .events = POLLIN };
        p[2] = (struct pollfd){ .fd = r->cancel_fd[1], .events = POLLIN };
        n = poll(p, 3, queda > INT32_MAX ? INT32_MAX : (int)queda);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fallo(r, si_falla, errno);
        if (n > 0 && (p[1].revents != 0 || p[2].revents != 0))
            return fallo(r, RPC_INTR, 0);
        if (n > 0)
            return RPC_SUCCESS;
    }
}

/* Writes len bytes of buf before the deadline. */
static enum clnt_stat
escribir(struct rc *r, const char *buf, size_t len, int64_t fin)
{
    while (len > 0) {
        ssize_t n = r->st.ops->write(r->st.h, buf, len);
        enum clnt_stat st;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return fallo(r, RPC_CANTSEND, n == 0 ? EPIPE : errno);
        if ((st = esperar(r, POLLOUT, fin, RPC_CANTSEND)) != RPC_SUCCESS)
            return st;
    }
    return RPC_SUCCESS;
}

/* More bytes into r->in, which is empty: waits for them until the
 * deadline (not when the stream holds some already). */
static enum clnt_stat
llenar(struct rc *r, int64_t fin)
{
    const struct stream_ops *o = r->st.ops;

    r->in_pos = r->in_len = 0;
    for (;;) {
        enum clnt_stat st;
        ssize_t n;

        if ((o->pending == NULL || o->pending(r->st.h) == 0) &&
            (st = esperar(r, POLLIN, fin, RPC_CANTRECV)) != RPC_SUCCESS)
            return st;
        n = o->read(r->st.h, r->in, sizeof r->in);
        if (n > 0) {
            r->in_len = (size_t)n;
            return RPC_SUCCESS;
        }
        if (n == 0)
            return fallo(r, RPC_CANTRECV, ECONNRESET);
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return fallo(r, RPC_CANTRECV, errno);
    }
}

/* Exactly len bytes into dst (NULL: read and dropped), before the deadline. */
static enum clnt_stat
leer(struct rc *r, char *dst, size_t len, int64_t fin)
{
    while (len > 0) {
        size_t k;
        enum clnt_stat st;

        if (r->in_pos == r->in_len && (st = llenar(r, fin)) != RPC_SUCCESS)
            return st;
        k = r->in_len - r->in_pos;
        if (k > len)
            k = len;
        if (dst != NULL) {
            memcpy(dst, r->in + r->in_pos, k);
            dst += k;
        }
        r->in_pos += k;
        len -= k;
    }
    return RPC_SUCCESS;
}

/* Room for 'mas' more bytes of record, up to the record's bound. */
static bool
crecer(struct rc *r, size_t mas)
{
    size_t cap = r->rec_cap > 0 ? r->rec_cap : 4096;
    char *nuevo;

    if (r->rec_len + mas <= r->rec_cap)
        return true;
    while (cap < r->rec_len + mas)
        cap *= 2;
    if (cap > r->record_max)
        cap = r->record_max;
    if ((nuevo = realloc(r->rec, cap)) == NULL)
        return false;
    r->rec = nuevo;
    r->rec_cap = cap;
    return true;
}

/* One whole record (every fragment) into r->rec, before the deadline.  A
 * record over the bound fails with RPC_CANTDECODERES and EMSGSIZE, before
 * its bytes are read. */
static enum clnt_stat
leer_registro(struct rc *r, int64_t fin)
{
    bool ultimo = false;

    r->rec_len = 0;
    while (!ultimo) {
        uint32_t marca;
        size_t len;
        enum clnt_stat st;

        if ((st = leer(r, (char *)&marca, sizeof marca, fin)) != RPC_SUCCESS)
            return st;
        marca = ntohl(marca);
        ultimo = (marca & 0x80000000u) != 0;
        len = marca & 0x7FFFFFFFu;
        if (len > r->record_max - r->rec_len)
            return fallo(r, RPC_CANTDECODERES, EMSGSIZE);
        if (!crecer(r, len))
            return fallo(r, RPC_SYSTEMERROR, ENOMEM);
        if ((st = leer(r, r->rec + r->rec_len, len, fin)) != RPC_SUCCESS)
            return st;
        r->rec_len += len;
    }
    return RPC_SUCCESS;
}

/* The call, record mark and all, into r->out; its length in *len. */
static enum clnt_stat
codificar(CLIENT *cl, struct rc *r, rpcproc_t proc, xdrproc_t xargs,
          void *args, size_t *len)
{
    struct rpc_msg msg;
    uint32_t marca;
    u_int32_t p = (u_int32_t)proc;
    bool ok;
    XDR x;

    memset(&msg, 0, sizeof msg);
    msg.rm_xid = r->xid;
    msg.rm_direction = CALL;
    msg.rm_call.cb_rpcvers = RPC_MSG_VERSION;
    msg.rm_call.cb_prog = r->prog;
    msg.rm_call.cb_vers = r->vers;
    xdrmem_create(&x, r->out + 4, (u_int)(sizeof r->out - 4), XDR_ENCODE);
    ok = xdr_callhdr(&x, &msg) && xdr_u_int32_t(&x, &p) &&
         AUTH_MARSHALL(cl->cl_auth, &x) && xargs(&x, args);
    *len = ok ? XDR_GETPOS(&x) : 0;
    XDR_DESTROY(&x);
    if (!ok)
        return fallo(r, RPC_CANTENCODEARGS, 0);
    marca = htonl(0x80000000u | (uint32_t)*len);
    memcpy(r->out, &marca, 4);
    *len += 4;
    return RPC_SUCCESS;
}

/* Decodes the reply in r->rec (its xid already matched): the header, then
 * the results through the decoder.  On a decoding failure the results are
 * freed. */
static enum clnt_stat
decodificar(CLIENT *cl, struct rc *r, xdrproc_t xres, void *res)
{
    struct rpc_msg msg;
    enum clnt_stat st;
    XDR x;

    memset(&msg, 0, sizeof msg);
    msg.acpted_rply.ar_verf = _null_auth;
    msg.acpted_rply.ar_results.where = NULL;
    msg.acpted_rply.ar_results.proc = XDRPROC(xdr_void);
    xdrmem_create(&x, r->rec, (u_int)r->rec_len, XDR_DECODE);
    if (!xdr_replymsg(&x, &msg)) {
        st = fallo(r, RPC_CANTDECODERES, 0);
        goto out;
    }
    _seterr_reply(&msg, &r->err);
    if ((st = r->err.re_status) != RPC_SUCCESS)
        goto out;
    if (!AUTH_VALIDATE(cl->cl_auth, &msg.acpted_rply.ar_verf)) {
        r->err.re_status = st = RPC_AUTHERROR;
        r->err.re_why = AUTH_INVALIDRESP;
        goto out;
    }
    if (!(r->dec.decode != NULL ? r->dec.decode(&x, xres, res, r->dec.ctx)
                                : xres(&x, res))) {
        xdr_free(xres, res);
        st = fallo(r, RPC_CANTDECODERES, 0);
    }
out:
    if (msg.rm_direction == REPLY && msg.rm_reply.rp_stat == MSG_ACCEPTED &&
        msg.acpted_rply.ar_verf.oa_base != NULL) {
        x.x_op = XDR_FREE;
        (void)xdr_opaque_auth(&x, &msg.acpted_rply.ar_verf);
    }
    XDR_DESTROY(&x);
    return st;
}

/* The xid of the record in r->rec, or false if it is too short to be a
 * reply at all. */
static bool
xid_de(const struct rc *r, uint32_t *xid)
{
    if (r->rec_len < 8)
        return false;
    memcpy(xid, r->rec, 4);
    *xid = ntohl(*xid);
    return true;
}

static enum clnt_stat
rc_call(CLIENT *cl, rpcproc_t proc, xdrproc_t xargs, void *args,
        xdrproc_t xres, void *res, struct timeval tv)
{
    struct rc *r = cl->cl_private;
    struct timeval plazo = r->timeout_set ? r->timeout : tv;
    int64_t fin = reloj_ms() + (int64_t)plazo.tv_sec * 1000 + plazo.tv_usec / 1000;
    enum clnt_stat st;
    size_t len;

    memset(&r->err, 0, sizeof r->err);
    if (r->roto) {
        r->err.re_status = RPC_CANTSEND;
        r->err.re_errno = EPIPE;
        return RPC_CANTSEND;
    }
    r->xid++;
    if ((st = codificar(cl, r, proc, xargs, args, &len)) != RPC_SUCCESS ||
        (st = escribir(r, r->out, len, fin)) != RPC_SUCCESS)
        goto out;
    /* Replies to calls abandoned before (none, while roto holds) or with
     * another xid are read and dropped; all within the one deadline. */
    for (;;) {
        uint32_t xid;

        if ((st = leer_registro(r, fin)) != RPC_SUCCESS)
            goto out;
        if (!xid_de(r, &xid)) {
            st = fallo(r, RPC_CANTDECODERES, 0);
            goto out;
        }
        if (xid == r->xid)
            break;
    }
    st = decodificar(cl, r, xres, res);
out:
    if (r->rec_cap > REC_KEEP) {
        free(r->rec);
        r->rec = NULL;
        r->rec_cap = r->rec_len = 0;
    }
    return st;
}

static void
rc_abort(CLIENT *cl)
{
    (void)cl;
}

static void
rc_geterr(CLIENT *cl, struct rpc_err *e)
{
    *e = ((struct rc *)cl->cl_private)->err;
}

static bool_t
rc_freeres(CLIENT *cl, xdrproc_t xres, void *res)
{
    (void)cl;
    xdr_free(xres, res);
    return TRUE;
}

static void
rc_destroy(CLIENT *cl)
{
    struct rc *r = cl->cl_private;

    r->st.ops->close(r->st.h);
    free(r->rec);
    free(r);
    free(cl);
}

static bool_t
rc_control(CLIENT *cl, u_int req, void *info)
{
    struct rc *r = cl->cl_private;

    switch (req) {
    case CLSET_FD_CLOSE:
    case CLSET_FD_NCLOSE:           /* the stream is always closed */
        return TRUE;
    default:
        break;
    }
    if (info == NULL)
        return FALSE;
    switch (req) {
    case CLSET_TIMEOUT:
        r->timeout = *(struct timeval *)info;
        r->timeout_set = true;
        return TRUE;
    case CLGET_TIMEOUT:
        *(struct timeval *)info = r->timeout;
        return TRUE;
    case CLGET_FD:
        *(int *)info = r->st.ops->fd(r->st.h);
        return TRUE;
    case CLGET_XID:
        *(u_int32_t *)info = r->xid;
        return TRUE;
    case CLSET_XID:                 /* the next call's xid is this one */
        r->xid = *(u_int32_t *)info - 1;
        return TRUE;
    case CLGET_VERS:
        *(u_int32_t *)info = (u_int32_t)r->vers;
        return TRUE;
    case CLSET_VERS:
        r->vers = *(u_int32_t *)info;
        return TRUE;
    case CLGET_PROG:
        *(u_int32_t *)info = (u_int32_t)r->prog;
        return TRUE;
    case CLSET_PROG:
        r->prog = *(u_int32_t *)info;
        return TRUE;
    case RPCCLIENT_SET_CANCEL_FDS:
        r->cancel_fd[0] = ((const int *)info)[0];
        r->cancel_fd[1] = ((const int *)info)[1];
        return TRUE;
    case RPCCLIENT_SET_DECODER:
        r->dec = *(struct rpcclient_decoder *)info;
        return TRUE;
    case RPCCLIENT_SET_RECORD_MAX:
        r->record_max = *(u_int *)info;
        return TRUE;
    default:
        return FALSE;
    }
}

static struct clnt_ops rc_ops = {
    .cl_call = rc_call, .cl_abort = rc_abort, .cl_geterr = rc_geterr,
    .cl_freeres = rc_freeres, .cl_destroy = rc_destroy, .cl_control = rc_control,
};

/* A first xid that differs from run to run, so that a reply meant for an
 * earlier process on a reused port cannot match. */
static uint32_t
xid_inicial(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ ((uint32_t)getpid() << 16);
}

CLIENT *
rpcclient_create(struct stream st, rpcprog_t prog, rpcvers_t vers)
{
    CLIENT *cl = calloc(1, sizeof *cl);
    struct rc *r = calloc(1, sizeof *r);

    if (cl == NULL || r == NULL || (cl->cl_auth = authnone_create()) == NULL) {
        free(cl);
        free(r);
        st.ops->close(st.h);
        rpc_createerr.cf_stat = RPC_SYSTEMERROR;
        rpc_createerr.cf_error.re_errno = ENOMEM;
        return NULL;
    }
    r->st = st;
    r->prog = prog;
    r->vers = vers;
    r->xid = xid_inicial();
    r->cancel_fd[0] = r->cancel_fd[1] = -1;
    r->record_max = RPCCLIENT_RECORD_MAX;
    r->timeout = (struct timeval){ .tv_sec = 25 };
    cl->cl_ops = &rc_ops;
    cl->cl_private = r;
    return cl;
}
