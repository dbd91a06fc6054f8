/* store.c - products, movement log and retry keys in one SQLite file; see store.h. */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

/* The prepared statements, one table: name and SQL. */
#define STMT_MAP(X)                                                          \
    X(ST_BEGIN,     "BEGIN IMMEDIATE")                                       \
    X(ST_COMMIT,    "COMMIT")                                                \
    X(ST_ROLLBACK,  "ROLLBACK")                                              \
    X(ST_SAVEPOINT, "SAVEPOINT op")                                          \
    X(ST_RELEASE,   "RELEASE op")                                            \
    X(ST_UNDO_OP,   "ROLLBACK TO op")                                        \
    X(ST_GET,       "SELECT id, nombre, stock FROM productos WHERE id = ?1") \
    X(ST_INSERT,    "INSERT INTO productos(id, nombre, stock) "              \
                    "VALUES (?1, ?2, ?3)")                                   \
    X(ST_SETSTOCK,  "UPDATE productos SET stock = ?2 WHERE id = ?1")         \
    X(ST_DELETE,    "DELETE FROM productos WHERE id = ?1")                   \
    X(ST_LIST,      "SELECT id, nombre, stock FROM productos "               \
                    "WHERE id > ?1 ORDER BY id LIMIT ?2")                    \
    X(ST_MOV_ADD,   "INSERT INTO movimientos(seq, cuando_ms, tipo, id, "     \
                    "stock_antes, stock_despues, motivo, origen) "           \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")               \
    X(ST_MOV_ALL,   "SELECT seq, cuando_ms, tipo, id, stock_antes, "         \
                    "stock_despues, motivo, origen FROM movimientos "        \
                    "WHERE seq > ?1 ORDER BY seq LIMIT ?2")                  \
    X(ST_MOV_ID,    "SELECT seq, cuando_ms, tipo, id, stock_antes, "         \
                    "stock_despues, motivo, origen FROM movimientos "        \
                    "WHERE id = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2")      \
    X(ST_LAST_SEQ,  "SELECT coalesce(max(seq), 0) FROM movimientos")         \
    X(ST_COUNT,     "SELECT count(*) FROM productos")                        \
    X(ST_KEY_GET,   "SELECT id, delta, nombre, stock FROM claves "           \
                    "WHERE clave = ?1")                                      \
    X(ST_KEY_ADD,   "INSERT INTO claves(clave, id, delta, nombre, stock, "   \
                    "cuando_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")            \
    X(ST_KEY_PRUNE, "DELETE FROM claves WHERE cuando_ms < ?1")

enum stmt_id {
#define STMT_ENUM(name, sql) name,
    STMT_MAP(STMT_ENUM)
#undef STMT_ENUM
    ST_N
};

static const char *const stmt_sql[ST_N] = {
#define STMT_SQL(name, sql) sql,
    STMT_MAP(STMT_SQL)
#undef STMT_SQL
};

/* The tables.  CHECKs make a stock out of range or an empty id impossible
 * even for someone editing the file by hand with the sqlite3 shell. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS productos("
    "  id     TEXT PRIMARY KEY CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 64),"
    "  nombre TEXT NOT NULL CHECK (length(CAST(nombre AS BLOB)) BETWEEN 1 AND 256),"
    "  stock  INTEGER NOT NULL CHECK (stock BETWEEN 0 AND 2147483647));"
    "CREATE TABLE IF NOT EXISTS movimientos("
    "  seq           INTEGER PRIMARY KEY,"
    "  cuando_ms     INTEGER NOT NULL,"
    "  tipo          INTEGER NOT NULL CHECK (tipo BETWEEN 1 AND 3),"
    "  id            TEXT NOT NULL,"
    "  stock_antes   INTEGER NOT NULL,"
    "  stock_despues INTEGER NOT NULL,"
    "  motivo        TEXT NOT NULL,"
    "  origen        TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS movimientos_id ON movimientos(id, seq);"
    "CREATE TABLE IF NOT EXISTS claves("
    "  clave     TEXT PRIMARY KEY,"
    "  id        TEXT NOT NULL,"
    "  delta     INTEGER NOT NULL,"
    "  nombre    TEXT NOT NULL,"
    "  stock     INTEGER NOT NULL,"
    "  cuando_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS claves_cuando ON claves(cuando_ms);";

/* A replayed key answers from the key table and must change nothing, not
 * even the movement log; body_ajustar reports it with this private value
 * (its savepoint is undone) and store_ajustar turns it back into STORE_OK. */
#define STORE_REPLAY ((enum store_rc)100)

/* apply_one could not close its savepoint: the whole batch fails. */
#define STORE_ABORT ((enum store_rc)101)

/* Prune expired retry keys once every this many adjustments. */
#define PRUNE_EVERY 1024

struct write_req;

/*
 * Locks, and the order to take them:
 *
 *   lock   The mission's global lock.  It serialises every read and every
 *          write of the inventory: SQLite (opened NOMUTEX) only ever sees
 *          one thread at a time, and a read-then-write (ajustar, a key
 *          check) is one atomic step.  Readers hold it for their query;
 *          a write is applied, and committed, by a batch leader holding it
 *          (see run_write).  No network I/O ever happens under it.
 *   qlock  Guards the queue of writes waiting for a commit, the leader
 *          flag, and each request's done flag.  Held only for a few
 *          instructions; may be taken while 'lock' is held (the leader
 *          marks its batch done), never the other way round.
 *
 * Fields from db to path are guarded by 'lock'; queue fields by 'qlock'.
 */
struct store {
    pthread_mutex_t lock;
    pthread_mutex_t qlock;
    pthread_cond_t  qdone;          /* a batch was committed (qlock) */
    struct write_req *qhead, **qtail;   /* waiting writes, in arrival order */
    bool            leading;        /* a thread is applying a batch now */
    bool            group_commit;   /* batch writes that arrive together */

    sqlite3        *db;
    sqlite3_stmt   *st[ST_N];
    uint64_t        ultimo_seq;     /* newest committed movement */
    bool            wal_suspect;    /* a commit failed; see wal_reset */
    unsigned        ajustes;        /* adjustments since the last prune */
    char           *path;
};

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resets a statement for reuse; called with the lock held. */
static sqlite3_stmt *
stmt(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->st[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void
db_warn(struct store *s, const char *what)
{
    log_warnx("almacén: %s: %s (código %d)", what, sqlite3_errmsg(s->db),
              sqlite3_extended_errcode(s->db));
}

/* Runs a statement that returns no rows; called with the lock held. */
static bool
exec_stmt(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_warn(s, what);
        return false;
    }
    return true;
}

static void
copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);

    if (t == NULL)
        n = 0;
    if (n >= cap)
        n = cap - 1;
    if (n > 0)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

/* Reads an INTEGER column that must fit in int32 (the schema's CHECKs
 * promise it; sqlite3_column_int would silently wrap otherwise). */
static bool
column_i32(sqlite3_stmt *st, int col, int32_t *out)
{
    sqlite3_int64 v = sqlite3_column_int64(st, col);

    if (v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

static bool
row_producto(sqlite3_stmt *st, struct store_producto *p)
{
    copy_text(p->id, sizeof p->id, st, 0);
    copy_text(p->nombre, sizeof p->nombre, st, 1);
    return column_i32(st, 2, &p->stock);
}

/* Looks a product up; called with the lock held.  STORE_NOT_FOUND,
 * STORE_OK with *p filled, or STORE_ERROR. */
static enum store_rc
get_locked(struct store *s, const char *id, struct store_producto *p)
{
    sqlite3_stmt *st = stmt(s, ST_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = row_producto(st, p) ? STORE_OK : STORE_ERROR;
    else if (r == SQLITE_DONE)
        rc = STORE_NOT_FOUND;
    else {
        db_warn(s, "leer producto");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

/* Appends one movement inside the open transaction; lock held. */
static bool
log_movement(struct store *s, enum store_tipo tipo, const char *id,
             int32_t antes, int32_t despues, const char *motivo,
             const char *origen)
{
    sqlite3_stmt *st = stmt(s, ST_MOV_ADD);

    sqlite3_bind_int64(st, 1, (sqlite3_int64)(s->ultimo_seq + 1));
    sqlite3_bind_int64(st, 2, now_ms());
    sqlite3_bind_int(st, 3, (int)tipo);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, antes);
    sqlite3_bind_int(st, 6, despues);
    sqlite3_bind_text(st, 7, motivo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, origen, -1, SQLITE_STATIC);
    return exec_stmt(s, st, "anotar movimiento");
}

/*
 * A COMMIT whose frames reached the WAL but whose sync failed answers
 * STORE_ERROR, yet its frames sit in the WAL with a valid commit mark: if
 * the process died now, recovery at the next start would replay them and a
 * write we refused would appear.  So after any failed commit no write is
 * taken until a TRUNCATE checkpoint has copied the committed frames to the
 * database and emptied the WAL, erasing the refused ones.  Lock held.
 */
static bool
wal_reset(struct store *s)
{
    int r = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                      NULL, NULL);

    if (r != SQLITE_OK) {
        db_warn(s, "vaciar el WAL tras un fallo");
        return false;
    }
    s->wal_suspect = false;
    log_info("almacén: WAL vaciado tras el fallo; se aceptan escrituras otra vez");
    return true;
}

/*
 * One write: the operation's body runs inside a transaction under the lock.
 * The body returns STORE_OK after appending its movement, or any other
 * status to have its own changes undone.
 */
struct write_op {
    enum store_rc (*body)(struct store *s, void *arg);
    void *arg;
};

/* A write waiting for the commit that will contain it. */
struct write_req {
    const struct write_op *op;
    enum store_rc          rc;
    bool                   done;
    struct write_req      *next;
};

/* Runs one body inside the open transaction, behind a savepoint so that a
 * body that fails undoes only its own changes.  Lock held. */
static enum store_rc
apply_one(struct store *s, const struct write_op *op)
{
    enum store_rc rc;

    if (!exec_stmt(s, stmt(s, ST_SAVEPOINT), "abrir punto de guardado"))
        return STORE_ERROR;
    rc = op->body(s, op->arg);
    if (rc != STORE_OK)
        (void)exec_stmt(s, stmt(s, ST_UNDO_OP), "deshacer operación");
    if (!exec_stmt(s, stmt(s, ST_RELEASE), "cerrar punto de guardado"))
        return STORE_ABORT;     /* the transaction is in doubt: drop it all */
    if (rc == STORE_OK)
        s->ultimo_seq++;        /* the next body's movement follows this one */
    return rc;
}

/*
 * Applies a batch of writes, in arrival order, in one transaction and
 * commits it with one sync.  If the commit fails, every write of the batch
 * answers STORE_ERROR and nothing of it stays.  Lock held.
 */
static void
apply_batch(struct store *s, struct write_req *batch)
{
    uint64_t seq_before = s->ultimo_seq;
    bool any_ok = false;

    if (s->wal_suspect && !wal_reset(s))
        goto fail;
    if (!exec_stmt(s, stmt(s, ST_BEGIN), "empezar transacción"))
        goto fail;
    for (struct write_req *r = batch; r != NULL; r = r->next) {
        r->rc = apply_one(s, r->op);
        if (r->rc == STORE_ABORT)
            goto fail;
        any_ok |= r->rc == STORE_OK;
    }
    if (!any_ok) {
        (void)exec_stmt(s, stmt(s, ST_ROLLBACK), "deshacer");
        return;                     /* nothing to commit: each keeps its answer */
    }
    if (exec_stmt(s, stmt(s, ST_COMMIT), "confirmar"))
        return;
    s->wal_suspect = true;
fail:
    for (struct write_req *r = batch; r != NULL; r = r->next)
        r->rc = STORE_ERROR;
    s->ultimo_seq = seq_before;
    /* SQLite may already have rolled back on its own (SQLITE_FULL...). */
    if (!sqlite3_get_autocommit(s->db))
        (void)exec_stmt(s, stmt(s, ST_ROLLBACK), "deshacer");
    if (s->wal_suspect)
        (void)wal_reset(s);     /* at once if the disk lets us; else later */
}

/*
 * Group commit.  A write joins the queue; if no thread is leading, it
 * becomes the leader: it takes every write queued so far (its own first
 * among them), applies and commits them under the lock, marks them done
 * and hands leadership on.  Writes that arrive while a leader syncs wait
 * in the queue and go together in the next batch, so N concurrent writers
 * share one sync; a lone writer commits at once, with no timer.  Each
 * call returns, and its reply leaves, only after the commit containing it.
 * Without group commit every write is its own batch.
 */
static enum store_rc
run_write(struct store *s, const struct write_op *op)
{
    struct write_req req = { op, STORE_ERROR, false, NULL };

    if (!s->group_commit) {
        pthread_mutex_lock(&s->lock);
        apply_batch(s, &req);
        pthread_mutex_unlock(&s->lock);
        return req.rc;
    }
    pthread_mutex_lock(&s->qlock);
    *s->qtail = &req;
    s->qtail = &req.next;
    while (!req.done) {
        struct write_req *batch;

        if (s->leading) {
            pthread_cond_wait(&s->qdone, &s->qlock);
            continue;
        }
        s->leading = true;
        batch = s->qhead;
        s->qhead = NULL;
        s->qtail = &s->qhead;
        pthread_mutex_unlock(&s->qlock);

        pthread_mutex_lock(&s->lock);
        apply_batch(s, batch);
        pthread_mutex_lock(&s->qlock);
        pthread_mutex_unlock(&s->lock);
        for (struct write_req *r = batch, *next; r != NULL; r = next) {
            next = r->next;         /* r may be gone once it is marked done */
            r->done = true;
        }
        s->leading = false;
        pthread_cond_broadcast(&s->qdone);
    }
    pthread_mutex_unlock(&s->qlock);
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
    sqlite3_stmt *st = stmt(s, ST_INSERT);
    int r;

    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->nombre, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->stock);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    /* Extended result codes are on: step answers the precise constraint. */
    if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
        return STORE_EXISTS;
    if (r != SQLITE_DONE) {
        db_warn(s, "insertar producto");
        return STORE_ERROR;
    }
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
    sqlite3_stmt *st;

    if ((rc = get_locked(s, a->id, &p)) != STORE_OK)
        return rc;
    st = stmt(s, ST_SETSTOCK);
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, a->stock);
    if (!exec_stmt(s, st, "actualizar stock"))
        return STORE_ERROR;
    if (!log_movement(s, STORE_STOCK, a->id, p.stock, a->stock, "", a->origen))
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
    sqlite3_stmt *st;

    if ((rc = get_locked(s, a->id, &p)) != STORE_OK)
        return rc;
    st = stmt(s, ST_DELETE);
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    if (!exec_stmt(s, st, "eliminar producto"))
        return STORE_ERROR;
    if (!log_movement(s, STORE_BAJA, a->id, p.stock, 0, "", a->origen))
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

/* A key seen before: the first answer if it matches, else STORE_INVALID.
 * STORE_NOT_FOUND when the key is new.  Lock held. */
static enum store_rc
key_lookup(struct store *s, struct args_ajustar *a)
{
    sqlite3_stmt *st = stmt(s, ST_KEY_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, a->clave, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else if (r != SQLITE_ROW) {
        db_warn(s, "leer clave");
        rc = STORE_ERROR;
    } else if (strcmp((const char *)sqlite3_column_text(st, 0), a->id) != 0 ||
               sqlite3_column_int64(st, 1) != a->delta) {
        rc = STORE_INVALID;
    } else {
        copy_text(a->after.id, sizeof a->after.id, st, 0);
        copy_text(a->after.nombre, sizeof a->after.nombre, st, 2);
        rc = column_i32(st, 3, &a->after.stock) ? STORE_OK : STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

static enum store_rc
key_remember(struct store *s, const struct args_ajustar *a)
{
    sqlite3_stmt *st;
    int64_t now = now_ms();

    if (++s->ajustes >= PRUNE_EVERY) {
        s->ajustes = 0;
        st = stmt(s, ST_KEY_PRUNE);
        sqlite3_bind_int64(st, 1, now - STORE_CLAVE_TTL_MS);
        if (!exec_stmt(s, st, "podar claves"))
            return STORE_ERROR;
    }
    st = stmt(s, ST_KEY_ADD);
    sqlite3_bind_text(st, 1, a->clave, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->delta);
    sqlite3_bind_text(st, 4, a->after.nombre, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, a->after.stock);
    sqlite3_bind_int64(st, 6, now);
    return exec_stmt(s, st, "guardar clave") ? STORE_OK : STORE_ERROR;
}

static enum store_rc
body_ajustar(struct store *s, void *arg)
{
    struct args_ajustar *a = arg;
    struct store_producto p;
    enum store_rc rc;
    sqlite3_stmt *st;
    int64_t nuevo;

    if (a->clave[0] != '\0') {
        rc = key_lookup(s, a);
        if (rc == STORE_OK)
            return STORE_REPLAY;
        if (rc != STORE_NOT_FOUND)
            return rc;
    }
    if ((rc = get_locked(s, a->id, &p)) != STORE_OK)
        return rc;
    nuevo = (int64_t)p.stock + a->delta;
    if (nuevo < 0)
        return STORE_INSUFFICIENT;
    if (nuevo > INT32_MAX)
        return STORE_INVALID;
    st = stmt(s, ST_SETSTOCK);
    sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int32_t)nuevo);
    if (!exec_stmt(s, st, "ajustar stock"))
        return STORE_ERROR;
    if (!log_movement(s, STORE_STOCK, a->id, p.stock, (int32_t)nuevo,
                      a->motivo, a->origen))
        return STORE_ERROR;
    a->after = p;
    a->after.stock = (int32_t)nuevo;
    if (a->clave[0] != '\0' && (rc = key_remember(s, a)) != STORE_OK)
        return rc;
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
    if (s->wal_suspect)
        (void)wal_reset(s);
    rc = get_locked(s, id, out);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Grows an array of elements of size 'size' to hold at least n+1. */
static bool
grow(void **items, size_t *cap, size_t n, size_t size)
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

enum store_rc
store_listar(struct store *s, const char *after, size_t max,
             struct store_lista *out)
{
    enum store_rc rc = STORE_OK;
    sqlite3_stmt *st;
    size_t cap = 0;
    int r;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    if (s->wal_suspect)
        (void)wal_reset(s);
    st = stmt(s, ST_LIST);
    sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
    /* One row more than asked tells whether another page exists. */
    sqlite3_bind_int64(st, 2, max == 0 ? -1 : (sqlite3_int64)max + 1);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (max != 0 && out->n == max) {
            out->hay_mas = true;
            break;
        }
        if (!grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_producto(st, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        db_warn(s, "listar productos");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&s->lock);
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

static bool
row_movimiento(sqlite3_stmt *st, struct store_movimiento *m)
{
    int32_t tipo;

    m->seq = (uint64_t)sqlite3_column_int64(st, 0);
    m->cuando_ms = sqlite3_column_int64(st, 1);
    if (!column_i32(st, 2, &tipo) || tipo < STORE_ALTA || tipo > STORE_BAJA)
        return false;
    m->tipo = (enum store_tipo)tipo;
    copy_text(m->id, sizeof m->id, st, 3);
    copy_text(m->motivo, sizeof m->motivo, st, 6);
    copy_text(m->origen, sizeof m->origen, st, 7);
    return column_i32(st, 4, &m->stock_antes) &&
           column_i32(st, 5, &m->stock_despues);
}

enum store_rc
store_movimientos(struct store *s, uint64_t after_seq, const char *id,
                  size_t max, struct store_movs *out)
{
    enum store_rc rc = STORE_OK;
    sqlite3_stmt *st;
    size_t cap = 0;
    int r;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    st = stmt(s, id[0] != '\0' ? ST_MOV_ID : ST_MOV_ALL);
    /* seq is a SQLite integer: anything past INT64_MAX means "none". */
    sqlite3_bind_int64(st, 1, after_seq > INT64_MAX ? INT64_MAX
                                                    : (sqlite3_int64)after_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    if (id[0] != '\0')
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_movimiento(st, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        db_warn(s, "leer movimientos");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    out->ultimo_seq = s->ultimo_seq;
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

/* Runs a one-row, one-integer query; lock held. */
static bool
query_u64(struct store *s, enum stmt_id id, uint64_t *out)
{
    sqlite3_stmt *st = stmt(s, id);
    bool ok = sqlite3_step(st) == SQLITE_ROW;

    if (ok)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else
        db_warn(s, "consultar");
    sqlite3_reset(st);
    return ok;
}

enum store_rc
store_contar(struct store *s, uint64_t *productos, uint64_t *ultimo_seq)
{
    enum store_rc rc;

    pthread_mutex_lock(&s->lock);
    rc = query_u64(s, ST_COUNT, productos) ? STORE_OK : STORE_ERROR;
    *ultimo_seq = s->ultimo_seq;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

const char *
store_path(const struct store *s)
{
    return s->path;
}

/* Runs one PRAGMA whose first result must equal 'want' (NULL: any). */
static bool
pragma(sqlite3 *db, const char *sql, const char *want, char *got, size_t len)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    int r;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    r = sqlite3_step(st);
    if (r == SQLITE_DONE && want == NULL) {
        ok = true;
        goto out;
    }
    if (r != SQLITE_ROW)
        goto out;
    snprintf(got, len, "%s", (const char *)sqlite3_column_text(st, 0));
    ok = want == NULL || strcmp(got, want) == 0;
out:
    if (!ok && got[0] == '\0')
        snprintf(got, len, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

struct store *
store_open(const char *path, enum store_sync sync, bool group_commit,
           char *err, size_t errlen)
{
    struct store *s = NULL;
    struct stat sb;
    char got[256] = "";
    bool existed;
    int r;

    existed = stat(path, &sb) == 0;
    if (!existed && errno != ENOENT) {
        snprintf(err, errlen, "no se puede acceder a %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    if (existed && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s no es un archivo regular", path);
        return NULL;
    }
    if ((s = calloc(1, sizeof *s)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qdone, NULL);
    s->qtail = &s->qhead;
    s->group_commit = group_commit;
    if ((s->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    /* NOMUTEX: the store's own lock already serialises every use. */
    r = sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL);
    if (r != SQLITE_OK) {
        snprintf(err, errlen, "no se puede abrir %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* Check before writing anything, so that a damaged file stays as it is. */
    if (existed && !pragma(s->db, "PRAGMA quick_check", "ok", got, sizeof got)) {
        snprintf(err, errlen, "%s no es una base de datos SQLite válida o está "
                 "dañada (%s); no se ha tocado", path, got);
        goto fail;
    }
    got[0] = '\0';
    if (!pragma(s->db, "PRAGMA journal_mode=WAL", "wal", got, sizeof got) ||
        !pragma(s->db, sync == STORE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL",
                NULL, got, sizeof got)) {
        snprintf(err, errlen, "no se puede preparar %s (%s)", path, got);
        goto fail;
    }
    if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s", path,
                 sqlite3_errmsg(s->db));
        goto fail;
    }
    for (int i = 0; i < ST_N; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s tiene tablas de otra forma (%s)", path,
                     sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    if (!query_u64(s, ST_LAST_SEQ, &s->ultimo_seq)) {
        snprintf(err, errlen, "no se puede leer %s: %s", path,
                 sqlite3_errmsg(s->db));
        goto fail;
    }
    return s;
fail:
    store_close(s);
    return NULL;
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_warnx("almacén: cerrar %s: %s", s->path, sqlite3_errmsg(s->db));
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qdone);
    free(s->path);
    free(s);
}
