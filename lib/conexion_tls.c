/* conexion_tls.c - opening a conexion's connection with RPC-with-TLS (RFC 9289).
 *
 * On a new TCP connection to the server: the AUTH_TLS probe in clear text,
 * the TLS handshake (tls_client.h), then the library's CLIENT (rpcclient.h)
 * over a stream (stream.h) that moves its records through TLS, and a NULL
 * call inside it.  Any failure of TLS itself is a
 * failure of the connection, with a sentence that says why: nothing here
 * ever goes on in clear text.  The calls carry AUTH_NONE: over TLS the
 * server knows the caller by its certificate, and an asserted AUTH_SYS name
 * would count for nothing.
 */
#include "conexion_privada.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpcclient.h"
#include "stream.h"
#include "tls_client.h"
#include "xdrproc.h"

/* -- the TLS stream under the CLIENT (stream.h) ----------------------------- */

static ssize_t
tls_read(void *h, void *buf, size_t len)
{
    return tls_stream_recv(h, buf, len);
}

static ssize_t
tls_write(void *h, const void *buf, size_t len)
{
    return tls_stream_send(h, buf, len);
}

static size_t
tls_pending(void *h)
{
    return tls_stream_pending(h);
}

static short
tls_events(void *h, short want)
{
    (void)want;
    return tls_stream_events(h);
}

static int
tls_fd(void *h)
{
    return tls_stream_fd(h);
}

/* close_notify, then the socket. */
static void
tls_close(void *h)
{
    int fd = tls_stream_fd(h);

    tls_stream_close(h);
    (void)close(fd);
}

static const struct stream_ops tls_ops = {
    .read = tls_read, .write = tls_write, .pending = tls_pending,
    .events = tls_events, .fd = tls_fd, .close = tls_close,
};

/* -- opening ----------------------------------------------------------------- */

/* What the server said of the probe, as the connection's outcome. */
static enum clnt_stat
sin_tls(struct conexion *c, int r, const char *por_que)
{
    if (r == 0)
        conexion_fallo(c, "El servidor en %s no ofrece RPC con TLS: %s. Con --tls "
                       "nunca se habla en claro; arranque el servidor con "
                       "--tls-cert, --tls-key y --tls-ca, o quite --tls.",
                       c->host, por_que);
    else
        conexion_fallo(c, "No se pudo pedir TLS al servidor en %s: %s.", c->host,
                       por_que);
    return RPC_AUTHERROR;
}

/* The handshake failed: why, and what to check. */
static enum clnt_stat
saludo_fallido(struct conexion *c, const char *por_que)
{
    conexion_fallo(c, "No se pudo establecer TLS con el servidor en %s: %s. "
                   "Compruebe --tls-ca (la CA de la cadena), que el certificado "
                   "del servidor sea para «%s», y --tls-cert/--tls-key (el de "
                   "esta sucursal, vigente y no revocado).", c->host, por_que,
                   c->host);
    return RPC_AUTHERROR;
}

enum clnt_stat
conexion_tls_abrir(struct conexion *c, int fd, rpcvers_t vers, int *err,
                   rpcvers_t *alta)
{
    struct timeval tv = { .tv_sec = (time_t)(c->espera_ms / 1000),
                          .tv_usec = (suseconds_t)(c->espera_ms % 1000) * 1000 };
    char por_que[512];
    struct tls_stream *t;
    struct rpc_err re;
    enum clnt_stat st;
    uint32_t high = 0;
    CLIENT *cl;
    int r, cancelar[2];

    r = tls_client_probe(fd, (uint32_t)c->prog, (uint32_t)vers, (int)c->espera_ms, &high,
                  por_que, sizeof por_que);
    if (r == TLS_CLIENT_PROBE_MISMATCH) {
        close(fd);
        *alta = high;
        return RPC_PROGVERSMISMATCH;
    }
    if (r != TLS_CLIENT_PROBE_STARTTLS) {
        close(fd);
        return sin_tls(c, r, por_que);
    }
    if ((t = tls_stream_open(c->tls, fd, c->host, (int)c->espera_ms, por_que,
                             sizeof por_que)) == NULL) {
        close(fd);
        return saludo_fallido(c, por_que);
    }
    /* The stream (and with it fd) is the CLIENT's from now on. */
    if ((cl = rpcclient_create((struct stream){ &tls_ops, t }, c->prog, vers)) == NULL) {
        *err = rpc_createerr.cf_error.re_errno;
        return rpc_createerr.cf_stat;
    }
    conexion_cancelar_fds(c, cancelar);
    (void)clnt_control(cl, RPCCLIENT_SET_CANCEL_FDS, cancelar);
    (void)clnt_control(cl, CLSET_TIMEOUT, &tv);
    st = clnt_call(cl, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void), NULL, tv);
    if (st != RPC_SUCCESS) {
        clnt_geterr(cl, &re);
        *err = re.re_errno;
        if (st == RPC_PROGVERSMISMATCH)
            *alta = re.re_vers.high;
        /* TLS 1.3 tells a refused client certificate only now, on the
         * first read after the handshake: the server's alert says why. */
        if (tls_stream_error(t)[0] != '\0')
            st = saludo_fallido(c, tls_stream_error(t));
        descubrir_destruir(cl);
        return st;
    }
    c->clnt = cl;
    c->vers = vers;
    return RPC_SUCCESS;
}
