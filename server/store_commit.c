/* store_commit.c - group commit: writes applied in arrival order, committed
 * together with one sync, and each answered once its commit is durable.
 *
 * This is the one place where a write waits for, or is answered by, its
 * commit (store_run_write, lead_batch).  A write either waits on its
 * thread, or (given a store_fin) leaves its request here and the thread
 * that leads its commit answers it: then no thread waits for a sync but
 * the leader.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store_priv.h"

/* A write in the batch collecting.  A waiting write's lives on its
 * caller's stack: the leader sets rc, and the caller reads it once its
 * batch is answered (done_gen >= gen).  A write nobody waits for lives in
 * a 'struct deferred', answered through fin by the leader. */
struct write_req {
    const struct write_op *op;
    enum store_rc          rc;
    uint64_t               gen;     /* the batch it joined */
    struct write_req      *next;
    struct store_fin      *fin;     /* NULL: its caller waits for it */
};

/* A write nobody waits for: its request, op and a copy of its arguments,
 * from store_run_write until the leader has answered it. */
struct deferred {
    struct write_req req;           /* first: a request is its deferred */
    struct write_op  op;
    max_align_t      args[];
};

bool
store_clear_suspect(struct store *s)
{
    if (!s->suspect)
        return true;
    if (!s->ops->forget_failed(s->b))
        return false;
    s->suspect = false;
    return true;
}

/* Applies one write in the open transaction; false if the database failed
 * and the transaction must be dropped.  Lock held. */
static bool
apply_one(struct store *s, struct write_req *r)
{
    r->rc = r->op->body(s, r->op->arg);
    if (r->rc == STORE_ERROR)
        return false;
    if (r->rc == STORE_OK)
        s->seq++;               /* the next body's movement follows this one */
    return true;
}

/*
 * Applies a batch of writes, in arrival order, in one transaction and
 * commits it with one sync.  If the database fails or the commit fails,
 * every write of the batch answers STORE_ERROR and nothing of it stays
 * (the backend's commit also fails when it cannot vouch for the files the
 * batch went to).  Lock held.
 */
static void
apply_batch(struct store *s, struct write_req *batch)
{
    struct write_req *r;
    bool any_ok = false;

    if (!store_clear_suspect(s) || !s->ops->begin(s->b, &s->seq))
        goto fail;
    for (r = batch; r != NULL; r = r->next) {
        if (!apply_one(s, r))
            goto fail;
        any_ok |= r->rc == STORE_OK;
    }
    if (!any_ok) {
        s->ops->rollback(s->b);
        return;                     /* nothing to commit: each keeps its answer */
    }
    if (s->ops->commit(s->b, s->seq)) {
        atomic_store(&s->known_seq, s->seq);
        return;
    }
    s->suspect = true;
fail:
    for (r = batch; r != NULL; r = r->next)
        r->rc = STORE_ERROR;
    s->ops->rollback(s->b);
    (void)store_clear_suspect(s);   /* at once if the disk lets us; else later */
}

/* The caller's answer to a write whose commit is over. */
static enum store_rc
answer(const struct write_op *op, enum store_rc rc)
{
    return op->end != NULL ? op->end(op->arg, rc) : rc;
}

/* Answers a write nobody waits for, and frees it. */
static void
answer_deferred(struct write_req *r)
{
    struct deferred *d = (struct deferred *)(void *)r;
    struct store_fin *fin = r->fin;
    enum store_rc rc = answer(&d->op, r->rc);

    free(d);
    fin->fin(fin, rc);
}

/*
 * Leads one batch: closes the batch collecting (later writes join the
 * next one), applies and commits it under the lock, then wakes its waiting
 * writes, all with one broadcast, and answers the others itself.  If more
 * writes joined meanwhile the lead stays taken and passes to the committer
 * (if a lone writer had it), and the call returns true; else the lead is
 * given up.
 */
