/* loop_admision.c - the event loop's limits: who gets in, and who is closed when.
 *
 * Accepting (the per-address and table limits, and the connection evicted
 * to make room) and the sweep a few times a second (--send-timeout,
 * --call-timeout, --idle-timeout, giving memory back after a flood).  Runs
 * on the loop's thread only; see loop.c for the locks and loop_priv.h for
 * the state it shares with it.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "conn_tls.h"
#include "log.h"
#include "loop_priv.h"

/* -- accepting -------------------------------------------------------------- */

/* The connection idle (or trickling) longest, of one address if addr16 is
 * given; NULL if every candidate has a call running.  Linear in the table:
 * it runs only when a limit is reached. */
static struct conn *
victim(const uint8_t *addr16)
{
    struct conn *best = NULL;
    uint64_t oldest = UINT64_MAX;

    for (size_t i = 0; i < L.n; i++) {
        struct conn *c = L.tab[i];
        uint64_t t;
        bool busy;

        if (addr16 != NULL && memcmp(c->addr16, addr16, 16) != 0)
            continue;
        pthread_mutex_lock(&c->mu);
        busy = c->in_call;
        t = c->t_active_ms;
        pthread_mutex_unlock(&c->mu);
        if (!busy && t < oldest) {
            oldest = t;
            best = c;
        }
    }
    return best;
}

static size_t
count_addr(const uint8_t *addr16)
{
    size_t k = 0;

    for (size_t i = 0; i < L.n; i++)
        k += memcmp(L.tab[i]->addr16, addr16, 16) == 0;
    return k;
}

/* Takes one new connection into the table; false if it had to be refused. */
static bool
admit(struct conn *c)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = c };

    if (count_addr(c->addr16) >= L.o->max_per_addr) {
        struct conn *v = victim(c->addr16);

        if (v == NULL) {
            log_limitado("limite-direccion", c->addr, "%s tiene ya %u conexiones "
                         "ocupadas; se rechaza otra", c->addr, L.o->max_per_addr);
            return false;
        }
        log_limitado("expulsion", c->addr, "%s llegó a %u conexiones: se cierra "
                     "su conexión inactiva más antigua", c->addr,
                     L.o->max_per_addr);
        loop_kill(v);
    }
    if (L.n >= L.o->max_conns) {
        struct conn *v = victim(NULL);

        if (v == NULL) {
            log_limitado("limite", c->addr, "%u conexiones, todas con una llamada "
                         "en curso: se rechaza la de %s", L.o->max_conns, c->addr);
            return false;
        }
        log_limitado("expulsion-tabla", "", "%u conexiones: se cierra la inactiva "
                     "más antigua (de %s) para admitir otra", L.o->max_conns, v->addr);
        loop_kill(v);
    }
    if (L.n == L.cap) {
        size_t ncap = L.cap ? L.cap * 2 : 64;
        struct conn **nt = realloc(L.tab, ncap * sizeof *nt);

        if (nt == NULL)
            return false;
        L.tab = nt;
        L.cap = ncap;
    }
    if (epoll_ctl(L.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        log_warn("bucle: epoll_ctl");
        return false;
    }
    c->slot = (uint32_t)L.n;
    L.tab[L.n++] = c;
    atomic_store(&loop_n_conexiones, (unsigned)L.n);
    return true;
}

void
loop_accept(int lfd, uint64_t now)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in6 peer;
        socklen_t len = sizeof peer;
        struct conn *c;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                log_limitado("emfile", "", "no quedan descriptores de archivo "
                             "para aceptar conexiones");
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                     errno != ECONNABORTED)
                log_warn("bucle: accept");
            return;
        }
        L.last_accept = now;
        c = conn_new(fd, (struct sockaddr *)&peer, len, L.o->rec_max, now);
        if (c == NULL) {
            close(fd);
            continue;
        }
        if (!admit(c))
            conn_unref(c);
    }
}

/* -- timers ----------------------------------------------------------------- */

uint64_t
loop_since(uint64_t now, uint64_t t)
{
    return now > t ? now - t : 0;
}

void
loop_sweep(uint64_t now)
{
    const struct loop_opts *o = L.o;

    for (size_t i = 0; i < L.n; ) {
        struct conn *c = L.tab[i];
        bool busy;
        size_t out;
        uint64_t t_out, t_active;

        pthread_mutex_lock(&c->mu);
        busy = c->in_call;
        out = c->out_len - c->out_off;
        t_out = c->t_out_ms;
        t_active = c->t_active_ms;
        pthread_mutex_unlock(&c->mu);
        if (out > 0 && loop_since(now, t_out) > o->send_timeout_ms) {
            log_limitado("no-lee", c->addr, "%s no lee sus respuestas (%zu bytes "
                         "pendientes): se cierra la conexión", c->addr, out);
        } else if (!busy && (recmark_partial(&c->rm) || conn_tls_handshaking(c)) &&
                   loop_since(now, c->t_first_ms) > o->call_timeout_ms) {
            log_limitado("lenta", c->addr, "%s no completó %s en %u ms: "
                         "se cierra la conexión", c->addr,
                         conn_tls_handshaking(c) ? "el saludo TLS" : "una llamada",
                         o->call_timeout_ms);
        } else if (!busy && out == 0 && o->idle_secs > 0 &&
                   !recmark_partial(&c->rm) && !conn_tls_handshaking(c) &&
                   loop_since(now, t_active) > (uint64_t)o->idle_secs * 1000) {
            log_debug("%s: conexión inactiva cerrada", c->addr);
        } else {
            i++;
            continue;
        }
        loop_kill(c);           /* moves the last entry into slot i */
    }
    /* After a flood has gone, give the freed memory back to the system. */
    if (L.closed_since_trim >= 64 && loop_since(now, L.last_accept) > 1000) {
        malloc_trim(0);
        L.closed_since_trim = 0;
    }
    log_limitado_vaciar(false);
}
