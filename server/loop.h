/* loop.h - the event loop: accepts, reads and writes every client connection.
 *
 * One thread (the one that calls loop_run) waits on epoll for every socket:
 * the listeners, the connections, a stop/SIGHUP signalfd and a wake-up fd.
 * It reads what arrives, cuts it into records (recmark.h), and hands each
 * whole call to the worker pool (pool.h) as an svcx call; while a
 * connection's call runs or waits (deferred), nothing more is read from it,
 * so calls on one connection run one at a time, in order.  Replies are
 * written by the worker that made them, without blocking (conn_send); what
 * the socket does not take waits in the connection's buffer and the loop
 * writes it as the socket drains.
 *
 * What keeps one client from hurting another:
 *   - back-pressure: while a connection's unsent output is over out_max,
 *     nothing more is read from it; no write progress for send_timeout_ms
 *     closes it;
 *   - a call must arrive whole within call_timeout_ms of its first byte;
 *     a connection with no call and no reply for idle_secs is closed;
 *   - at most max_per_addr connections from one address: a new one beyond
 *     that closes that address's longest idle (or trickling) connection;
 *   - at most max_conns connections: a new one beyond that closes the
 *     longest idle (or trickling) connection of all.  Listeners are always
 *     watched, so a new client always gets in while any connection is idle.
 */
#ifndef INVENTARIO_LOOP_H
#define INVENTARIO_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "svcx.h"

struct loop_opts {
    unsigned   max_conns;        /* client connections at once, at least 1 */
    unsigned   max_per_addr;     /* from one address, at least 1 */
    unsigned   idle_secs;        /* 0: never close for idleness */
    unsigned   call_timeout_ms;  /* a call's first byte to its last */
    unsigned   send_timeout_ms;  /* pending output with no write progress */
    size_t     out_max;          /* back-pressure bound on pending output */
    uint32_t   rec_max;          /* record size cap */
    int        sig_fd;           /* signalfd: SIGTERM/SIGINT stop, SIGHUP noted */
    const int *listen_fds;       /* non-blocking listening sockets */
    size_t     n_listen;
    const struct svcx_conf *rpc; /* what the calls are dispatched to */
};

/* Serves until SIGTERM or SIGINT arrives on sig_fd and returns 0, or until
 * a failure the loop cannot go on after (logged) and returns -1.  The pool
 * must be running.  Calls still running when it returns keep their
 * connections until they end. */
int loop_run(const struct loop_opts *o);

/* After loop_run returned and the pool has stopped: reads nothing more,
 * and writes the replies still waiting until the clients have taken them
 * all; a connection whose output makes no progress for max_ms is closed. */
void loop_drain(unsigned max_ms);

/* After loop_drain: closes every
 * connection and frees the loop. */
void loop_close_all(void);

/* Open client connections now; any thread. */
unsigned loop_conexiones(void);

#endif