static bool
lead_batch(struct store *s)
{
    struct write_req *batch, *r, *next, *deferred = NULL, **dtail = &deferred;
    uint64_t gen;
    bool more;

    pthread_mutex_lock(&s->lock);
    pthread_mutex_lock(&s->qlock);
    batch = s->qhead;
    gen = s->collect_gen++;
    s->qhead = NULL;
    s->qtail = &s->qhead;
    pthread_mutex_unlock(&s->qlock);
    apply_batch(s, batch);
    pthread_mutex_unlock(&s->lock);

    /* Set the deferred writes apart first: a waiting write's request is on
     * its caller's stack, gone once the broadcast wakes it. */
    for (r = batch; r != NULL; r = next) {
        next = r->next;
        if (r->fin != NULL) {
            r->next = NULL;
            *dtail = r;
            dtail = &r->next;
        }
    }
    pthread_mutex_lock(&s->alock);
    s->done_gen = gen;
    pthread_cond_broadcast(&s->answered[gen & 1]);
    pthread_mutex_unlock(&s->alock);
    for (r = deferred; r != NULL; r = next) {
        next = r->next;
        answer_deferred(r);
    }

    pthread_mutex_lock(&s->qlock);
    more = s->qhead != NULL;
    if (!more) {
        s->leading = s->handed = false;
        pthread_cond_broadcast(&s->idle);
    } else if (!s->handed) {
        s->handed = true;
        pthread_cond_signal(&s->handoff);
    }
    pthread_mutex_unlock(&s->qlock);
    return more;
}

/*
 * The committer: leads batch after batch for as long as writes keep
 * coming, so that under load the next batch starts the moment the last
 * commit ends, with no thread to wake in between.
 */
void *
store_committer(void *arg)
{
    struct store *s = arg;

    pthread_mutex_lock(&s->qlock);
    for (;;) {
        while (!s->handed && !s->stopping)
            pthread_cond_wait(&s->handoff, &s->qlock);
        if (!s->handed)
            break;                          /* stopping, nothing queued */
        pthread_mutex_unlock(&s->qlock);
        while (lead_batch(s))
            continue;
        pthread_mutex_lock(&s->qlock);
    }
    pthread_mutex_unlock(&s->qlock);
    return NULL;
}

/*
 * Group commit.  A write joins the batch collecting.  If nothing leads, the
 * write leads: it commits that batch (its own write first) at once, with no
 * timer, so a lone writer pays no added latency.  Writes that arrive
 * meanwhile collect in the next batch, so N concurrent writers share one
 * sync; that batch and the ones after it are led by the committer thread
 * until no more writes come.  A write is answered, and its reply leaves,
 * only after the commit containing it: its caller waits for that here, or
 * (given fin) returns at once unless it leads, and the leader answers it.
 * Without group commit every write is its own batch, run on its caller.
 */
enum store_rc
store_run_write(struct store *s, const struct write_op *op,
                struct store_fin *fin)
{
    struct write_req req = { .op = op, .rc = STORE_ERROR };
    struct write_req *r = &req;
    struct deferred *d = NULL;
    bool lead = false;

    if (!s->group_commit) {
        pthread_mutex_lock(&s->lock);
        apply_batch(s, &req);
        pthread_mutex_unlock(&s->lock);
        return answer(op, req.rc);
    }
    /* Out of memory, the write simply waits. */
    if (fin != NULL && (d = malloc(sizeof *d + op->size)) != NULL) {
        memcpy(d->args, op->arg, op->size);
        d->op = *op;
        d->op.arg = d->args;
        d->req = (struct write_req){ .op = &d->op, .rc = STORE_ERROR, .fin = fin };
        r = &d->req;
    }
    pthread_mutex_lock(&s->qlock);
    *s->qtail = r;
    s->qtail = &r->next;
    r->gen = s->collect_gen;
    if (!s->leading)
        s->leading = lead = true;
    pthread_mutex_unlock(&s->qlock);
    /* From here a deferred write that does not lead may be answered and
     * freed by the leader at any moment: d is never read again. */
    if (d != NULL && !lead)
        return STORE_PENDING;

    /* From here the thread mostly waits for a sync, its own or a leader's:
     * let the server run other requests meanwhile (they may be writes that
     * join the next batch). */
    if (s->wait_begin != NULL)
        s->wait_begin();
    if (!lead) {
        pthread_mutex_lock(&s->alock);
        while (s->done_gen < req.gen)
            pthread_cond_wait(&s->answered[req.gen & 1], &s->alock);
        pthread_mutex_unlock(&s->alock);
    } else {
        (void)lead_batch(s);        /* the committer takes any batch after */
    }
    if (s->wait_end != NULL)
        s->wait_end();
    return d != NULL ? STORE_PENDING : answer(op, req.rc);
}

void
store_drain(struct store *s)
{
    pthread_mutex_lock(&s->qlock);
    while (s->leading)
        pthread_cond_wait(&s->idle, &s->qlock);
    pthread_mutex_unlock(&s->qlock);
}
