/* loop_priv.h - what loop.c and loop_admision.c share: the loop's state.
 *
 * Private to the event loop (loop.h is the public side).  Everything in
 * 'L' is the loop thread's but the ready list (rl_mu); see loop.c.
 */
#ifndef INVENTARIO_LOOP_PRIV_H
#define INVENTARIO_LOOP_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "loop.h"

/* Bytes read from a socket at a time, into one buffer of the loop's. */
#define SCRATCH 65536

struct loop_state {
    const struct loop_opts *o;
    int              ep, wake_fd;
    struct conn    **tab;               /* open connections */
    size_t           n, cap;
    struct conn     *grave;             /* closed in this batch, to unref */
    uint64_t         last_sweep, last_accept;
    unsigned         closed_since_trim;
    bool             draining;          /* stopping: write, read no more */
    char             scratch[SCRATCH];

    pthread_mutex_t  rl_mu;
    struct conn     *rl_head, *rl_tail; /* ready list (rl_mu) */
};

/* The one loop of the process (defined in loop.c). */
extern struct loop_state L;

/* Open client connections, for loop_conexiones (any thread reads it). */
extern _Atomic unsigned loop_n_conexiones;

/* Closes c: out of the table and of epoll at once; its memory and fd go
 * when the last reference does (after this batch, or when its call ends). */
void loop_kill(struct conn *c);

/* Milliseconds from t to now; 0 if a worker stamped t after the loop read
 * its clock. */
uint64_t loop_since(uint64_t now, uint64_t t);

/* Accepts what waits on listener lfd, within the limits. */
void loop_accept(int lfd, uint64_t now);

/* Closes the connections past a deadline; called a few times a second. */
void loop_sweep(uint64_t now);

#endif
