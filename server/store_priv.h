/* store_priv.h - the store's state, shared by store.c (the rules of each
 * write, the reads, open and close) and store_commit.c (group commit: how
 * a write is applied, committed and answered).  Private to those two. */
#ifndef INVENTARIO_STORE_PRIV_H
#define INVENTARIO_STORE_PRIV_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "store_backend.h"

struct write_req;

/*
 * Locks, and the order to take them:
 *
 *   lock   The mission's global lock.  It serialises every change to the
 *          inventory and owns the backend's write side: a read-then-write
 *          (ajustar, a key check) is one atomic step.  Writes are applied
 *          and committed by whoever leads the batch, holding it
 *          (store_commit.c).  Reads never take it: they run on the
 *          backend's read connections and never wait for a write.  No
 *          network I/O to clients ever happens under it.
 *   qlock  Guards the batch collecting writes, its number and the leader
 *          flags.  Held for a few instructions; may be taken while 'lock'
 *          is held (the leader takes the batch), never the other way round.
 *   alock  Guards done_gen, which writers wait on.  A lock of its own so
 *          that the writers a commit wakes, all retaking it at once, do not
 *          hold up the leader taking the next batch under qlock.  Never
 *          held with another lock.
 *
 * Each group of fields below is guarded by the lock that heads it.  The
 * settings are written by store_open and store_set_wait_hooks, before any
 * thread that reads them starts calling in.  The atomics are read by
 * anyone.
 */
struct store {
    /* settings */
    bool            group_commit;       /* batch writes that arrive together */
    void          (*wait_begin)(void);  /* around a write's wait; may be NULL */
    void          (*wait_end)(void);
    pthread_t       committer;
    bool            committer_started;
    sem_t           full_lists;         /* slots for whole-inventory listings */
    bool            full_lists_ready;

    pthread_mutex_t qlock;
    struct write_req *qhead, **qtail;   /* the batch collecting, in arrival order */
    uint64_t        collect_gen;        /* the number of that batch */
    bool            leading;            /* a thread is leading batches */
    bool            handed;             /* ...and it is the committer */
    bool            stopping;           /* the committer exits */
    pthread_cond_t  handoff;            /* handed or stopping was set */
    pthread_cond_t  idle;               /* leading was cleared (store_drain) */

    pthread_mutex_t alock;
    uint64_t        done_gen;           /* every batch up to this one is answered */
    pthread_cond_t  answered[2];        /* answered[g & 1]: batch g was answered */

    pthread_mutex_t lock;
    const struct backend_ops *ops;
    struct backend *b;
    uint64_t        seq;            /* newest seq, inside the open batch */
    bool            suspect;        /* a commit failed; see store_clear_suspect */
    unsigned        keyed;          /* keyed adjustments since the last prune */
    char           *path;

    /* what ESTADO says while the database does not answer */
    _Atomic uint64_t known_productos;
    _Atomic uint64_t known_seq;
};

/*
 * One write: its body runs inside the batch's transaction, under the lock.
 * A body makes every check of its own (the id exists, the stock suffices,
 * the key matches) before its first change, so a body that answers a
 * check's status has changed nothing and needs no undo; it answers STORE_OK
 * after appending its movement.  STORE_ERROR means the database failed,
 * perhaps halfway through the body: the whole batch is then rolled back.
 */
struct write_op {
    enum store_rc (*body)(struct store *s, void *arg);
    /* NULL, or turns the body's answer into the caller's once the commit
     * is over (and copies out what the caller asked for). */
    enum store_rc (*end)(void *arg, enum store_rc rc);
    void  *arg;
    size_t size;        /* of *arg: copied for a write nobody waits for */
};

/* Runs one write.  Without fin, returns once the commit that contains it
 * is durable (or failed), with its answer.  With fin (store.h), the op and
 * its arguments are copied and the call may return STORE_PENDING before
 * that: the thread that leads the commit answers through fin. */
enum store_rc store_run_write(struct store *s, const struct write_op *op,
                              struct store_fin *fin);

/* After a failed commit no write is taken until the backend has made sure
 * nothing of it can come back (its forget_failed); false while it cannot.
 * Lock held. */
bool store_clear_suspect(struct store *s);

/* The committer thread's body (arg: the store); store_open starts it. */
void *store_committer(void *arg);

#endif
