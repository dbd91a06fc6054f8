/* store_sqlite.c - the store's SQLite backend: one file in WAL mode, one
 * write connection, a pool of read connections, and checks that the file
 * served is still the one on disk (store_sqlite_files.c).  Its SQL is in
 * store_sqlite_sql.c. */
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store_sqlite.h"
#include "wal_guard.h"

/* How long a write waits for a lock another process holds on the file
 * (sqlite3 shell, a backup tool) before it answers ERROR_INTERNO. */
#define BUSY_WRITE_MS 5000
/* Readers never wait for writers in WAL mode; only a few rare steps
 * (another process recovering the WAL index) make them wait at all. */
#define BUSY_READ_MS  2000


/* Read connections at most; a read finding all busy waits for one. */
#define READERS_MAX 64

/* ---- the write connection (store's lock held) ---------------------------- */

static bool
sq_begin(struct backend *b, uint64_t *ultimo_seq)
{
    *ultimo_seq = atomic_load(&b->ultimo_seq);
    return sq_files_ok(b) && sq_exec_id(&b->w, ST_BEGIN, "empezar transacción");
}

/* The files are checked after the COMMIT: had one been deleted before or
 * during it, the batch went into a file no one will open again, so it is
 * refused (the store answers ERROR_INTERNO) rather than acknowledged. */
static bool
sq_commit(struct backend *b, uint64_t ultimo_seq)
{
    if (!sq_exec_id(&b->w, ST_COMMIT, "confirmar") || !sq_files_ok(b))
        return false;
    atomic_store(&b->ultimo_seq, ultimo_seq);
    return true;
}

static void
sq_rollback(struct backend *b)
{
    /* SQLite may already have rolled back on its own (SQLITE_FULL...). */
    if (!sqlite3_get_autocommit(b->w.db))
        (void)sq_exec_id(&b->w, ST_ROLLBACK, "deshacer");
}

/*
 * A COMMIT whose frames reached the WAL but whose sync failed leaves them
 * there with a valid commit mark: if the process died now, recovery at the
 * next start would replay a write that was refused.  Under synchronous=FULL
 * the WAL guard (wal_guard.h) has already cut them out of the WAL as the
 * sync failed, which covers a crash of the process; a TRUNCATE checkpoint
 * copies the committed frames to the database and empties the WAL, so that
 * nothing refused is left for a power loss either.  It needs a working
 * disk: until then it fails and the store asks again.  A store whose files
 * are gone never recovers here (see save_what_was_committed).
 */
static bool
sq_forget_failed(struct backend *b)
{
    int r;

    if (atomic_load(&b->lost))
        return false;
    r = sqlite3_wal_checkpoint_v2(b->w.db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                  NULL, NULL);
    if (r != SQLITE_OK) {
        sq_warn(&b->w, "vaciar el WAL tras un fallo");
        return false;
    }
    log_info("almacén: WAL vaciado tras el fallo; se aceptan escrituras otra vez");
    return true;
}

static enum store_rc
sq_get(struct backend *b, const char *id, struct store_producto *p)
{
    return sq_conn_get(&b->w, id, p);
}

static enum store_rc
sq_insert(struct backend *b, const char *id, const char *nombre, int32_t stock)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_INSERT);
    int r;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, nombre, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, stock);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    /* Extended result codes are on: step answers the precise constraint. */
    if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
        return STORE_EXISTS;
    if (r != SQLITE_DONE) {
        sq_warn(&b->w, "insertar producto");
        return STORE_ERROR;
    }
    return STORE_OK;
}

static bool
sq_set_stock(struct backend *b, const char *id, int32_t stock)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_SETSTOCK);

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, stock);
    return sq_exec(&b->w, st, "actualizar stock");
}

static bool
sq_remove(struct backend *b, const char *id)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_DELETE);

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return sq_exec(&b->w, st, "eliminar producto");
}

