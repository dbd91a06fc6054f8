/* pool.h - one poller thread and a pool of workers serving every connection.
 *
 * libtirpc's server side serves one request at a time and is not thread
 * safe (its own README says so), so there is no multi-threaded server to
 * reuse.  This module
 * is ours: the calling thread becomes the poller, the only thread that
 * reads libtirpc's svc_pollfd or accepts; a ready connection is handed to
 * one worker, which runs the whole request (svc_getreq_common) on its own
 * stack, and is left out of the poll set until that worker is done, so two
 * threads never work on one connection.  A stalled or slow client therefore
 * holds at most one worker, and only for as long as libtirpc's non-blocking
 * transport lets it (see pool.c).
 */
#ifndef INVENTARIO_POOL_H
#define INVENTARIO_POOL_H

#include <stddef.h>

/* Workers beyond pool_opts.threads, there only to wait: see pool_wait_begin. */
#define POOL_WAITERS 64

struct pool_opts {
    unsigned   threads;     /* workers running requests at once, at least 1 */
    unsigned   max_conns;   /* client connections served at once */
    unsigned   idle_secs;   /* close a connection idle this long; 0: never */
    int        stop_fd;     /* readable when the server must stop */
    const int *listen_fds;  /* the listeners' fds, already svc_reg'd */
    size_t     n_listen;
};

/* Serves until stop_fd becomes readable, then stops accepting and polling,
 * lets the workers finish every request already handed to them, joins them
 * and returns 0.  Returns -1 with errno set if it could not start.  Every
 * svc_reg must be done before it is called. */
int pool_run(const struct pool_opts *o);

/* Open client connections now; any thread. */
unsigned pool_conexiones(void);

/*
 * A worker calls these around a wait that uses no CPU: a write waiting for
 * the commit that will contain it.  While it waits it does not count
 * against pool_opts.threads, so another worker (the pool has POOL_WAITERS
 * more than that) may run a request meanwhile: writes waiting for one sync
 * do not keep reads, or further writes that could share the next sync,
 * out.  No-ops on any thread that is not one of the pool's workers.
 */
void pool_wait_begin(void);
void pool_wait_end(void);

#endif
