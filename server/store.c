/* store.c - the inventory's rules over a database: what each write does,
 * the reads, and opening and closing; see store.h.  Group commit is in
 * store_commit.c; the database itself is a backend (store_backend.h):
 * SQLite, or PostgreSQL for several servers. */
#include "store.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bloqueo.h"
#include "log.h"
#include "store_priv.h"

/* A replayed key answers from the key table and must change nothing, not
 * even the movement log; body_ajustar reports it with this private value
 * and end_ajustar turns it back into STORE_OK. */
#define STORE_REPLAY ((enum store_rc)100)

/* Prune expired retry keys once every this many keyed adjustments. */
#define PRUNE_EVERY 1024

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
              int32_t stock, const char *origen, struct store_fin *fin)
{
    struct args_agregar a = { id, nombre, origen, stock };
    struct write_op op = { body_agregar, NULL, &a, sizeof a };

    return store_run_write(s, &op, fin);
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
                 const char *origen, struct store_fin *fin)
{
    struct args_stock a = { id, origen, stock };
    struct write_op op = { body_actualizar, NULL, &a, sizeof a };

    return store_run_write(s, &op, fin);
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
store_eliminar(struct store *s, const char *id, const char *origen,
               struct store_fin *fin)
{
    struct args_stock a = { id, origen, 0 };
    struct write_op op = { body_eliminar, NULL, &a, sizeof a };

    return store_run_write(s, &op, fin);
}

struct args_ajustar {
    const char *id, *motivo, *clave, *origen;
    int32_t delta;
    struct store_producto after;
    struct store_producto *out;     /* the caller's 'after', or NULL */
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

/* A replay answers OK; the product after goes where the caller asked. */
static enum store_rc
end_ajustar(void *arg, enum store_rc rc)
{
    const struct args_ajustar *a = arg;

    if (rc == STORE_REPLAY)
        rc = STORE_OK;
    if (rc == STORE_OK && a->out != NULL)
        *a->out = a->after;
    return rc;
}

enum store_rc
store_ajustar(struct store *s, const char *id, int32_t delta,
              const char *motivo, const char *clave, const char *origen,
              struct store_producto *after, struct store_fin *fin)
{
    struct args_ajustar a = { id, motivo, clave, origen, delta, { "", "", 0 }, after };
    struct write_op op = { body_ajustar, end_ajustar, &a, sizeof a };

    return store_run_write(s, &op, fin);
}

/* Reads never take the store's lock: each backend reads on connections of
 * its own (store_backend.h), so no read waits for a write or its sync. */
enum store_rc
store_obtener(struct store *s, const char *id, struct store_producto *out)
{
    return s->ops->read_get(s->b, id, out);
}

/* Whole-inventory listings built at once.  Each holds every row in memory
 * until its reply is sent, so eight at once over a large inventory would
 * take eight times that; the rest wait for a slot. */
#define FULL_LISTS_MAX 1

/* One page of at most max rows (0: all of them, one snapshot). */
static enum store_rc
list_page(struct store *s, const char *after, size_t max, struct store_lista *out)
{
    enum store_rc rc;

    memset(out, 0, sizeof *out);
    if ((rc = s->ops->list(s->b, after, max, out)) != STORE_OK)
        store_lista_free(out);
    return rc;
}

/* Takes a slot for a whole-inventory listing; a wait for one lets the
 * server run other calls meanwhile, as a write's wait for the disk does. */
static void
full_list_slot(struct store *s)
{
    if (sem_trywait(&s->full_lists) == 0)
        return;
    if (s->wait_begin != NULL)
        s->wait_begin();
    while (sem_wait(&s->full_lists) < 0 && errno == EINTR)
        continue;
    if (s->wait_end != NULL)
        s->wait_end();
}

enum store_rc
store_listar(struct store *s, const char *after, size_t max,
             struct store_lista *out)
{
    enum store_rc rc;

    if (max != 0)
        return list_page(s, after, max, out);
    full_list_slot(s);
    if ((rc = list_page(s, after, 0, out)) != STORE_OK) {
        sem_post(&s->full_lists);
        return rc;
    }
    out->slot_of = s;
    return rc;
}

void
store_lista_free(struct store_lista *l)
{
    struct store *s = l->slot_of;

    free(l->items);
    memset(l, 0, sizeof *l);
    if (s != NULL) {
        sem_post(&s->full_lists);
        /* A large listing's rows were one big block, given back already;
         * what the reply's encoding spread over the heap is given back
         * here, so the server's size comes down after the listing. */
        (void)malloc_trim(0);
    }
}

enum store_rc
store_movimientos(struct store *s, uint64_t after_seq, const char *id,
                  size_t max, struct store_movs *out)
{
    enum store_rc rc;

    memset(out, 0, sizeof *out);
    rc = s->ops->movements(s->b, after_seq, id, max, out);
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

/* The backend's health as ESTADO sees it.  When it is unwell, its check
 * (which logs once and saves what it can) runs under the lock if the lock
 * is free now: ESTADO never waits behind a write. */
static bool
store_healthy(struct store *s)
{
    if (s->ops->healthy(s->b))
        return true;
    if (pthread_mutex_trylock(&s->lock) == 0) {
        (void)s->ops->check(s->b);
        pthread_mutex_unlock(&s->lock);
    }
    return false;
}

enum store_rc
store_contar(struct store *s, uint64_t *productos, uint64_t *ultimo_seq)
{
    enum store_rc rc = s->ops->count(s->b, productos, ultimo_seq);

    if (rc == STORE_OK) {
        atomic_store(&s->known_productos, *productos);
        atomic_store(&s->known_seq, *ultimo_seq);
    } else {
        *productos = atomic_load(&s->known_productos);
        *ultimo_seq = atomic_load(&s->known_seq);
    }
    if (rc == STORE_OK && !store_healthy(s))
        rc = STORE_ERROR;
    return rc;
}

const char *
store_rc_nombre(enum store_rc rc)
{
    static const char *const names[] = {
#define STORE_RC_NAME(name, value, text) [value] = text,
        STORE_RC_MAP(STORE_RC_NAME)
#undef STORE_RC_NAME
    };

    if ((unsigned)rc >= sizeof names / sizeof names[0] || names[rc] == NULL)
        return "?";
    return names[rc];
}

const char *
store_path(const struct store *s)
{
    return s->path;
}

/*
 * The backends a --db target can name: the first whose test matches opens
 * it.  A kind left out of this build (INVENTARIO_WITH_PG=OFF) is still
 * recognised, so that the server refuses it instead of taking a URI for a
 * file name.
 */
typedef struct backend *backend_open_fn(const char *target,
                                        const struct store_opciones *o,
                                        const struct backend_ops **ops,
                                        char *err, size_t errlen);
static bool
any_target(const char *target)
{
    (void)target;
    return true;
}

static const struct backend_kind {
    const char      *name;
    bool           (*names)(const char *target);
    backend_open_fn *open;          /* NULL: not in this build */
    bool             shared;        /* several servers may use one */
} kinds[] = {
#ifdef INVENTARIO_WITH_PG
    { "PostgreSQL", pg_target_is_uri, pg_backend_open, true },
#else
    { "PostgreSQL", pg_target_is_uri, NULL, true },
#endif
    { "SQLite", any_target, sqlite_backend_open, false },
};

static const struct backend_kind *
kind_of(const char *target)
{
    size_t i = 0;

    while (!kinds[i].names(target))
        i++;                        /* the last one names anything */
    return &kinds[i];
}

bool
store_lock(const char *target, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    if (kind_of(target)->shared)
        return true;
    *fd = bloqueo_almacen(target, err, errlen);
    return *fd >= 0;
}

struct store *
store_open(const char *path, const struct store_opciones *o, char *err,
           size_t errlen)
{
    struct store *s = calloc(1, sizeof *s);
    const struct backend_kind *k = kind_of(path);
    uint64_t productos, seq;

    if (s == NULL) {
        snprintf(err, errlen, "sin memoria");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_mutex_init(&s->alock, NULL);
    pthread_cond_init(&s->handoff, NULL);
    pthread_cond_init(&s->idle, NULL);
    pthread_cond_init(&s->answered[0], NULL);
    pthread_cond_init(&s->answered[1], NULL);
    s->qtail = &s->qhead;
    s->collect_gen = 1;
    /* A whole listing makes blocks of megabytes (its rows; the reply's
     * array).  glibc would raise its mmap threshold after the first is
     * freed and serve the next from the heap, where freed memory stays;
     * with a fixed threshold every such block is mapped on its own and
     * goes back to the system when freed.  A process-wide setting: the
     * store makes the server's only large blocks. */
    if (mallopt(M_MMAP_THRESHOLD, 1024 * 1024) != 1)
        log_warnx("almacén: mallopt(M_MMAP_THRESHOLD) no aceptado");
    s->group_commit = o->group_commit;
    if (sem_init(&s->full_lists, 0, FULL_LISTS_MAX) < 0) {
        snprintf(err, errlen, "sem_init: %s", strerror(errno));
        goto fail;
    }
    s->full_lists_ready = true;
    /* A postgresql:// or postgres:// URI is a database that several
     * servers may share; anything else is a SQLite file.  The path kept
     * for logs hides a password the URI may carry. */
    s->path = pg_target_is_uri(path) ? pg_target_shown(path) : strdup(path);
    if (s->path == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    if (k->open == NULL) {
        snprintf(err, errlen, "este inventario-server se compiló sin %s "
                 "(INVENTARIO_WITH_PG=OFF): no puede abrir %s", k->name, s->path);
        goto fail;
    }
    if ((s->b = k->open(path, o, &s->ops, err, errlen)) == NULL)
        goto fail;
    if (store_contar(s, &productos, &seq) != STORE_OK) {
        snprintf(err, errlen, "no se puede leer %s", s->path);
        goto fail;
    }
    if (o->group_commit) {
        int e = pthread_create(&s->committer, NULL, store_committer, s);

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
    if (s->full_lists_ready)
        sem_destroy(&s->full_lists);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->qlock);
    pthread_mutex_destroy(&s->alock);
    pthread_cond_destroy(&s->handoff);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->answered[0]);
    pthread_cond_destroy(&s->answered[1]);
    free(s->path);
    free(s);
}