static bool
sq_log_movement(struct backend *b, const struct store_movimiento *m)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_MOV_ADD);

    sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
    sqlite3_bind_int64(st, 2, m->cuando_ms);
    sqlite3_bind_int(st, 3, (int)m->tipo);
    sqlite3_bind_text(st, 4, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, m->stock_antes);
    sqlite3_bind_int(st, 6, m->stock_despues);
    sqlite3_bind_text(st, 7, m->motivo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, m->origen, -1, SQLITE_STATIC);
    return sq_exec(&b->w, st, "anotar movimiento");
}

static enum store_rc
sq_key_get(struct backend *b, const char *clave, struct backend_clave *k)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_KEY_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, clave, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else if (r != SQLITE_ROW) {
        sq_warn(&b->w, "leer clave");
        rc = STORE_ERROR;
    } else {
        sq_copy_text(k->id, sizeof k->id, st, 0);
        k->delta = sqlite3_column_int64(st, 1);
        sq_copy_text(k->after.id, sizeof k->after.id, st, 0);
        sq_copy_text(k->after.nombre, sizeof k->after.nombre, st, 2);
        rc = sq_column_i32(st, 3, &k->after.stock) ? STORE_OK : STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

static bool
sq_key_put(struct backend *b, const char *clave, const struct backend_clave *k,
           int64_t cuando_ms)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_KEY_ADD);

    sqlite3_bind_text(st, 1, clave, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, k->delta);
    sqlite3_bind_text(st, 4, k->after.nombre, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, k->after.stock);
    sqlite3_bind_int64(st, 6, cuando_ms);
    return sq_exec(&b->w, st, "guardar clave");
}

static bool
sq_key_prune(struct backend *b, int64_t before_ms)
{
    sqlite3_stmt *st = sq_stmt(&b->w, ST_KEY_PRUNE);

    sqlite3_bind_int64(st, 1, before_ms);
    return sq_exec(&b->w, st, "podar claves");
}

/* ---- read connections (any thread, no store lock) ------------------------ */

/* Opens a connection on the store with the settings every one shares. */
static bool
conn_open(struct backend *b, struct sq_conn *c, int flags, const char *vfs,
          int busy_ms, char *err, size_t errlen)
{
    char got[256] = "", sql[64];
    int r;

    /* NOMUTEX: one thread uses a connection at a time (see struct backend). */
    r = sqlite3_open_v2(b->path, &c->db, flags | SQLITE_OPEN_NOMUTEX, vfs);
    if (r != SQLITE_OK) {
        snprintf(err, errlen, "no se puede abrir %s: %s", b->path,
                 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(r));
        return false;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, busy_ms);
    /* The map is shared by every connection, in the kernel's page cache:
     * reads copy nothing into a cache of their own. */
    snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", (long long)b->mmap_bytes);
    if (!sq_pragma(c->db, sql, NULL, got, sizeof got)) {
        snprintf(err, errlen, "no se puede preparar %s (%s)", b->path, got);
        return false;
    }
    return true;
}

static struct sq_conn *
reader_open(struct backend *b)
{
    struct sq_conn *c = calloc(1, sizeof *c);
    char err[512];

    if (c == NULL) {
        log_warnx("almacén: sin memoria para una conexión de lectura");
        return NULL;
    }
    if (!conn_open(b, c, SQLITE_OPEN_READONLY, NULL, BUSY_READ_MS, err, sizeof err) ||
        !sq_prepare(c, ST_BEGIN, err, sizeof err)) {
        log_warnx("almacén: conexión de lectura: %s", err);
        sq_conn_close(c, b->path);
        free(c);
        return NULL;
    }
    return c;
}

