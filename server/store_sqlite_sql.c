/* store_sqlite_sql.c - the SQLite backend's statements, schema and rows; see store_sqlite.h. */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_backend.h"

static const char *const stmt_sql[ST_N] = {
#define STMT_SQL(name, sql) sql,
    STMT_MAP(STMT_SQL)
#undef STMT_SQL
};

/* The tables.  CHECKs make a stock out of range or an empty id impossible
 * even for someone editing the file by hand with the sqlite3 shell.  The
 * byte limits are the contract's (inventario.x). */
#define STR_(x) #x
#define STR(x)  STR_(x)
const char sq_schema[] =
    "CREATE TABLE IF NOT EXISTS productos("
    "  id     TEXT PRIMARY KEY CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND "
    STR(INV_ID_MAX) "),"
    "  nombre TEXT NOT NULL CHECK (length(CAST(nombre AS BLOB)) BETWEEN 1 AND "
    STR(INV_NOMBRE_MAX) "),"
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

bool
sq_prepare(struct sq_conn *c, enum stmt_id upto, char *err, size_t errlen)
{
    for (int i = 0; i < (int)upto; i++) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                               &c->st[i], NULL) != SQLITE_OK) {
            snprintf(err, errlen, "tablas de otra forma (%s)",
                     sqlite3_errmsg(c->db));
            return false;
        }
    }
    return true;
}

void
sq_conn_close(struct sq_conn *c, const char *path)
{
    for (int i = 0; i < ST_N; i++) {
        sqlite3_finalize(c->st[i]);
        c->st[i] = NULL;
    }
    if (c->db != NULL && sqlite3_close(c->db) != SQLITE_OK)
        log_warnx("almacén: cerrar %s: %s", path, sqlite3_errmsg(c->db));
    c->db = NULL;
}

sqlite3_stmt *
sq_stmt(struct sq_conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = c->st[id];

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void
sq_warn(struct sq_conn *c, const char *what)
{
    log_warnx("almacén: %s: %s (código %d)", what, sqlite3_errmsg(c->db),
              sqlite3_extended_errcode(c->db));
}

bool
sq_exec(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        sq_warn(c, what);
        return false;
    }
    return true;
}

bool
sq_exec_id(struct sq_conn *c, enum stmt_id id, const char *what)
{
    return sq_exec(c, sq_stmt(c, id), what);
}

bool
sq_u64(struct sq_conn *c, enum stmt_id id, uint64_t *out)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    bool ok = sqlite3_step(st) == SQLITE_ROW;

    if (ok)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    else
        sq_warn(c, "consultar");
    sqlite3_reset(st);
    return ok;
}

bool
sq_pragma(sqlite3 *db, const char *sql, const char *want, char *got, size_t len)
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

void
sq_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
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

bool
sq_column_i32(sqlite3_stmt *st, int col, int32_t *out)
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
    sq_copy_text(p->id, sizeof p->id, st, 0);
    sq_copy_text(p->nombre, sizeof p->nombre, st, 1);
    return sq_column_i32(st, 2, &p->stock);
}

enum store_rc
sq_conn_get(struct sq_conn *c, const char *id, struct store_producto *p)
{
    sqlite3_stmt *st = sq_stmt(c, ST_GET);
    enum store_rc rc;
    int r;

    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = row_producto(st, p) ? STORE_OK : STORE_ERROR;
    else if (r == SQLITE_DONE)
        rc = STORE_NOT_FOUND;
    else {
        sq_warn(c, "leer producto");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}

enum store_rc
sq_conn_list(struct sq_conn *c, const char *after, size_t max,
             struct store_lista *out)
{
    sqlite3_stmt *st = sq_stmt(c, ST_LIST);
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
        sq_warn(c, "listar productos");
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
    if (!sq_column_i32(st, 2, &tipo) || tipo < STORE_ALTA || tipo > STORE_BAJA)
        return false;
    m->tipo = (enum store_tipo)tipo;
    sq_copy_text(m->id, sizeof m->id, st, 3);
    sq_copy_text(m->motivo, sizeof m->motivo, st, 6);
    sq_copy_text(m->origen, sizeof m->origen, st, 7);
    return sq_column_i32(st, 4, &m->stock_antes) &&
           sq_column_i32(st, 5, &m->stock_despues);
}

enum store_rc
sq_conn_movements(struct sq_conn *c, uint64_t after_seq, const char *id,
                  size_t max, struct store_movs *out)
{
    sqlite3_stmt *st = sq_stmt(c, id[0] != '\0' ? ST_MOV_ID : ST_MOV_ALL);
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
        sq_warn(c, "leer movimientos");
        rc = STORE_ERROR;
    }
    sqlite3_reset(st);
    return rc;
}
