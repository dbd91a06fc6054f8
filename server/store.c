/* store.c - the inventory's rules over a database: locking, group commit,
 * and what each write does; see store.h.  The database itself is a backend
 * (store_backend.h): SQLite here, PostgreSQL for several servers. */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bloqueo.h"
#include "log.h"
#include "store_backend.h"

/* A replayed key answers from the key table and must change nothing, not
 * even the movement log; body_ajustar reports it with this private value
 * and store_ajustar turns it back into STORE_OK. */
#define STORE_REPLAY ((enum store_rc)100)

/* Prune expired retry keys once every this many keyed adjustments. */
#define PRUNE_EVERY 1024

struct write_req;

/*
 * Locks, and the order to take them:
 *
 *   lock   The mission's global lock.  It serialises every read and every
 *          write of the inventory: the backend only ever sees one thread
 *          at a time, and a read-then-write (ajustar, a key check) is one
 *          atomic step.  Readers hold it for their query; writes are
 *          applied and committed by whoever leads the batch, holding it
 *          (lead_batch).  No network I/O to clients ever happens under it.
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
 * thread that reads them starts calling in.
 */
struct store {
    /* settings */
    bool            group_commit;       /* batch writes that arrive together */
    void          (*wait_begin)(void);  /* around a write's wait; may be NULL */
    void          (*wait_end)(void);
    pthread_t       committer;
    bool            committer_started;

    pthread_mutex_t qlock;
    struct write_req *qhead, **qtail;   /* the batch collecting, in arrival order */
    uint64_t        collect_gen;        /* the number of that batch */
    bool            leading;            /* a thread is leading batches */
    bool            handed;             /* ...and it is the committer */
    bool            stopping;           /* the committer exits */
    pthread_cond_t  handoff;            /* handed or stopping was set */

    pthread_mutex_t alock;
    uint64_t        done_gen;           /* every batch up to this one is answered */
    pthread_cond_t  answered[2];        /* answered[g & 1]: batch g was answered */

    pthread_mutex_t lock;
    const struct backend_ops *ops;
    struct backend *b;
    uint64_t        seq;            /* newest seq, inside the open batch */
    bool            suspect;        /* a commit failed; see forget_failed */
    unsigned        keyed;          /* keyed adjustments since the last prune */
    char           *path;
};

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
backend_grow(void **items, size_t *cap, size_t n, size_t size)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return true;
    ncap = *cap ? *cap * 2 : 64;
    p = realloc(*items, ncap * size);
    if (p == NULL)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

/* After a failed commit no write is taken until the backend has made sure
 * nothing of it can come back (see the backend's forget_failed).  Reads try
 * too (and go on if it fails), so the window closes with the first call
 * after the disk recovers.  Lock held. */
static bool
clear_suspect(struct store *s)
{
    if (!s->suspect)
        return true;
    if (!s->ops->forget_failed(s->b))
        return false;
    s->suspect = false;
    return true;
}

/* Appends one movement inside the open transaction; lock held. */
static bool
log_movement(struct store *s, enum store_tipo tipo, const char *id,
             int32_t antes, int32_t despues, const char *motivo,
             const char *origen)
{
    struct store_movimiento m;

    memset(&m, 0, sizeof m);
    m.seq = s->seq + 1;
    m.cuando_ms = now_ms();
    m.tipo = tipo;
    snprintf(m.id, sizeof m.id, "%s", id);
    m.stock_antes = antes;
    m.stock_despues = despues;
    snprintf(m.motivo, sizeof m.motivo, "%s", motivo);
    snprintf(m.origen, sizeof m.origen, "%s", origen);
    return s->ops->log_movement(s->b, &m);
}

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
    void *arg;
};

/* A write waiting for the commit that will contain it.  It lives on its
 * caller's stack; the leader sets rc, and the caller reads it once its
 * batch is answered (done_gen >= gen). */
struct write_req {
    const struct write_op *op;
    enum store_rc          rc;
    uint64_t               gen;     /* the batch it joined */
    struct write_req      *next;
};

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
 * every write of the batch answers STORE_ERROR and nothing of it stays.
 * Lock held.
 */
