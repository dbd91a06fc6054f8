/* tls_client.c - the AUTH_TLS probe and the client's TLS stream; see tls_client.h. */
#include "tls_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

#define TLS_RECORD_MAX 16384

struct tls_client {
    struct tls_credentials c;
};

struct tls_stream {
    gnutls_session_t     g;
    int                  fd;
    bool                 done;
    char                 host[256];
    char                 error[256];    /* tls_stream_error */
    bool                 send_pending;  /* a record waits in GnuTLS: flush it */
    /* What the server's certificate must be: for host, and for a TLS
     * server.  GnuTLS keeps a pointer to this until the session ends. */
    gnutls_typed_vdata_st want[2];
};

/* -- time ------------------------------------------------------------------ */

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1: none), at least 0. */
static int
left(long long deadline)
{
    long long l;

    if (deadline < 0)
        return -1;
    l = deadline - now_ms();
    return l < 0 ? 0 : l > 1000000000 ? 1000000000 : (int)l;
}

/* Waits until fd is ready for 'events' or the deadline passes: 1 ready,
 * 0 timeout (errno ETIMEDOUT), -1 error. */
static int
wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    do
        r = poll(&p, 1, left(deadline));
    while (r < 0 && errno == EINTR);
    if (r == 0)
        errno = ETIMEDOUT;
    return r;
}

/* -- the probe ------------------------------------------------------------- */

static bool
send_all(int fd, const unsigned char *p, size_t n, long long deadline)
{
    while (n > 0) {
        ssize_t r;

        if (wait_fd(fd, POLLOUT, deadline) <= 0)
            return false;
        r = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* Reads exactly n bytes and no more: what follows the probe's reply on
 * the socket belongs to TLS. */
static bool
recv_exact(int fd, unsigned char *p, size_t n, long long deadline)
{
    while (n > 0) {
        ssize_t r;

        if (wait_fd(fd, POLLIN, deadline) <= 0)
            return false;
        r = recv(fd, p, n, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r == 0)
            errno = ECONNRESET;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static uint32_t
get32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return ntohl(v);
}

static void
put32(unsigned char *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, 4);
}

/* What a reply to the probe says (tls_client.h, tls_client_probe). */
static int
probe_verdict(const unsigned char *r, size_t n, uint32_t xid, uint32_t *high,
              char *err, size_t errlen)
{
    size_t at;
    uint32_t vlen, stat;

    if (n < 12 || get32(r) != xid || get32(r + 4) != 1)
        goto not_rpc;
    if (get32(r + 8) == 1) {            /* MSG_DENIED */
        snprintf(err, errlen, "rechaza la credencial AUTH_TLS (no conoce RPC con "
                 "TLS o no tiene certificado)");
        return TLS_CLIENT_PROBE_NO_TLS;
    }
    if (n < 20 || (vlen = get32(r + 16)) > 400)
        goto not_rpc;
    at = 20 + ((vlen + 3) & ~3u);       /* past the verifier */
    if (n < at + 4)
        goto not_rpc;
    stat = get32(r + at);
    if (stat == 2 && n >= at + 12) {    /* PROG_MISMATCH: low, high */
        *high = get32(r + at + 8);
        snprintf(err, errlen, "no ofrece esa versión (sí hasta la %u)", *high);
        return TLS_CLIENT_PROBE_MISMATCH;
    }
    if (stat != 0) {
        snprintf(err, errlen, "la sonda AUTH_TLS no fue aceptada (estado %u)", stat);
        return TLS_CLIENT_PROBE_ERROR;
    }
    if (get32(r + 12) == 0 && vlen == TLS_STARTTLS_LEN &&
        memcmp(r + 20, TLS_STARTTLS, TLS_STARTTLS_LEN) == 0)
        return TLS_CLIENT_PROBE_STARTTLS;
    snprintf(err, errlen, "respondió a la sonda AUTH_TLS sin STARTTLS");
    return TLS_CLIENT_PROBE_NO_TLS;
not_rpc:
    snprintf(err, errlen, "la respuesta a la sonda AUTH_TLS no es de ONC RPC");
    return TLS_CLIENT_PROBE_ERROR;
}

int
tls_client_probe(int fd, uint32_t prog, uint32_t vers, int timeout_ms, uint32_t *high,
          char *err, size_t errlen)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    unsigned char call[4 + 40], reply[512];
    uint32_t xid, mark;
    size_t got = 0;
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    xid = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16);
    put32(call, 0x80000000u | 40);
    put32(call + 4, xid);
    put32(call + 8, 0);                 /* CALL */
    put32(call + 12, 2);                /* rpcvers */
    put32(call + 16, prog);
    put32(call + 20, vers);
    put32(call + 24, 0);                /* NULL */
    put32(call + 28, TLS_AUTH_FLAVOR);  /* credential: AUTH_TLS, empty */
    put32(call + 32, 0);
    put32(call + 36, 0);                /* verifier: AUTH_NONE, empty */
    put32(call + 40, 0);
    if (!send_all(fd, call, sizeof call, deadline))
        goto io_error;
    /* The reply, fragment by fragment; a probe's reply is a few words. */
    do {
        unsigned char m[4];
        size_t len;

        if (!recv_exact(fd, m, 4, deadline))
            goto io_error;
        mark = get32(m);
        len = mark & 0x7FFFFFFFu;
        if (len > sizeof reply - got) {
            snprintf(err, errlen, "la respuesta a la sonda AUTH_TLS no es de ONC RPC");
            return TLS_CLIENT_PROBE_ERROR;
        }
        if (!recv_exact(fd, reply + got, len, deadline))
            goto io_error;
        got += len;
    } while (!(mark & 0x80000000u));
    return probe_verdict(reply, got, xid, high, err, errlen);
io_error:
    snprintf(err, errlen, "sin respuesta a la sonda AUTH_TLS: %s",
             errno == ETIMEDOUT ? "tiempo agotado" :
             errno == ECONNRESET ? "el servidor cerró la conexión" : strerror(errno));
    return TLS_CLIENT_PROBE_ERROR;
}

