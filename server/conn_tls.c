/* conn_tls.c - the TLS byte layer of a server connection; see conn_tls.h. */
#include "conn_tls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acceso.h"
#include "tls_server.h"

_Static_assert(ACCESO_IDENTIDAD_MAX == TLS_IDENTITY_MAX,
               "--allow-write tls:NAME takes the names tls.h gives");

/* Set once by conn_tls_init before the loop starts; read-only after. */
static struct tls_server *server;

/* c->io_ctx of a TLS connection. */
struct conn_tls {
    struct tls_session *s;
    bool                done;       /* handshake complete */
};

void
conn_tls_init(struct tls_server *srv)
{
    server = srv;
}

bool
conn_tls_offered(void)
{
    return server != NULL;
}

static ssize_t tls_recv(struct conn *c, void *buf, size_t len);
static ssize_t tls_send(struct conn *c, const void *buf, size_t len);
static void tls_close(struct conn *c);

static const struct conn_io conn_io_tls = { tls_recv, tls_send, tls_close };

bool
conn_tls_active(const struct conn *c)
{
    return c->io == &conn_io_tls;
}

bool
conn_tls_begin(struct conn *c, uint64_t now_ms)
{
    struct conn_tls *t = calloc(1, sizeof *t);
    const char *pre = c->pend != NULL ? c->pend + c->pend_off : NULL;
    size_t npre = c->pend != NULL ? c->pend_len - c->pend_off : 0;

    if (t == NULL || (t->s = tls_session_new(server, c->fd, c->addr, pre, npre)) == NULL) {
        free(t);
        return false;
    }
    free(c->pend);
    c->pend = NULL;
    c->pend_len = c->pend_off = 0;
    c->t_first_ms = now_ms;
    /* TLS writes a flight or a record in pieces: with Nagle's algorithm
     * each piece after the first waits for the peer's delayed ACK (40 ms
     * here, on every handshake and many replies).  Best effort. */
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
    pthread_mutex_lock(&c->mu);
    c->has_pend = false;
    c->io_ctx = t;
    c->io = &conn_io_tls;
    pthread_mutex_unlock(&c->mu);
    return true;
}

bool
conn_tls_handshaking(const struct conn *c)
{
    return conn_tls_active(c) && !((const struct conn_tls *)c->io_ctx)->done;
}

bool
conn_tls_wants_write(const struct conn *c)
{
    return conn_tls_active(c) &&
           tls_session_wants_write(((const struct conn_tls *)c->io_ctx)->s);
}

const char *
conn_tls_identity(const struct conn *c)
{
    const struct conn_tls *t;

    if (!conn_tls_active(c))
        return NULL;
    t = c->io_ctx;
    return t->done ? tls_session_identity(t->s) : NULL;
}

/*
 * The handshake first, then records.  The loop takes a short read for a
 * drained socket (edge-triggered epoll), so this reads until GnuTLS says
 * EAGAIN or buf is full: one TLS record at a time would stop short with
 * bytes still in the socket, or decrypted and held in the session, that no
 * epoll event would ever announce again.
 */
static ssize_t
tls_recv(struct conn *c, void *buf, size_t len)
{
    struct conn_tls *t = c->io_ctx;
    size_t got = 0;

    if (!t->done) {
        switch (tls_session_handshake(t->s)) {
        case TLS_STEP_DONE:
            t->done = true;
            break;
        case TLS_STEP_READ:
        case TLS_STEP_WRITE:
            errno = EAGAIN;
            return -1;
        default:
            errno = EPROTO;         /* refused and logged: close it */
            return -1;
        }
    }
    while (got < len) {
        ssize_t n = tls_session_read(t->s, (char *)buf + got, len - got);

        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (got > 0)                /* the end or EAGAIN: next time */
            return (ssize_t)got;
        return n;
    }
    return (ssize_t)got;
}

static ssize_t
tls_send(struct conn *c, const void *buf, size_t len)
{
    return tls_session_write(((struct conn_tls *)c->io_ctx)->s, buf, len);
}

static void
tls_close(struct conn *c)
{
    struct conn_tls *t = c->io_ctx;

    tls_session_free(t->s);
    free(t);
    close(c->fd);
}