static void
apply_batch(struct store *s, struct write_req *batch)
{
    struct write_req *r;
    bool any_ok = false;

    if (!clear_suspect(s) || !s->ops->begin(s->b, &s->seq))
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
    if (s->ops->commit(s->b, s->seq))
        return;
    s->suspect = true;
fail:
    for (r = batch; r != NULL; r = r->next)
        r->rc = STORE_ERROR;
    s->ops->rollback(s->b);
    (void)clear_suspect(s);     /* at once if the disk lets us; else later */
}

/*
 * Leads one batch: closes the batch collecting (later writes join the
 * next one), applies and commits it under the lock, then wakes its writes,
 * all with one broadcast.  If more writes joined meanwhile the lead stays
 * taken and passes to the committer (if a lone writer had it), and the
 * call returns true; else the lead is given up.
 */
static bool
lead_batch(struct store *s)
{
    struct write_req *batch;
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

    pthread_mutex_lock(&s->alock);
    s->done_gen = gen;
    pthread_cond_broadcast(&s->answered[gen & 1]);
    pthread_mutex_unlock(&s->alock);

    pthread_mutex_lock(&s->qlock);
    more = s->qhead != NULL;
    if (!more) {
        s->leading = s->handed = false;
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
static void *
committer(void *arg)
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
 * until no more writes come.  Each call returns, and its reply leaves, only
 * after the commit containing it.  Without group commit every write is its
 * own batch.
 */
static enum store_rc
run_write(struct store *s, const struct write_op *op)
{
    struct write_req req = { .op = op, .rc = STORE_ERROR };
    bool lead = false;

    if (!s->group_commit) {
        pthread_mutex_lock(&s->lock);
        apply_batch(s, &req);
        pthread_mutex_unlock(&s->lock);
        return req.rc;
    }
    pthread_mutex_lock(&s->qlock);
    *s->qtail = &req;
    s->qtail = &req.next;
    req.gen = s->collect_gen;
    if (!s->leading)
        s->leading = lead = true;
    pthread_mutex_unlock(&s->qlock);

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
    return req.rc;
}

struct args_agregar {
    const char *id, *nombre, *origen;
    int32_t stock;
};

static enum store_rc
body_agregar(struct store *s, void *arg)
{
    const struct args_agregar *a = arg;
    enum store_rc rc = s->ops->insert(s->b, a->id, a->nombre, a->stock);

    if (rc != STORE_OK)
        return rc;
    if (!log_movement(s, STORE_ALTA, a->id, 0, a->stock, "", a->origen))
        return STORE_ERROR;
    return STORE_OK;
}

enum store_rc
store_agregar(struct store *s, const char *id, const char *nombre,
              int32_t stock, const char *origen)
{
    struct args_agregar a = { id, nombre, origen, stock };
    struct write_op op = { body_agregar, &a };

    return run_write(s, &op);
}

struct args_stock {
    const char *id, *origen;
    int32_t stock;
};

static enum store_rc
body_actualizar(struct store *s, void *arg)
{
    const struct args_stock *a = arg;
    struct store_producto p;
    enum store_rc rc;

    if ((rc = s->ops->get(s->b, a->id, &p)) != STORE_OK)
        return rc;
    if (!s->ops->set_stock(s->b, a->id, a->stock) ||
        !log_movement(s, STORE_STOCK, a->id, p.stock, a->stock, "", a->origen))
        return STORE_ERROR;
    return STORE_OK;
}

enum store_rc
store_actualizar(struct store *s, const char *id, int32_t stock,
                 const char *origen)
{
    struct args_stock a = { id, origen, stock };
    struct write_op op = { body_actualizar, &a };

    return run_write(s, &op);
}

static enum store_rc
body_eliminar(struct store *s, void *arg)
{
    const struct args_stock *a = arg;
    struct store_producto p;
    enum store_rc rc;

    if ((rc = s->ops->get(s->b, a->id, &p)) != STORE_OK)
        return rc;
    if (!s->ops->remove(s->b, a->id) ||
        !log_movement(s, STORE_BAJA, a->id, p.stock, 0, "", a->origen))
        return STORE_ERROR;
    return STORE_OK;
}

enum store_rc
store_eliminar(struct store *s, const char *id, const char *origen)
{
    struct args_stock a = { id, origen, 0 };
    struct write_op op = { body_eliminar, &a };

    return run_write(s, &op);
}

struct args_ajustar {
    const char *id, *motivo, *clave, *origen;
    int32_t delta;
    struct store_producto after;
};

/* A key seen before: its first answer if this call matches it, else
 * STORE_INVALID; STORE_NOT_FOUND when the key is new.  Lock held. */
static enum store_rc
key_lookup(struct store *s, struct args_ajustar *a)
{
    struct backend_clave k;
    enum store_rc rc = s->ops->key_get(s->b, a->clave, &k);

    if (rc != STORE_OK)
        return rc;
    if (strcmp(k.id, a->id) != 0 || k.delta != a->delta)
        return STORE_INVALID;
    a->after = k.after;
    return STORE_OK;
}

static bool
key_remember(struct store *s, const struct args_ajustar *a)
{
    struct backend_clave k;
    int64_t now = now_ms();

    if (++s->keyed >= PRUNE_EVERY) {
        s->keyed = 0;
        if (!s->ops->key_prune(s->b, now - STORE_CLAVE_TTL_MS))
            return false;
    }
    snprintf(k.id, sizeof k.id, "%s", a->id);
    k.delta = a->delta;
    k.after = a->after;
    return s->ops->key_put(s->b, a->clave, &k, now);
}

static enum store_rc
body_ajustar(struct store *s, void *arg)
{
    struct args_ajustar *a = arg;
    struct store_producto p;
    enum store_rc rc;
    int64_t nuevo;

    if (a->clave[0] != '\0') {
        rc = key_lookup(s, a);
        if (rc == STORE_OK)
            return STORE_REPLAY;
        if (rc != STORE_NOT_FOUND)
            return rc;
    }
    if ((rc = s->ops->get(s->b, a->id, &p)) != STORE_OK)
        return rc;
    nuevo = (int64_t)p.stock + a->delta;
    if (nuevo < 0)
        return STORE_INSUFFICIENT;
    if (nuevo > INT32_MAX)
        return STORE_INVALID;
    if (!s->ops->set_stock(s->b, a->id, (int32_t)nuevo) ||
        !log_movement(s, STORE_STOCK, a->id, p.stock, (int32_t)nuevo,
                      a->motivo, a->origen))
        return STORE_ERROR;
    a->after = p;
    a->after.stock = (int32_t)nuevo;
    if (a->clave[0] != '\0' && !key_remember(s, a))
        return STORE_ERROR;
    return STORE_OK;
}

enum store_rc
store_ajustar(struct store *s, const char *id, int32_t delta,
              const char *motivo, const char *clave, const char *origen,
              struct store_producto *after)
{
    struct args_ajustar a = { id, motivo, clave, origen, delta, { "", "", 0 } };
    struct write_op op = { body_ajustar, &a };
    enum store_rc rc = run_write(s, &op);

    if (rc == STORE_REPLAY)
        rc = STORE_OK;
    if (rc == STORE_OK && after != NULL)
        *after = a.after;
    return rc;
}

enum store_rc
store_obtener(struct store *s, const char *id, struct store_producto *out)
{
    enum store_rc rc;

    pthread_mutex_lock(&s->lock);
    (void)clear_suspect(s);
    rc = s->ops->get(s->b, id, out);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Rows the whole-inventory listing reads per turn of the global lock. */
#define LIST_CHUNK 256

/* Appends part's rows to out. */
static bool
append_rows(struct store_lista *out, const struct store_lista *part)
{
    struct store_producto *p;

    if (part->n == 0)
        return true;
    p = realloc(out->items, (out->n + part->n) * sizeof *p);
    if (p == NULL)
        return false;
    memcpy(p + out->n, part->items, part->n * sizeof *p);
    out->items = p;
    out->n += part->n;
    return true;
}

/* One page of at most max rows (0: all of them in one go), under the lock. */
static enum store_rc
list_locked(struct store *s, const char *after, size_t max, struct store_lista *out)
{
    enum store_rc rc;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    (void)clear_suspect(s);
    rc = s->ops->list(s->b, after, max, out);
    pthread_mutex_unlock(&s->lock);
    if (rc != STORE_OK)
        store_lista_free(out);
    return rc;
}

/*
 * A page is read under the lock in one go.  The whole inventory (max 0) is
 * read in pages of LIST_CHUNK rows, taking the lock for each, so that a
 * listing of a large inventory never holds every other call up for longer
 * than one page: each row is as it was at some moment of the listing, and
 * the rows come in id order, as LISTAR_PAGINA's would.
 */
enum store_rc
store_listar(struct store *s, const char *after, size_t max,
             struct store_lista *out)
{
    char from[VALIDAR_ID_MAX + 1];
    enum store_rc rc = STORE_OK;

    if (max != 0)
        return list_locked(s, after, max, out);
    memset(out, 0, sizeof *out);
    snprintf(from, sizeof from, "%s", after);
    for (;;) {
        struct store_lista part;
        bool more;

        if ((rc = list_locked(s, from, LIST_CHUNK, &part)) != STORE_OK)
            break;
        more = part.hay_mas;
        if (part.n > 0)
            snprintf(from, sizeof from, "%s", part.items[part.n - 1].id);
        if (!append_rows(out, &part))
            rc = STORE_ERROR;
        store_lista_free(&part);
        if (rc != STORE_OK || !more)
            break;
    }
    if (rc != STORE_OK)
        store_lista_free(out);
    return rc;
}

void
store_lista_free(struct store_lista *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

enum store_rc
store_movimientos(struct store *s, uint64_t after_seq, const char *id,
                  size_t max, struct store_movs *out)
{
    enum store_rc rc;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    rc = s->ops->movements(s->b, after_seq, id, max, out);
    pthread_mutex_unlock(&s->lock);
    if (rc != STORE_OK)
        store_movs_free(out);
    return rc;
}

void
store_movs_free(struct store_movs *m)
{
    free(m->items);
    memset(m, 0, sizeof *m);
}

enum store_rc
store_contar(struct store *s, uint64_t *productos, uint64_t *ultimo_seq)
{
    enum store_rc rc;

    pthread_mutex_lock(&s->lock);
    rc = s->ops->count(s->b, productos, ultimo_seq);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

const char *
store_path(const struct store *s)
{
    return s->path;
}

bool
store_lock(const char *target, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    if (pg_target_is_uri(target))
        return true;
    *fd = bloqueo_almacen(target, err, errlen);
    return *fd >= 0;
}

struct store *
store_open(const char *path, enum store_sync sync, bool group_commit,
           char *err, size_t errlen)
{
    struct store *s = calloc(1, sizeof *s);

    if (s == NULL) {
        snprintf(err, errlen, "sin memoria");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_mutex_init(&s->alock, NULL);
    pthread_cond_init(&s->handoff, NULL);
    pthread_cond_init(&s->answered[0], NULL);
    pthread_cond_init(&s->answered[1], NULL);
    s->qtail = &s->qhead;
    s->collect_gen = 1;
    s->group_commit = group_commit;
    /* A postgresql:// or postgres:// URI is a database that several
     * servers may share; anything else is a SQLite file.  The path kept
     * for logs hides a password the URI may carry. */
    s->path = pg_target_is_uri(path) ? pg_target_shown(path) : strdup(path);
    if (s->path == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    if (pg_target_is_uri(path))
        s->b = pg_backend_open(path, sync, &s->ops, err, errlen);
    else
        s->b = sqlite_backend_open(path, sync, &s->ops, err, errlen);
    if (s->b == NULL)
        goto fail;
    if (group_commit) {
        int e = pthread_create(&s->committer, NULL, committer, s);

        if (e != 0) {
            snprintf(err, errlen, "no se puede crear el hilo de confirmación: %s",
                     strerror(e));
            goto fail;
        }
        s->committer_started = true;
    }
    return s;
fail:
    store_close(s);
    return NULL;
}

void
store_set_wait_hooks(struct store *s, void (*begin)(void), void (*end)(void))
{
    s->wait_begin = begin;
    s->wait_end = end;
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->committer_started) {
        pthread_mutex_lock(&s->qlock);
        s->stopping = true;
        pthread_cond_signal(&s->handoff);
        pthread_mutex_unlock(&s->qlock);
        pthread_join(s->committer, NULL);
    }
    if (s->b != NULL)
        s->ops->close(s->b);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->qlock);
    pthread_mutex_destroy(&s->alock);
    pthread_cond_destroy(&s->handoff);
    pthread_cond_destroy(&s->answered[0]);
    pthread_cond_destroy(&s->answered[1]);
    free(s->path);
    free(s);
}