/* -- credentials ----------------------------------------------------------- */

struct tls_client *
tls_client_new(const struct tls_client_files *f, char *err, size_t errlen)
{
    struct tls_client *c = calloc(1, sizeof *c);

    if (c == NULL) {
        snprintf(err, errlen, "sin memoria para TLS");
        return NULL;
    }
    if (!tls_credentials_load(&c->c, f->cert, f->key, f->ca, NULL, err, errlen)) {
        free(c);
        return NULL;
    }
    return c;
}

void
tls_client_free(struct tls_client *c)
{
    if (c == NULL)
        return;
    tls_credentials_free(&c->c);
    free(c);
}

/* -- the stream -------------------------------------------------------------- */

static bool
is_address(const char *host)
{
    unsigned char a[16];

    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* Waits for the direction GnuTLS's last EAGAIN was about. */
static int
wait_session(struct tls_stream *t, long long deadline)
{
    return wait_fd(t->fd, gnutls_record_get_direction(t->g) ? POLLOUT : POLLIN,
                   deadline);
}

static bool
setup(const struct tls_client *c, struct tls_stream *t, const char *host)
{
    snprintf(t->host, sizeof t->host, "%s", host);
    t->want[0] = (gnutls_typed_vdata_st){ GNUTLS_DT_DNS_HOSTNAME,
                                          (unsigned char *)t->host, 0 };
    t->want[1] = (gnutls_typed_vdata_st){ GNUTLS_DT_KEY_PURPOSE_OID,
                                          (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 };
    if (gnutls_init(&t->g, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
        t->g = NULL;
        return false;
    }
    if (gnutls_priority_set(t->g, c->c.prio) < 0 ||
        gnutls_credentials_set(t->g, GNUTLS_CRD_CERTIFICATE, c->c.cred) < 0 ||
        tls_set_alpn(t->g) < 0)
        return false;
    /* SNI is for names only (RFC 6066). */
    if (!is_address(host) &&
        gnutls_server_name_set(t->g, GNUTLS_NAME_DNS, host, strlen(host)) < 0)
        return false;
    gnutls_session_set_verify_cert2(t->g, t->want, 2, 0);
    gnutls_handshake_set_timeout(t->g, 0);
    gnutls_transport_set_int(t->g, t->fd);
    return true;
}

struct tls_stream *
tls_stream_open(const struct tls_client *c, int fd, const char *host, int timeout_ms,
                char *err, size_t errlen)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    struct tls_stream *t = calloc(1, sizeof *t);
    int fl, r;

    if (t == NULL) {
        snprintf(err, errlen, "sin memoria para TLS");
        return NULL;
    }
    t->fd = fd;
    if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "TLS: fcntl: %s", strerror(errno));
        goto fail;
    }
    /* As on the server (conn_tls.c): no Nagle delay between TLS's pieces. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
    if (!setup(c, t, host)) {
        snprintf(err, errlen, "no se pudo preparar la sesión TLS");
        goto fail;
    }
    for (;;) {
        r = gnutls_handshake(t->g);
        if (r == GNUTLS_E_SUCCESS)
            break;
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(r)) {
            if (wait_session(t, deadline) > 0)
                continue;
            snprintf(err, errlen, "saludo TLS: %s", errno == ETIMEDOUT
                     ? "tiempo agotado" : strerror(errno));
            goto fail;
        }
        tls_error_text(t->g, r, err, errlen);
        goto fail;
    }
    if (!tls_alpn_ok(t->g)) {
        snprintf(err, errlen, "el servidor no acordó el protocolo de aplicación "
                 "ALPN sunrpc");
        goto fail;
    }
    t->done = true;
    return t;
fail:
    tls_stream_close(t);
    return NULL;
}

ssize_t
tls_stream_recv(struct tls_stream *t, void *buf, size_t len)
{
    ssize_t r;

    for (;;) {
        r = gnutls_record_recv(t->g, buf, len);
        if (r >= 0)
            return r;
        if (r == GNUTLS_E_PREMATURE_TERMINATION)
            return 0;
        if (r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r == GNUTLS_E_AGAIN) {
            errno = EAGAIN;
            return -1;
        }
        if (!gnutls_error_is_fatal((int)r))
            continue;
        tls_error_text(t->g, (int)r, t->error, sizeof t->error);
        errno = r == GNUTLS_E_PULL_ERROR ? ECONNRESET : EPROTO;
        return -1;
    }
}

ssize_t
tls_stream_send(struct tls_stream *t, const void *buf, size_t len)
{
    ssize_t r;

    if (len > TLS_RECORD_MAX)
        len = TLS_RECORD_MAX;
    for (;;) {
        r = t->send_pending ? gnutls_record_send(t->g, NULL, 0)
                            : gnutls_record_send(t->g, buf, len);
        if (r >= 0) {
            t->send_pending = false;
            return r;
        }
        if (r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r == GNUTLS_E_AGAIN) {
            t->send_pending = true;
            errno = EAGAIN;
            return -1;
        }
        tls_error_text(t->g, (int)r, t->error, sizeof t->error);
        errno = r == GNUTLS_E_PUSH_ERROR ? EPIPE : EPROTO;
        return -1;
    }
}

size_t
tls_stream_pending(const struct tls_stream *t)
{
    return gnutls_record_check_pending(t->g);
}

short
tls_stream_events(const struct tls_stream *t)
{
    return gnutls_record_get_direction(t->g) ? POLLOUT : POLLIN;
}

int
tls_stream_fd(const struct tls_stream *t)
{
    return t->fd;
}

ssize_t
tls_stream_read(struct tls_stream *t, void *buf, size_t len, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

    for (;;) {
        ssize_t r = tls_stream_recv(t, buf, len);

        if (r >= 0 || errno != EAGAIN)
            return r;
        if (wait_session(t, deadline) <= 0)
            return -1;
    }
}

ssize_t
tls_stream_write(struct tls_stream *t, const void *buf, size_t len, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    const unsigned char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t r = tls_stream_send(t, p + done, len - done);

        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno != EAGAIN || wait_session(t, deadline) <= 0)
            return -1;
    }
    return (ssize_t)len;
}

const char *
tls_stream_error(const struct tls_stream *t)
{
    return t->error;
}

void
tls_stream_close(struct tls_stream *t)
{
    if (t == NULL)
        return;
    if (t->g != NULL) {
        if (t->done && !t->send_pending)
            gnutls_bye(t->g, GNUTLS_SHUT_WR);
        gnutls_deinit(t->g);
    }
    free(t);
}
