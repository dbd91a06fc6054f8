/* loop.c - the event loop; see loop.h.
 *
 * Threads and locks: everything in 'L' is the loop thread's, except the
 * ready list (rl_mu) and the connection count (atomic).  A worker that ends
 * a call on a connection with more to read puts it on the ready list
 * (taking conn.mu, then rl_mu, never the other way) and wakes the loop
 * through an eventfd; a connection with nothing more to read costs the
 * loop no wake-up at all: its next bytes come as an epoll event.
 *
 * Sockets are registered once, edge-triggered, for input and output.  The
 * loop keeps reading a connection until the socket is drained (a short
 * read) or it has to stop (a whole call, back-pressure); 'can_read' (under
 * conn.mu) remembers that the socket may still hold bytes, for when the
 * call ends or the output drains.
 *
 * A connection the loop closes while one of its calls runs is marked dead
 * and shut down; its fd stays open until the call lets go (conn_unref), so
 * no worker ever writes to a reused fd.  Connections closed while handling
 * one epoll batch are released after it, since a later event of the same
 * batch may name them.
 */
#include "loop.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "conn_tls.h"
#include "log.h"
#include "loop_priv.h"

#define MAX_EVENTS 256
#define SWEEP_MS   250
/* epoll tags below this are not connections (conn pointers are larger). */
#define TAG_SIG    1
#define TAG_WAKE   2
#define TAG_LISTEN 16
#define TAG_MAX    4096

/* The one loop (loop_priv.h): global so that loop_admision.c shares it;
 * only the loop thread touches it, but for the ready list (rl_mu). */
struct loop_state L = { .ep = -1, .wake_fd = -1, .rl_mu = PTHREAD_MUTEX_INITIALIZER };

_Atomic unsigned loop_n_conexiones;

unsigned
loop_conexiones(void)
{
    return atomic_load(&loop_n_conexiones);
}

/* -- the calls' side: what svcx calls on a worker -------------------------- */

static void
sink_send(void *ctx, const char *buf, size_t len)
{
    (void)conn_send(ctx, buf, len, svcx_now_ms());
}

