/* pool.h - the worker threads that run calls, and any other job handed to them.
 *
 * A job is a function and its argument, embedded in the caller's struct
 * (a call, a long poll whose answer is due).  Jobs run in the order they
 * were submitted, at most 'threads' of them at once (pool_wait_begin lets
 * a job that waits for a sync step out of that count).  The event loop
 * submits calls; anything may submit (a commit that wakes long polls, the
 * timer that ends them).  No job may block on the network: replies go
 * through the connection's output buffer (conn.h).
 */
#ifndef INVENTARIO_POOL_H
#define INVENTARIO_POOL_H

#include <stddef.h>

/* Workers beyond the running limit, there only to wait: see pool_wait_begin. */
#define POOL_WAITERS 64

struct pool_job {
    void           (*run)(struct pool_job *j);
    struct pool_job *next;          /* the pool's, while queued */
};

/* Starts threads + POOL_WAITERS workers, at most 'threads' running jobs at
 * once.  Returns 0, or -1 with errno set (nothing is left running). */
int pool_start(unsigned threads);

/* Queues a job; any thread, after pool_start and before pool_stop returns. */
void pool_submit(struct pool_job *j);

/* Runs every job already queued (and any they submit), then joins the
 * workers.  Called once, by the thread that called pool_start. */
void pool_stop(void);

/*
 * A worker calls these around a wait that uses no CPU: a write waiting for
 * the commit that will contain it.  While it waits it does not count
 * against the running limit, so another worker (there are POOL_WAITERS
 * more) may run a job meanwhile: writes waiting for one sync do not keep
 * reads, or further writes that could share the next sync, out.  No-ops on
 * any thread that is not one of the pool's workers.
 */
void pool_wait_begin(void);
void pool_wait_end(void);

#endif
