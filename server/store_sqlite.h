/* store_sqlite.h - the SQLite backend's SQL: its statements, the schema, and
 * the row helpers one connection runs them with.  Private to store_sqlite.c
 * (the backend: the write connection, the read ones, the file's checks) and
 * store_sqlite_sql.c (what is declared here).
 *
 * A connection is used by one thread at a time: the write connection under
 * the store's lock, a read connection by the thread that took it from the
 * backend's pool.  Functions that fail log why (with the connection's
 * SQLite message) and return false, STORE_ERROR or NULL.
 */
#ifndef INVENTARIO_STORE_SQLITE_H
#define INVENTARIO_STORE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

/* The prepared statements: name and SQL.  The reads come first: a read
 * connection prepares those, up to ST_BEGIN, and nothing else. */
#define STMT_MAP(X)                                                          \
    X(ST_GET,       "SELECT id, nombre, stock FROM productos WHERE id = ?1") \
    X(ST_LIST,      "SELECT id, nombre, stock FROM productos "               \
                    "WHERE id > ?1 ORDER BY id LIMIT ?2")                    \
    X(ST_MOV_ALL,   "SELECT seq, cuando_ms, tipo, id, stock_antes, "         \
                    "stock_despues, motivo, origen FROM movimientos "        \
                    "WHERE seq > ?1 ORDER BY seq LIMIT ?2")                  \
    X(ST_MOV_ID,    "SELECT seq, cuando_ms, tipo, id, stock_antes, "         \
                    "stock_despues, motivo, origen FROM movimientos "        \
                    "WHERE id = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2")      \
    X(ST_LAST_SEQ,  "SELECT coalesce(max(seq), 0) FROM movimientos")         \
    X(ST_COUNT,     "SELECT count(*) FROM productos")                        \
    X(ST_BEGIN,     "BEGIN IMMEDIATE")                                       \
    X(ST_COMMIT,    "COMMIT")                                                \
    X(ST_ROLLBACK,  "ROLLBACK")                                              \
    X(ST_INSERT,    "INSERT INTO productos(id, nombre, stock) "              \
                    "VALUES (?1, ?2, ?3)")                                   \
    X(ST_SETSTOCK,  "UPDATE productos SET stock = ?2 WHERE id = ?1")         \
    X(ST_DELETE,    "DELETE FROM productos WHERE id = ?1")                   \
    X(ST_MOV_ADD,   "INSERT INTO movimientos(seq, cuando_ms, tipo, id, "     \
                    "stock_antes, stock_despues, motivo, origen) "           \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")               \
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

/* One open connection and its statements. */
struct sq_conn {
    sqlite3        *db;
    sqlite3_stmt   *st[ST_N];   /* those prepared; the rest NULL */
    struct sq_conn *next;       /* the read pool's list of idle ones */
};

/* The tables, created where missing. */
extern const char sq_schema[];


/* A file we watch: the database or its WAL, as it was at start. */
struct watched {
    int   fd;                   /* our own descriptor on it, kept open */
    dev_t dev;
    ino_t ino;
    char *path;
};

/*
 * The write connection is used under the store's lock only (store.c).
 * Reads come from any thread without it: each takes a read connection of
 * its own from the pool, whose list 'idle' and count 'n_readers' rlock
 * guards (held for a few instructions, never while SQLite runs; taken with
 * or without the store's lock, never the other way round).  ultimo_seq is
 * written by the write side and read by readers, hence atomic; so is
 * 'lost', set under the store's lock and read by anyone.
 */
struct backend {
    struct sq_conn   w;
    _Atomic uint64_t ultimo_seq;    /* newest committed seq: one process writes */
    char            *path;
    sqlite3_int64    mmap_bytes;
    struct watched   files[2];      /* the database and its WAL */
    atomic_bool      lost;          /* a watched file was deleted or replaced */

    pthread_mutex_t  rlock;
    pthread_cond_t   rfree;         /* a reader was given back */
    struct sq_conn  *idle;
    unsigned         n_readers;
    unsigned         max_readers;
};

/* ---- store_sqlite_files.c ---- */

/* Starts watching the file at path: our own descriptor on it, its identity. */
bool sq_watch(struct watched *f, const char *path, char *err, size_t errlen);

/* True while the database and WAL are the files opened at start; the first
 * time they are not, saves what was committed, logs it once and marks the
 * store lost.  Store's lock held. */
bool sq_files_ok(struct backend *b);

/* The same without the lock and without logging (for ESTADO). */
bool sq_healthy(struct backend *b);

/* False, with why in err, if this process could not write the database,
 * its folder, or a WAL or shared-memory file left beside it. */
bool sq_store_writable(const char *path, char *err, size_t errlen);

/* Says in the log how much memory the store's file will take. */
void sq_log_memory(const struct backend *b);

/* ---- store_sqlite_sql.c ---- */

/* Prepares statements [0, upto); false (with the reason in err) if the
 * tables are not of the shape they expect. */
bool sq_prepare(struct sq_conn *c, enum stmt_id upto, char *err, size_t errlen);

/* Finalizes the statements and closes the connection; 'path' for the log. */
void sq_conn_close(struct sq_conn *c, const char *path);

/* A statement reset for reuse (it must have been prepared). */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum stmt_id id);

/* Logs "almacén: what: SQLite's message (código N)". */
void sq_warn(struct sq_conn *c, const char *what);

/* Runs a statement that returns no rows. */
bool sq_exec(struct sq_conn *c, sqlite3_stmt *st, const char *what);
bool sq_exec_id(struct sq_conn *c, enum stmt_id id, const char *what);

/* Runs a one-row, one-integer query. */
bool sq_u64(struct sq_conn *c, enum stmt_id id, uint64_t *out);

/* Runs one PRAGMA whose first result must equal 'want' (NULL: any); 'got'
 * receives the result or SQLite's message. */
bool sq_pragma(sqlite3 *db, const char *sql, const char *want, char *got,
               size_t len);

/* The queries behind the backend's reads and writes' checks. */
enum store_rc sq_conn_get(struct sq_conn *c, const char *id,
                          struct store_producto *p);
enum store_rc sq_conn_list(struct sq_conn *c, const char *after, size_t max,
                           struct store_lista *out);
enum store_rc sq_conn_movements(struct sq_conn *c, uint64_t after_seq,
                                const char *id, size_t max,
                                struct store_movs *out);

/* Reads an INTEGER column that must fit in int32 (the schema's CHECKs
 * promise it; sqlite3_column_int would silently wrap otherwise). */
bool sq_column_i32(sqlite3_stmt *st, int col, int32_t *out);

/* Copies a TEXT column into dst[cap], cut to fit. */
void sq_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col);

#endif