static void
wake_loop(void)
{
    uint64_t one = 1;

    if (write(L.wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("bucle: no se pudo despertar");
}

static void
sink_done(void *ctx, enum svcx_result r)
{
    struct conn *c = ctx;
    bool push = false, close_it = r == SVCX_NOT_A_CALL;

    switch (r) {
    case SVCX_OK:
        break;
    case SVCX_NOT_A_CALL:
        log_limitado("registro", c->addr, "%s envió un registro que no es una "
                     "llamada RPC; se cierra la conexión", c->addr);
        break;
    case SVCX_RPC_MISMATCH:
        log_limitado("rpcvers", c->addr, "%s llamó con una versión de RPC que "
                     "no es la 2; respondida con RPC_MISMATCH", c->addr);
        break;
    case SVCX_BAD_CRED:
    case SVCX_REJECTED_CRED:
        log_limitado("credencial", c->addr, "%s envió una credencial mal "
                     "formada o de un tipo no admitido; respondida con "
                     "AUTH_ERROR", c->addr);
        break;
    case SVCX_NO_PROG:
        log_limitado("programa", c->addr, "%s llamó a otro programa o versión",
                     c->addr);
        break;
    case SVCX_STARTTLS:
        break;
    }
    pthread_mutex_lock(&c->mu);
    c->in_call = false;
    c->t_active_ms = svcx_now_ms();
    if (close_it)
        c->want_close = true;
    /* TLS: the loop makes the switch (tls_switch), on its own thread. */
    if (r == SVCX_STARTTLS)
        c->tls_start = true;
    if (!c->dead && !c->queued &&
        (c->can_read || c->has_pend || c->want_close || c->tls_start)) {
        c->queued = true;
        c->refs++;
        push = true;
    }
    pthread_mutex_unlock(&c->mu);
    if (push) {
        bool was_empty;

        pthread_mutex_lock(&L.rl_mu);
        c->ready_next = NULL;
        was_empty = L.rl_head == NULL;
        if (L.rl_tail != NULL)
            L.rl_tail->ready_next = c;
        else
            L.rl_head = c;
        L.rl_tail = c;
        pthread_mutex_unlock(&L.rl_mu);
        if (was_empty)
            wake_loop();
    }
    conn_unref(c);              /* the call's reference */
}

static const struct svcx_sink conn_sink = { sink_send, sink_done };

/* -- closing ---------------------------------------------------------------- */

/* Closes c: out of the table and of epoll at once; its memory and fd go
 * when the last reference does (after this batch, or when its call ends). */
void
loop_kill(struct conn *c)
{
    bool busy;

    pthread_mutex_lock(&c->mu);
    if (c->dead) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->dead = true;
    busy = c->in_call;
    pthread_mutex_unlock(&c->mu);
    (void)epoll_ctl(L.ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (busy)
        (void)shutdown(c->fd, SHUT_RDWR);   /* the peer hears of it now */
    L.tab[c->slot] = L.tab[--L.n];
    L.tab[c->slot]->slot = c->slot;
    atomic_store(&loop_n_conexiones, (unsigned)L.n);
    L.closed_since_trim++;
    c->grave_next = L.grave;        /* the table's reference, dropped later */
    L.grave = c;
}

static void
bury(void)
{
    while (L.grave != NULL) {
        struct conn *c = L.grave;

        L.grave = c->grave_next;
        conn_unref(c);
    }
}

/* -- reading ---------------------------------------------------------------- */

/* Hands the whole record in c->rm to the pool as a call. */
static void
dispatch(struct conn *c, bool more_in_socket, uint64_t now)
{
    struct svcx_call *call;
    char *rec;
    size_t len;

    recmark_take(&c->rm, &rec, &len);
    call = svcx_new(L.o->rpc, rec, len, (const struct sockaddr *)&c->peer,
                    c->peerlen, &conn_sink, c);
    if (call == NULL) {
        log_warnx("sin memoria para una llamada de %s", c->addr);
        loop_kill(c);
        return;
    }
    svcx_set_tls(call, conn_tls_offered() && !conn_tls_active(c), conn_tls_identity(c));
    pthread_mutex_lock(&c->mu);
    c->in_call = true;
    c->refs++;                          /* the call's reference */
    c->can_read = more_in_socket;
    c->has_pend = c->pend != NULL;
    c->t_active_ms = now;
    pthread_mutex_unlock(&c->mu);
    pool_submit(svcx_job(call));
}

/* Feeds bytes to c's record reader.  Returns 1 if a record is whole (the
 * bytes after *used are the next one's), 0 if all were taken, -1 if the
 * connection was closed for a bad record. */
static int
feed(struct conn *c, const char *data, size_t n, size_t *used, uint64_t now)
{
    enum recmark_rc rc;

    if (n > 0 && !recmark_partial(&c->rm))
        c->t_first_ms = now;            /* --call-timeout counts from here */
    rc = recmark_feed(&c->rm, data, n, used);
    if (rc == RECMARK_ERROR) {
        log_limitado("registro", c->addr, "%s envió un registro de más de %u "
                     "bytes o de demasiados fragmentos; se cierra la conexión",
                     c->addr, (unsigned)L.o->rec_max);
        loop_kill(c);
        return -1;
    }
    return rc == RECMARK_RECORD;
}

/* Whether the loop may read c now; if not, remembers that bytes may wait. */
static bool
may_read(struct conn *c)
{
    bool ok;

    pthread_mutex_lock(&c->mu);
    ok = !c->dead && !c->in_call && !L.draining && !c->tls_start &&
         c->out_len - c->out_off <= L.o->out_max;
    if (!ok && !c->dead)
        c->can_read = true;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

/* Reads c until a call is whole, the socket is drained, or it must stop. */
static void
conn_read(struct conn *c, uint64_t now)
{
    size_t used;
    int r;

    if (!may_read(c))
        return;
    if (c->pend != NULL) {              /* bytes read past the last call */
        r = feed(c, c->pend + c->pend_off, c->pend_len - c->pend_off, &used, now);
        if (r < 0)
            return;
        c->pend_off += used;
        if (c->pend_off == c->pend_len) {
            free(c->pend);
            c->pend = NULL;
            c->pend_len = c->pend_off = 0;
        }
        if (r == 1) {
            bool more;

            pthread_mutex_lock(&c->mu);
            more = c->can_read;
            pthread_mutex_unlock(&c->mu);
            dispatch(c, more, now);
            return;
        }
    }
    for (;;) {
        ssize_t n = c->io->recv(c, L.scratch, SCRATCH);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pthread_mutex_lock(&c->mu);
            c->can_read = false;
            pthread_mutex_unlock(&c->mu);
            return;
        }
        if (n <= 0) {                   /* the peer closed, or an error */
            loop_kill(c);
            return;
        }
        r = feed(c, L.scratch, (size_t)n, &used, now);
        if (r < 0)
            return;
        if (r == 1) {
            if (used < (size_t)n) {
                c->pend_len = (size_t)n - used;
                if ((c->pend = malloc(c->pend_len)) == NULL) {
                    loop_kill(c);
                    return;
                }
                memcpy(c->pend, L.scratch + used, c->pend_len);
                c->pend_off = 0;
            }
            /* A short read drained the socket, but for an end of stream
             * that epoll already reported: that one must still be read. */
            dispatch(c, n == SCRATCH || c->hup, now);
            return;
        }
        if (n < SCRATCH && !c->hup) {   /* drained: the next bytes are an event */
            pthread_mutex_lock(&c->mu);
            c->can_read = false;
            pthread_mutex_unlock(&c->mu);
            return;
        }
    }
}

/*
 * RPC-with-TLS: once the STARTTLS reply has left the output buffer, the
 * connection turns to TLS (conn_tls.h) and is read at once, since the
 * ClientHello may already be in the socket.  Returns 1 if it switched, 0
 * if there was nothing to do (or the reply is still going out), -1 if the
 * connection had to be closed.
 */
static int
tls_switch(struct conn *c, uint64_t now)
{
    bool go;

    pthread_mutex_lock(&c->mu);
    go = c->tls_start && !c->dead && c->out_len == c->out_off;
    if (go)
        c->tls_start = false;
    pthread_mutex_unlock(&c->mu);
    if (!go)
        return 0;
    if (!conn_tls_begin(c, now)) {
        log_warnx("sin memoria para TLS con %s", c->addr);
        loop_kill(c);
        return -1;
    }
    conn_read(c, now);
    return 1;
}

/* The socket takes more: write what waits, and read again if that lifted
 * the back-pressure (or a TLS handshake was waiting to write). */
static void
conn_write(struct conn *c, uint64_t now)
{
    ssize_t left = conn_flush(c, now);
    bool again;

    if (left < 0) {
        loop_kill(c);
        return;
    }
    if (left == 0 && tls_switch(c, now) != 0)
        return;
    pthread_mutex_lock(&c->mu);
    again = (c->can_read || conn_tls_wants_write(c)) && !c->in_call &&
            (size_t)left <= L.o->out_max;
    pthread_mutex_unlock(&c->mu);
    if (again)
        conn_read(c, now);
}

/* Connections whose call ended with more to read (or to close). */
static void
run_ready(uint64_t now)
{
    struct conn *c;

    pthread_mutex_lock(&L.rl_mu);
    c = L.rl_head;
    L.rl_head = L.rl_tail = NULL;
    pthread_mutex_unlock(&L.rl_mu);
    while (c != NULL) {
        struct conn *next = c->ready_next;
        bool close_it;

        pthread_mutex_lock(&c->mu);
        c->queued = false;
        close_it = c->want_close && !c->dead;
        pthread_mutex_unlock(&c->mu);
        if (close_it)
            loop_kill(c);
        else if (tls_switch(c, now) == 0)
            conn_read(c, now);
        conn_unref(c);                  /* the ready list's reference */
        c = next;
    }
}

/* -- the loop ----------------------------------------------------------------- */

/* A signal: SIGHUP is noted and ignored (the log is stderr, nothing to
 * reopen); anything else stops the loop.  Returns true to stop. */
static bool
on_signal(void)
{
    struct signalfd_siginfo si;
    bool stop = false;

    while (read(L.o->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP)
            log_info("SIGHUP recibida: el registro va a la salida de errores, "
                     "no hay archivo que reabrir; se sigue sirviendo");
        else
            stop = true;
    }
    return stop;
}

static int
add_tag(int fd, uint64_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

    return epoll_ctl(L.ep, EPOLL_CTL_ADD, fd, &ev);
}

int
loop_run(const struct loop_opts *o)
{
    struct epoll_event evs[MAX_EVENTS];

    L.o = o;
    if (o->n_listen > TAG_MAX - TAG_LISTEN) {
        log_warnx("bucle: demasiadas direcciones de escucha");
        return -1;
    }
    L.ep = epoll_create1(EPOLL_CLOEXEC);
    L.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (L.ep < 0 || L.wake_fd < 0 || add_tag(o->sig_fd, TAG_SIG) < 0 ||
        add_tag(L.wake_fd, TAG_WAKE) < 0) {
        log_warn("bucle: epoll");
        return -1;
    }
    for (size_t i = 0; i < o->n_listen; i++)
        if (add_tag(o->listen_fds[i], TAG_LISTEN + i) < 0) {
            log_warn("bucle: epoll");
            return -1;
        }
    L.last_sweep = svcx_now_ms();
    for (;;) {
        int n = epoll_wait(L.ep, evs, MAX_EVENTS, L.n > 0 ? SWEEP_MS : 1000);
        uint64_t now = svcx_now_ms();

        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_warn("bucle: epoll_wait");
            return -1;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            uint32_t e = evs[i].events;

            if (tag == TAG_SIG) {
                if (on_signal())
                    return 0;
            } else if (tag == TAG_WAKE) {
                uint64_t v;

                if (read(L.wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                    log_warn("bucle: eventfd");
            } else if (tag >= TAG_LISTEN && tag < TAG_MAX) {
                loop_accept(o->listen_fds[tag - TAG_LISTEN], now);
            } else {
                struct conn *c = evs[i].data.ptr;

                if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                    c->hup = true;
                if (e & EPOLLOUT)
                    conn_write(c, now);
                if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                    /* The socket has news; remembered even if what runs
                     * next is a call from bytes read before (pend). */
                    pthread_mutex_lock(&c->mu);
                    c->can_read = true;
                    pthread_mutex_unlock(&c->mu);
                    conn_read(c, now);
                }
            }
        }
        run_ready(now);
        if (now - L.last_sweep >= SWEEP_MS) {
            loop_sweep(now);
            L.last_sweep = now;
        }
        bury();
    }
}

/* Writes what waits on every connection; closes those that made no
 * progress for max_ms.  Returns whether any output still waits. */
static bool
flush_all(uint64_t now, unsigned max_ms)
{
    bool pending = false;

    for (size_t i = 0; i < L.n; ) {
        struct conn *c = L.tab[i];
        uint64_t t_out;

        if (conn_pending(c) == 0) {
            i++;
            continue;
        }
        conn_write(c, now);
        pthread_mutex_lock(&c->mu);
        t_out = c->t_out_ms;
        pthread_mutex_unlock(&c->mu);
        if (c->dead || loop_since(now, t_out) > max_ms) {
            loop_kill(c);           /* moves the last entry into slot i */
            continue;
        }
        pending = pending || conn_pending(c) > 0;
        i++;
    }
    return pending;
}

void
loop_drain(unsigned max_ms)
{
    struct epoll_event evs[MAX_EVENTS];

    L.draining = true;
    for (;;) {
        uint64_t now = svcx_now_ms();
        bool pending;

        run_ready(now);
        pending = flush_all(now, max_ms);
        bury();
        if (!pending)
            break;
        /* Edges may have come while the loop was not looking: poll the
         * sockets a few times a second rather than wait for one. */
        (void)epoll_wait(L.ep, evs, MAX_EVENTS, 20);
    }
}

void
loop_close_all(void)
{
    run_ready(svcx_now_ms());
    while (L.n > 0)
        loop_kill(L.tab[L.n - 1]);
    bury();
    free(L.tab);
    L.tab = NULL;
    L.cap = 0;
    if (L.ep >= 0)
        close(L.ep);
    if (L.wake_fd >= 0)
        close(L.wake_fd);
    L.ep = L.wake_fd = -1;
}
