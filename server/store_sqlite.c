/* store_sqlite.c - the store's SQLite backend: one file, WAL, one connection. */
#include "store_backend.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "wal_guard.h"

/* The prepared statements, one table: name and SQL. */
#define STMT_MAP(X)                                                          \
    X(ST_BEGIN,     "BEGIN IMMEDIATE")                                       \
    X(ST_COMMIT,    "COMMIT")                                                \
    X(ST_ROLLBACK,  "ROLLBACK")                                              \
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

struct backend {
    sqlite3      *db;
    sqlite3_stmt *st[ST_N];
    uint64_t      ultimo_seq;   /* newest committed seq: one process writes */
    char         *path;
};

/* Resets a statement for reuse. */
static sqlite3_stmt *
stmt(struct backend *b, enum stmt_id id)
{
    sqlite3_stmt *st = b->st[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void
db_warn(struct backend *b, const char *what)
{
    log_warnx("almacén: %s: %s (código %d)", what, sqlite3_errmsg(b->db),
              sqlite3_extended_errcode(b->db));
}

/* Runs a statement that returns no rows. */
static bool
exec_stmt(struct backend *b, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_warn(b, what);
        return false;
    }
    return true;
}

static bool
exec_id(struct backend *b, enum stmt_id id, const char *what)
{
    return exec_stmt(b, stmt(b, id), what);
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

static bool
sq_begin(struct backend *b, uint64_t *ultimo_seq)
{
    *ultimo_seq = b->ultimo_seq;
    return exec_id(b, ST_BEGIN, "empezar transacción");
}

static bool
sq_commit(struct backend *b, uint64_t ultimo_seq)
{
    if (!exec_id(b, ST_COMMIT, "confirmar"))
        return false;
    b->ultimo_seq = ultimo_seq;
    return true;
}

static void
sq_rollback(struct backend *b)
{
    /* SQLite may already have rolled back on its own (SQLITE_FULL...). */
    if (!sqlite3_get_autocommit(b->db))
        (void)exec_id(b, ST_ROLLBACK, "deshacer");
}

/*
 * A COMMIT whose frames reached the WAL but whose sync failed leaves them
 * there with a valid commit mark: if the process died now, recovery at the
 * next start would replay a write that was refused.  Under synchronous=FULL
 * the WAL guard (wal_guard.h) has already cut them out of the WAL as the
 * sync failed, which covers a crash of the process; a TRUNCATE checkpoint
 * copies the committed frames to the database and empties the WAL, so that
 * nothing refused is left for a power loss either.  It needs a working
 * disk: until then it fails and the store asks again.
 */
static bool
sq_forget_failed(struct backend *b)
{
    int r = sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                      NULL, NULL);

    if (r != SQLITE_OK) {
        db_warn(b, "vaciar el WAL tras un fallo");
        return false;
    }
    log_info("almacén: WAL vaciado tras el fallo; se aceptan escrituras otra vez");
    return true;
}

static enum store_rc
sq_get(struct backend *b, const char *id, struct store_producto *p)
{
    sqlite3_stmt *st = stmt(b, ST_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = row_producto(st, p) ? STORE_OK : STORE_ERROR;
    else if (r == SQLITE_DONE)
        rc = STORE_NOT_FOUND;
    else {
        db_warn(b, "leer producto");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

static enum store_rc
sq_insert(struct backend *b, const char *id, const char *nombre, int32_t stock)
{
    sqlite3_stmt *st = stmt(b, ST_INSERT);
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
        db_warn(b, "insertar producto");
        return STORE_ERROR;
    }
    return STORE_OK;
}

static bool
sq_set_stock(struct backend *b, const char *id, int32_t stock)
{
    sqlite3_stmt *st = stmt(b, ST_SETSTOCK);

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, stock);
    return exec_stmt(b, st, "actualizar stock");
}

static bool
sq_remove(struct backend *b, const char *id)
{
    sqlite3_stmt *st = stmt(b, ST_DELETE);

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return exec_stmt(b, st, "eliminar producto");
}

static bool
sq_log_movement(struct backend *b, const struct store_movimiento *m)
{
    sqlite3_stmt *st = stmt(b, ST_MOV_ADD);

    sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
    sqlite3_bind_int64(st, 2, m->cuando_ms);
    sqlite3_bind_int(st, 3, (int)m->tipo);
    sqlite3_bind_text(st, 4, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, m->stock_antes);
    sqlite3_bind_int(st, 6, m->stock_despues);
    sqlite3_bind_text(st, 7, m->motivo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, m->origen, -1, SQLITE_STATIC);
    return exec_stmt(b, st, "anotar movimiento");
}

static enum store_rc
sq_key_get(struct backend *b, const char *clave, struct backend_clave *k)
{
    sqlite3_stmt *st = stmt(b, ST_KEY_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, clave, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        rc = STORE_NOT_FOUND;
    } else if (r != SQLITE_ROW) {
        db_warn(b, "leer clave");
        rc = STORE_ERROR;
    } else {
        copy_text(k->id, sizeof k->id, st, 0);
        k->delta = sqlite3_column_int64(st, 1);
        copy_text(k->after.id, sizeof k->after.id, st, 0);
        copy_text(k->after.nombre, sizeof k->after.nombre, st, 2);
        rc = column_i32(st, 3, &k->after.stock) ? STORE_OK : STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

static bool
sq_key_put(struct backend *b, const char *clave, const struct backend_clave *k,
           int64_t cuando_ms)
{
    sqlite3_stmt *st = stmt(b, ST_KEY_ADD);

    sqlite3_bind_text(st, 1, clave, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, k->delta);
    sqlite3_bind_text(st, 4, k->after.nombre, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, k->after.stock);
    sqlite3_bind_int64(st, 6, cuando_ms);
    return exec_stmt(b, st, "guardar clave");
}

static bool
sq_key_prune(struct backend *b, int64_t before_ms)
{
    sqlite3_stmt *st = stmt(b, ST_KEY_PRUNE);

    sqlite3_bind_int64(st, 1, before_ms);
    return exec_stmt(b, st, "podar claves");
}

static enum store_rc
sq_list(struct backend *b, const char *after, size_t max, struct store_lista *out)
{
    sqlite3_stmt *st = stmt(b, ST_LIST);
    enum store_rc rc = STORE_OK;
    size_t cap = 0;
    int r;

    sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
    /* One row more than asked tells whether another page exists. */
    sqlite3_bind_int64(st, 2, max == 0 ? -1 : (sqlite3_int64)max + 1);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (max != 0 && out->n == max) {
            out->hay_mas = true;
            break;
        }
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_producto(st, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        db_warn(b, "listar productos");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
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

static enum store_rc
sq_movements(struct backend *b, uint64_t after_seq, const char *id, size_t max,
             struct store_movs *out)
{
    sqlite3_stmt *st = stmt(b, id[0] != '\0' ? ST_MOV_ID : ST_MOV_ALL);
    enum store_rc rc = STORE_OK;
    size_t cap = 0;
    int r;

    /* seq is a SQLite integer: anything past INT64_MAX means "none". */
    sqlite3_bind_int64(st, 1, after_seq > INT64_MAX ? INT64_MAX
                                                    : (sqlite3_int64)after_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    if (id[0] != '\0')
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_movimiento(st, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        db_warn(b, "leer movimientos");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    out->ultimo_seq = b->ultimo_seq;
    return rc;
}

/* Runs a one-row, one-integer query. */
static bool
query_u64(struct backend *b, enum stmt_id id, uint64_t *out)
{
    sqlite3_stmt *st = stmt(b, id);
    bool ok = sqlite3_step(st) == SQLITE_ROW;

    if (ok)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else
        db_warn(b, "consultar");
    sqlite3_reset(st);
    return ok;
}

static enum store_rc
sq_count(struct backend *b, uint64_t *productos, uint64_t *ultimo_seq)
{
    *ultimo_seq = b->ultimo_seq;
    return query_u64(b, ST_COUNT, productos) ? STORE_OK : STORE_ERROR;
}

static void
sq_close(struct backend *b)
{
    if (b == NULL)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(b->st[i]);
    if (b->db != NULL && sqlite3_close(b->db) != SQLITE_OK)
        log_warnx("almacén: cerrar %s: %s", b->path, sqlite3_errmsg(b->db));
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
    .get = sq_get,
    .insert = sq_insert,
    .set_stock = sq_set_stock,
    .remove = sq_remove,
    .log_movement = sq_log_movement,
    .key_get = sq_key_get,
    .key_put = sq_key_put,
    .key_prune = sq_key_prune,
    .list = sq_list,
    .movements = sq_movements,
    .count = sq_count,
};

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

struct backend *
sqlite_backend_open(const char *path, enum store_sync sync,
                    const struct backend_ops **ops, char *err, size_t errlen)
{
    struct backend *b = NULL;
    const char *vfs = NULL;
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
    if ((b = calloc(1, sizeof *b)) == NULL || (b->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    /* Under FULL every commit syncs the WAL, which is what the WAL guard
     * needs to tell a refused commit's frames from committed ones; under
     * NORMAL it could not, so the default VFS is used. */
    if (sync == STORE_SYNC_FULL && (vfs = wal_guard_vfs()) == NULL) {
        snprintf(err, errlen, "no se puede preparar la protección del WAL "
                 "para %s", path);
        goto fail;
    }
    /* NOMUTEX: the store's own lock already serialises every use. */
    r = sqlite3_open_v2(path, &b->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, vfs);
    if (r != SQLITE_OK) {
        snprintf(err, errlen, "no se puede abrir %s: %s", path,
                 b->db ? sqlite3_errmsg(b->db) : sqlite3_errstr(r));
        goto fail;
    }
    sqlite3_extended_result_codes(b->db, 1);
    sqlite3_busy_timeout(b->db, 5000);
    /* Check before writing anything, so that a damaged file stays as it is. */
    if (existed && !pragma(b->db, "PRAGMA quick_check", "ok", got, sizeof got)) {
        snprintf(err, errlen, "%s no es una base de datos SQLite válida o está "
                 "dañada (%s); no se ha tocado", path, got);
        goto fail;
    }
    got[0] = '\0';
    if (!pragma(b->db, "PRAGMA journal_mode=WAL", "wal", got, sizeof got) ||
        !pragma(b->db, sync == STORE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL",
                NULL, got, sizeof got)) {
        snprintf(err, errlen, "no se puede preparar %s (%s)", path, got);
        goto fail;
    }
    if (sqlite3_exec(b->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s", path,
                 sqlite3_errmsg(b->db));
        goto fail;
    }
    for (int i = 0; i < ST_N; i++) {
        if (sqlite3_prepare_v3(b->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &b->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s tiene tablas de otra forma (%s)", path,
                     sqlite3_errmsg(b->db));
            goto fail;
        }
    }
    if (!query_u64(b, ST_LAST_SEQ, &b->ultimo_seq)) {
        snprintf(err, errlen, "no se puede leer %s: %s", path,
                 sqlite3_errmsg(b->db));
        goto fail;
    }
    *ops = &sqlite_ops;
    return b;
fail:
    sq_close(b);
    return NULL;
}