/* A read connection for this thread alone, or NULL (logged). */
static struct sq_conn *
reader_take(struct backend *b)
{
    struct sq_conn *c;

    pthread_mutex_lock(&b->rlock);
    while (b->idle == NULL && b->n_readers >= b->max_readers)
        pthread_cond_wait(&b->rfree, &b->rlock);
    if ((c = b->idle) != NULL) {
        b->idle = c->next;
        pthread_mutex_unlock(&b->rlock);
        return c;
    }
    b->n_readers++;
    pthread_mutex_unlock(&b->rlock);
    if ((c = reader_open(b)) == NULL) {
        pthread_mutex_lock(&b->rlock);
        b->n_readers--;
        pthread_cond_signal(&b->rfree);
        pthread_mutex_unlock(&b->rlock);
    }
    return c;
}

static void
reader_give(struct backend *b, struct sq_conn *c)
{
    pthread_mutex_lock(&b->rlock);
    c->next = b->idle;
    b->idle = c;
    pthread_cond_signal(&b->rfree);
    pthread_mutex_unlock(&b->rlock);
}

static enum store_rc
sq_read_get(struct backend *b, const char *id, struct store_producto *p)
{
    struct sq_conn *c = reader_take(b);
    enum store_rc rc;

    if (c == NULL)
        return STORE_ERROR;
    rc = sq_conn_get(c, id, p);
    reader_give(b, c);
    return rc;
}

static enum store_rc
sq_list(struct backend *b, const char *after, size_t max, struct store_lista *out)
{
    struct sq_conn *c = reader_take(b);
    enum store_rc rc;

    if (c == NULL)
        return STORE_ERROR;
    rc = sq_conn_list(c, after, max, out);
    reader_give(b, c);
    return rc;
}

static enum store_rc
sq_movements(struct backend *b, uint64_t after_seq, const char *id, size_t max,
             struct store_movs *out)
{
    struct sq_conn *c = reader_take(b);
    enum store_rc rc;
    uint64_t seq;

    if (c == NULL)
        return STORE_ERROR;
    rc = sq_conn_movements(c, after_seq, id, max, out);
    reader_give(b, c);
    /* The snapshot may hold a commit whose seq the writer has not yet
     * published: ultimo_seq is never below an item's. */
    seq = atomic_load(&b->ultimo_seq);
    if (out->n > 0 && out->items[out->n - 1].seq > seq)
        seq = out->items[out->n - 1].seq;
    out->ultimo_seq = seq;
    return rc;
}

static enum store_rc
sq_count(struct backend *b, uint64_t *productos, uint64_t *ultimo_seq)
{
    struct sq_conn *c = reader_take(b);
    bool ok;

    if (c == NULL)
        return STORE_ERROR;
    *ultimo_seq = atomic_load(&b->ultimo_seq);
    ok = sq_u64(c, ST_COUNT, productos);
    reader_give(b, c);
    return ok ? STORE_OK : STORE_ERROR;
}

/* ---- open and close ------------------------------------------------------ */

static void
sq_close(struct backend *b)
{
    struct sq_conn *c;

    if (b == NULL)
        return;
    while ((c = b->idle) != NULL) {
        b->idle = c->next;
        sq_conn_close(c, b->path);
        free(c);
    }
    sq_conn_close(&b->w, b->path);
    for (int i = 0; i < 2; i++) {
        if (b->files[i].fd >= 0)
            close(b->files[i].fd);      /* after SQLite's: see watch() */
        free(b->files[i].path);
    }
    pthread_mutex_destroy(&b->rlock);
    pthread_cond_destroy(&b->rfree);
    free(b->path);
    free(b);
}

static const struct backend_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .forget_failed = sq_forget_failed,
    .healthy = sq_healthy,
    .check = sq_files_ok,
    .get = sq_get,
    .insert = sq_insert,
    .set_stock = sq_set_stock,
    .remove = sq_remove,
    .log_movement = sq_log_movement,
    .key_get = sq_key_get,
    .key_put = sq_key_put,
    .key_prune = sq_key_prune,
    .read_get = sq_read_get,
    .list = sq_list,
    .movements = sq_movements,
    .count = sq_count,
};

/* The write connection: WAL, the sync mode, the tables; the checks first,
 * so that a damaged file stays as it is. */
