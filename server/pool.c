/* pool.c - the worker threads; see pool.h.
 *
 * Threads and locks: 'mu' guards the job queue, the sleeping workers, the
 * running and waking counts and 'stopping'.  It is never held while a job
 * runs, and no other lock is taken while it is held.
 *
 * There are threads + POOL_WAITERS workers, but at most 'threads' of them
 * run jobs at once ('running'); a worker waiting for a commit steps out of
 * that count (pool_wait_begin), so a handful of threads keep the cores busy
 * while many writes wait together for one sync.  Idle workers sleep on a
 * condition variable each; the last to fall asleep is the first woken, and
 * a job wakes one only if no worker already woken will take it
 * (wake_if_needed): waking one per job would, on a busy machine, wake many
 * that all find the queue empty by the time they run.
 *
 * The pool is a singleton (there is one per process, started by main): the
 * state below is the module's, documented at 'pool'.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A worker, as the pool sees it while it sleeps. */
struct sleeper {
    pthread_cond_t   cv;        /* woken was set */
    bool             woken;     /* (mu) */
    struct sleeper  *next;      /* the one that fell asleep before it (mu) */
};

/* The one pool: set up by pool_start, torn down by pool_stop. */
static struct {
    pthread_mutex_t  mu;
    struct sleeper  *idle;      /* sleeping workers, the latest first (mu) */
    struct pool_job *qhead, *qtail;     /* (mu) */
    size_t           qlen;      /* (mu) */
    unsigned         running;   /* workers running a job, not waiting (mu) */
    unsigned         waking;    /* woken, not yet back on a CPU to look (mu) */
    unsigned         max_running;
    bool             stopping;  /* workers exit when the queue is empty (mu) */
    pthread_t       *tids;
    unsigned         started;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* True on the pool's own threads: lets pool_wait_begin know its caller. */
static _Thread_local bool is_worker;

/* Wakes the worker that fell asleep last, whose stack and data are the
 * likeliest to still be in cache; mu held. */
static void
wake_one(void)
{
    struct sleeper *w = pool.idle;

    if (w == NULL)
        return;
    pool.idle = w->next;
    w->woken = true;
    pool.waking++;
    pthread_cond_signal(&w->cv);
}

/* mu held. */
static void
wake_if_needed(void)
{
    if (pool.waking < pool.qlen && pool.running + pool.waking < pool.max_running)
        wake_one();
}

static void *
worker(void *arg)
{
    struct sleeper me = { .woken = false };

    (void)arg;
    is_worker = true;
    pthread_cond_init(&me.cv, NULL);
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        struct pool_job *j;

        while (!(pool.qlen > 0 && pool.running < pool.max_running) &&
               !(pool.qlen == 0 && pool.stopping)) {
            me.woken = false;
            me.next = pool.idle;
            pool.idle = &me;
            while (!me.woken)
                pthread_cond_wait(&me.cv, &pool.mu);
            pool.waking--;
        }
        if (pool.qlen == 0) {       /* stopping, and nothing left to do */
            wake_one();             /* one that slept through the stop */
            break;
        }
        j = pool.qhead;
        pool.qhead = j->next;
        if (pool.qhead == NULL)
            pool.qtail = NULL;
        pool.qlen--;
        pool.running++;
        pthread_mutex_unlock(&pool.mu);

        j->run(j);

        pthread_mutex_lock(&pool.mu);
        pool.running--;
    }
    pthread_mutex_unlock(&pool.mu);
    pthread_cond_destroy(&me.cv);
    return NULL;
}

void
pool_submit(struct pool_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&pool.mu);
    if (pool.qtail != NULL)
        pool.qtail->next = j;
    else
        pool.qhead = j;
    pool.qtail = j;
    pool.qlen++;
    wake_if_needed();
    pthread_mutex_unlock(&pool.mu);
}

void
pool_wait_begin(void)
{
    if (!is_worker)
        return;
    pthread_mutex_lock(&pool.mu);
    pool.running--;
    wake_if_needed();
    pthread_mutex_unlock(&pool.mu);
}

void
pool_wait_end(void)
{
    if (!is_worker)
        return;
    pthread_mutex_lock(&pool.mu);
    pool.running++;         /* may go over max_running for a moment */
    pthread_mutex_unlock(&pool.mu);
}

int
pool_start(unsigned threads)
{
    unsigned n = threads + POOL_WAITERS;
    int err = 0;

    pool.max_running = threads;
    pool.stopping = false;
    if ((pool.tids = calloc(n, sizeof *pool.tids)) == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (pool.started = 0; pool.started < n; pool.started++)
        if ((err = pthread_create(&pool.tids[pool.started], NULL, worker, NULL)) != 0)
            break;
    if (err != 0) {
        pool_stop();
        errno = err;
        return -1;
    }
    return 0;
}

void
pool_stop(void)
{
    /* Workers drain the queue and exit, each waking one more on its way out. */
    pthread_mutex_lock(&pool.mu);
    pool.stopping = true;
    wake_one();
    pthread_mutex_unlock(&pool.mu);
    for (unsigned i = 0; i < pool.started; i++)
        pthread_join(pool.tids[i], NULL);
    free(pool.tids);
    pool.tids = NULL;
    pool.started = 0;
}
