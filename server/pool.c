/* pool.c - the poller and its workers; see pool.h.
 *
 * Threads and locks:
 *   - the poller (the thread that called pool_run) owns everything in
 *     struct pool marked "poller only", reads svc_pollfd without libtirpc's
 *     lock (harmless: a worker may set a slot to -1 under that lock, and a
 *     stale -1 or fd only costs one poll round), and is the only thread
 *     that accepts, so svc_pollfd is only ever reallocated on this thread;
 *   - workers run svc_getreq_common(fd) for the fds handed to them;
 *   - pool.mu guards the queue, busy[] and stopping.  It is never held
 *     while a request runs, and no other lock is taken while it is held.
 *
 * The rule that keeps libtirpc safe: busy[fd] is set by the poller when it
 * queues fd and cleared by the worker after svc_getreq_common(fd) returns;
 * while it is set, fd is not polled, so at most one thread touches a
 * connection.  A connection whose transport the worker destroyed disappears
 * from svc_pollfd by itself.
 */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "log.h"

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t  cv;         /* work queued, or stopping */
    int            *queue;      /* ring of fds waiting for a worker (mu) */
    size_t          qcap, qhead, qlen;
    unsigned char  *busy;       /* busy[fd]: handed to a worker (mu) */
    bool            stopping;   /* workers exit when the queue is empty (mu) */
    int             wake_fd;    /* eventfd: a worker finished a connection */

    /* poller only */
    size_t          nfd;        /* size of the per-fd arrays */
    unsigned char  *listener;   /* listener[fd] */
    unsigned char  *shut;       /* shut[fd]: we shut it down as idle */
    uint32_t       *seen;       /* round in which fd was last in svc_pollfd */
    time_t         *last;       /* last activity, monotonic seconds */
    struct pollfd  *pfd;
    uint32_t        round;
};

/* Open client connections, as the poller last counted them. */
static _Atomic unsigned conexiones;

unsigned
pool_conexiones(void)
{
    return atomic_load(&conexiones);
}

static time_t
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void *
worker(void *arg)
{
    struct pool *p = arg;
    uint64_t one = 1;

    for (;;) {
        int fd;

        pthread_mutex_lock(&p->mu);
        while (p->qlen == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->qlen == 0) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        fd = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        pthread_mutex_unlock(&p->mu);

        /* The whole request, reply included; may destroy the transport. */
        svc_getreq_common(fd);

        pthread_mutex_lock(&p->mu);
        p->busy[fd] = 0;
        pthread_mutex_unlock(&p->mu);
        if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_warn("pool: despertar al sondeador");
    }
    return NULL;
}

/* Hands fd to a worker; the queue holds every fd at most once, so it
 * cannot overflow (qcap == nfd). */
static void
enqueue(struct pool *p, int fd)
{
    pthread_mutex_lock(&p->mu);
    p->busy[fd] = 1;
    p->queue[(p->qhead + p->qlen) % p->qcap] = fd;
    p->qlen++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/*
 * Builds the poll set: the stop and wake fds, every connection no worker
 * owns, and the listeners while connections are under the cap.  Notes new
 * connections and shuts down the ones idle too long (their teardown then
 * runs on a worker like any other read).  Returns the number of entries.
 */
static nfds_t
build_pollset(struct pool *p, const struct pool_opts *o, time_t now)
{
    nfds_t n = 0;
    unsigned conns = 0;

    p->round++;
    p->pfd[n++] = (struct pollfd){ .fd = o->stop_fd, .events = POLLIN };
    p->pfd[n++] = (struct pollfd){ .fd = p->wake_fd, .events = POLLIN };
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < svc_max_pollfd; i++) {
        int fd = svc_pollfd[i].fd;

        if (fd < 0 || (size_t)fd >= p->nfd || p->listener[fd])
            continue;
        conns++;
        if (p->seen[fd] + 1 != p->round) {     /* new since last round */
            p->last[fd] = now;
            p->shut[fd] = 0;
        }
        p->seen[fd] = p->round;
        if (p->busy[fd])
            continue;
        if (o->idle_secs > 0 && !p->shut[fd] &&
            now - p->last[fd] >= (time_t)o->idle_secs) {
            shutdown(fd, SHUT_RDWR);
            p->shut[fd] = 1;
        }
        p->pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
    }
    pthread_mutex_unlock(&p->mu);
    atomic_store(&conexiones, conns);
    if (conns < o->max_conns)
        for (size_t i = 0; i < o->n_listen; i++)
            p->pfd[n++] = (struct pollfd){ .fd = o->listen_fds[i], .events = POLLIN };
    return n;
}

static void
poll_loop(struct pool *p, const struct pool_opts *o)
{
    for (;;) {
        time_t now = mono_now();
        nfds_t n = build_pollset(p, o, now);
        int r = poll(p->pfd, n, o->idle_secs > 0 ? 1000 : -1);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            log_warn("pool: poll");
            return;
        }
        if (p->pfd[0].revents != 0)
            return;                     /* asked to stop */
        if (p->pfd[1].revents != 0) {
            uint64_t v;

            if (read(p->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                log_warn("pool: leer eventfd");
        }
        now = mono_now();
        for (nfds_t i = 2; i < n; i++) {
            int fd = p->pfd[i].fd;

            if (p->pfd[i].revents == 0)
                continue;
            if (p->listener[fd]) {
                svc_getreq_common(fd);      /* accepts one connection */
                continue;
            }
            p->last[fd] = now;
            enqueue(p, fd);
        }
    }
}

static void
pool_free(struct pool *p)
{
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    free(p->queue);
    free(p->busy);
    free(p->listener);
    free(p->shut);
    free(p->seen);
    free(p->last);
    free(p->pfd);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

int
pool_run(const struct pool_opts *o)
{
    struct pool p;
    struct rlimit rl;
    pthread_t *tids = NULL;
    unsigned started = 0;
    int ret = -1, err = 0;

    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p.wake_fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        err = errno;
        goto out;
    }
    p.nfd = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20
                ? 1u << 20 : (size_t)rl.rlim_cur;
    p.qcap = p.nfd;
    p.queue = calloc(p.nfd, sizeof *p.queue);
    p.busy = calloc(p.nfd, 1);
    p.listener = calloc(p.nfd, 1);
    p.shut = calloc(p.nfd, 1);
    p.seen = calloc(p.nfd, sizeof *p.seen);
    p.last = calloc(p.nfd, sizeof *p.last);
    p.pfd = calloc(p.nfd + 2 + o->n_listen, sizeof *p.pfd);
    tids = calloc(o->threads, sizeof *tids);
    if (!p.queue || !p.busy || !p.listener || !p.shut || !p.seen || !p.last ||
        !p.pfd || !tids) {
        err = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < o->n_listen; i++)
        if (o->listen_fds[i] >= 0 && (size_t)o->listen_fds[i] < p.nfd)
            p.listener[o->listen_fds[i]] = 1;
    for (; started < o->threads; started++) {
        if ((err = pthread_create(&tids[started], NULL, worker, &p)) != 0)
            break;
    }
    if (started == o->threads) {
        poll_loop(&p, o);
        ret = 0;
    }
    /* Stop: nothing new is polled; workers drain the queue and exit. */
    pthread_mutex_lock(&p.mu);
    p.stopping = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
out:
    free(tids);
    pool_free(&p);
    if (ret < 0)
        errno = err;
    return ret;
}