static bool
writer_open(struct backend *b, enum store_sync sync, bool existed, char *err,
            size_t errlen)
{
    const char *vfs = NULL;
    char got[256] = "";

    /* Under FULL every commit syncs the WAL, which is what the WAL guard
     * needs to tell a refused commit's frames from committed ones; under
     * NORMAL it could not, so the default VFS is used. */
    if (sync == STORE_SYNC_FULL && (vfs = wal_guard_vfs()) == NULL) {
        snprintf(err, errlen, "no se puede preparar la protección del WAL "
                 "para %s", b->path);
        return false;
    }
    if (!conn_open(b, &b->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs,
                   BUSY_WRITE_MS, err, errlen))
        return false;
    if (existed && !sq_pragma(b->w.db, "PRAGMA quick_check", "ok", got, sizeof got)) {
        snprintf(err, errlen, "%s no es una base de datos SQLite válida o está "
                 "dañada (%s); no se ha tocado", b->path, got);
        return false;
    }
    got[0] = '\0';
    if (!sq_pragma(b->w.db, "PRAGMA journal_mode=WAL", "wal", got, sizeof got) ||
        !sq_pragma(b->w.db, sync == STORE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL",
                   NULL, got, sizeof got)) {
        snprintf(err, errlen, "no se puede preparar %s (%s)", b->path, got);
        return false;
    }
    if (sqlite3_exec(b->w.db, sq_schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s", b->path,
                 sqlite3_errmsg(b->w.db));
        return false;
    }
    if (!sq_prepare(&b->w, ST_N, got, sizeof got)) {
        snprintf(err, errlen, "%s tiene %s", b->path, got);
        return false;
    }
    return true;
}

struct backend *
sqlite_backend_open(const char *path, const struct store_opciones *o,
                    const struct backend_ops **ops, char *err, size_t errlen)
{
    struct backend *b = NULL;
    struct stat sb;
    char wal[4096];
    uint64_t seq;
    bool existed;

    if ((b = calloc(1, sizeof *b)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        return NULL;
    }
    pthread_mutex_init(&b->rlock, NULL);
    pthread_cond_init(&b->rfree, NULL);
    b->files[0].fd = b->files[1].fd = -1;
    b->mmap_bytes = (sqlite3_int64)o->mmap_mib * 1024 * 1024;
    if ((b->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    existed = stat(path, &sb) == 0;
    if (!existed && errno != ENOENT) {
        snprintf(err, errlen, "no se puede acceder a %s: %s", path,
                 strerror(errno));
        goto fail;
    }
    if (existed && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s no es un archivo regular", path);
        goto fail;
    }
    if (!sq_store_writable(path, err, errlen) ||
        !writer_open(b, o->sync, existed, err, errlen))
        goto fail;
    if (!sq_u64(&b->w, ST_LAST_SEQ, &seq)) {
        snprintf(err, errlen, "no se puede leer %s: %s", path,
                 sqlite3_errmsg(b->w.db));
        goto fail;
    }
    atomic_store(&b->ultimo_seq, seq);
    /* All of them now, so that the server's descriptors and memory do not
     * grow later, the first time calls come together. */
    b->max_readers = o->lectores < 1 ? 1 : o->lectores > READERS_MAX
                                               ? READERS_MAX : o->lectores;
    for (unsigned i = 0; i < b->max_readers; i++) {
        struct sq_conn *c = reader_open(b);

        if (c == NULL) {
            snprintf(err, errlen, "no se pueden abrir las conexiones de "
                     "lectura de %s", path);
            goto fail;
        }
        b->n_readers++;
        reader_give(b, c);
    }
    /* The WAL exists from the first read in WAL mode (just done) until the
     * last connection closes. */
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (!sq_watch(&b->files[0], path, err, errlen) ||
        !sq_watch(&b->files[1], wal, err, errlen))
        goto fail;
    sq_log_memory(b);
    *ops = &sqlite_ops;
    return b;
fail:
    sq_close(b);
    return NULL;
}
