/* pool.c - the poller and its workers; see pool.h.
 *
 * Threads and locks:
 *   - the poller (the thread that called pool_run) owns everything in
 *     struct pool marked "poller only", reads svc_pollfd without libtirpc's
 *     lock (harmless: a worker may set a slot to -1 under that lock, and a
 *     stale -1 or fd only costs one poll round), and is the only thread
 *     that accepts, so svc_pollfd is only ever reallocated on this thread;
 *   - workers run svc_getreq_common(fd) for the fds handed to them;
 *   - pool.mu guards the queue, busy[], the sleeping workers, the running
 *     and waking counts and stopping.  It is never held while a request
 *     runs, and no other lock is taken while it is held.
 *
 * There are threads + POOL_WAITERS workers, but at most 'threads' of them
 * run requests at once ('running'); a worker waiting for a commit steps
 * out of that count (pool_wait_begin), so a handful of threads keep the
 * cores busy while many writes wait together for one sync.  Idle workers
 * sleep on a condition variable each; the last to fall asleep is the first
 * woken, and a request wakes one only if no worker already woken will take
 * it (wake_if_needed).
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

/* A worker, as the pool sees it while it sleeps. */
struct sleeper {
    pthread_cond_t   cv;        /* woken was set */
    bool             woken;     /* (mu) */
    struct sleeper  *next;      /* the one that fell asleep before it (mu) */
};

struct pool {
    pthread_mutex_t mu;
    struct sleeper *idle;       /* sleeping workers, the latest first (mu) */
    int            *queue;      /* ring of fds waiting for a worker (mu) */
    size_t          qcap, qhead, qlen;
    unsigned char  *busy;       /* busy[fd]: handed to a worker (mu) */
    unsigned        running;    /* workers running a request, not waiting (mu) */
    unsigned        waking;     /* woken, not yet back on a CPU to look (mu) */
    unsigned        max_running;
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

/* The pool a worker thread serves; NULL on every other thread.  Set once
 * when the worker starts; lets pool_wait_begin find its pool. */
static _Thread_local struct pool *worker_pool;

static time_t
mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Wakes the worker that fell asleep last, whose stack and data are the
 * likeliest to still be in cache; mu held. */
static void
wake_one(struct pool *p)
{
    struct sleeper *w = p->idle;

    if (w == NULL)
        return;
    p->idle = w->next;
    w->woken = true;
    p->waking++;
    pthread_cond_signal(&w->cv);
}

/* Wakes a worker if a queued request could run now and no worker already
 * woken will take it: waking one per request would, on a busy machine,
 * wake many that all find the queue empty by the time they run.  mu held. */
static void
wake_if_needed(struct pool *p)
{
    if (p->waking < p->qlen && p->running + p->waking < p->max_running)
        wake_one(p);
}

static void *
worker(void *arg)
{
    struct pool *p = arg;
    struct sleeper me = { .woken = false };
    uint64_t one = 1;

    worker_pool = p;
    pthread_cond_init(&me.cv, NULL);
    for (;;) {
        int fd;

        pthread_mutex_lock(&p->mu);
        while (!(p->qlen > 0 && p->running < p->max_running) &&
               !(p->qlen == 0 && p->stopping)) {
            me.woken = false;
            me.next = p->idle;
            p->idle = &me;
            while (!me.woken)
                pthread_cond_wait(&me.cv, &p->mu);
            p->waking--;
        }
        if (p->qlen == 0) {         /* stopping, and nothing left to do */
            wake_one(p);            /* one that slept through the stop */
            pthread_mutex_unlock(&p->mu);
            break;
        }
        fd = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        p->running++;
        pthread_mutex_unlock(&p->mu);

        /* The whole request, reply included; may destroy the transport. */
        svc_getreq_common(fd);

        pthread_mutex_lock(&p->mu);
        p->busy[fd] = 0;
        p->running--;
        pthread_mutex_unlock(&p->mu);
        if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_warn("pool: despertar al sondeador");
    }
    pthread_cond_destroy(&me.cv);
    return NULL;
}

void
pool_wait_begin(void)
{
    struct pool *p = worker_pool;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->running--;
    wake_if_needed(p);
    pthread_mutex_unlock(&p->mu);
}

void
pool_wait_end(void)
{
    struct pool *p = worker_pool;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->running++;           /* may go over max_running for a moment */
    pthread_mutex_unlock(&p->mu);
}

/* Hands fd to a worker; the queue holds every fd at most once, so it
 * cannot overflow (qcap == nfd).  Wakes one only if it may run now: a
 * worker that finishes a request takes the next one queued itself. */
static void
enqueue(struct pool *p, int fd)
{
    pthread_mutex_lock(&p->mu);
    p->busy[fd] = 1;
    p->queue[(p->qhead + p->qlen) % p->qcap] = fd;
    p->qlen++;
    wake_if_needed(p);
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
    pthread_mutex_destroy(&p->mu);
}

int
pool_run(const struct pool_opts *o)
{
    struct pool p;
    struct rlimit rl;
    pthread_t *tids = NULL;
    unsigned started = 0, nthreads = o->threads + POOL_WAITERS;
    int ret = -1, err = 0;

    memset(&p, 0, sizeof p);
    p.max_running = o->threads;
    pthread_mutex_init(&p.mu, NULL);
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
    tids = calloc(nthreads, sizeof *tids);
    if (!p.queue || !p.busy || !p.listener || !p.shut || !p.seen || !p.last ||
        !p.pfd || !tids) {
        err = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < o->n_listen; i++)
        if (o->listen_fds[i] >= 0 && (size_t)o->listen_fds[i] < p.nfd)
            p.listener[o->listen_fds[i]] = 1;
    for (; started < nthreads; started++) {
        if ((err = pthread_create(&tids[started], NULL, worker, &p)) != 0)
            break;
    }
    if (started == nthreads) {
        poll_loop(&p, o);
        ret = 0;
    }
    /* Stop: nothing new is polled; workers drain the queue and exit, each
     * waking one more on its way out. */
    pthread_mutex_lock(&p.mu);
    p.stopping = true;
    wake_one(&p);
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
