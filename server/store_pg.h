/* store_pg.h - the PostgreSQL backend's SQL: its statements, schema, and
 * the binary parameter and row helpers.  Private to store_pg.c (the backend:
 * connection, transactions, operations) and store_pg_sql.c (what is
 * declared here). */
#ifndef INVENTARIO_STORE_PG_H
#define INVENTARIO_STORE_PG_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_backend.h"

/*
 * Why one advisory lock for every writer, in every server.
 *
 * The movement log's seq must be global and gapless: 1, 2, 3 ... in commit
 * order across all the servers that share the database, so that whoever has
 * seen seq N has seen every movement up to N.  A sequence object cannot give
 * that (nextval is not rolled back, so a failed write leaves a hole, and two
 * transactions may commit out of the order in which they drew numbers).  So
 * begin takes a transaction-level advisory lock, then reads the newest seq:
 * while the lock is held nobody else can write, the seq after it is ours,
 * and the lock is released only once the commit is visible to everyone.
 * The cost is that writes to one inventory are serialised, which they are
 * within one server anyway (store.c's global lock); writes are a few small
 * rows, the lock is held for one batch only, and group commit in store.c
 * packs every write that arrived during the previous commit into the next
 * batch, so N waiting writers share one lock and one commit.  Row locks
 * would let writes to different products overlap, but their commit order,
 * and so the log's order, would then no longer be the order of the seqs.
 *
 * The number is the program's (0x20494E56, "INV"): any other user of
 * advisory locks in the same database must not use it.
 */
#define LOCK_KEY "541675094"

/* Reads of the newest seq after taking the lock must see what the previous
 * holder committed: READ COMMITTED takes a new snapshot per statement.
 * REPEATABLE READ or SERIALIZABLE would take it at the lock's statement,
 * before the wait, and two servers would use the same seq. */
#define BEGIN_SQL "BEGIN ISOLATION LEVEL READ COMMITTED"

/*
 * Set on every session.  A server that hangs in the middle of a batch
 * (stopped, frozen, cut off) holds the advisory lock: PostgreSQL ends its
 * session after idle_in_transaction_session_timeout (our batches are never
 * idle but for a round trip), and the others, waiting less than their
 * lock_timeout, go on.  A holder that is busy instead (a COMMIT waiting for
 * a synchronous standby that is gone) makes them give up after lock_timeout
 * and answer ERROR_INTERNO, rather than keep every call behind the store's
 * lock waiting.
 */
#define SESSION_SQL                                                          \
    "SET lock_timeout = '5s';"                                               \
    "SET idle_in_transaction_session_timeout = '3s';"                        \
    "SET statement_timeout = '30s';"                                         \
    "SET client_min_messages = warning"

/* --sync full: a commit waits for the WAL to reach disk (and whatever
 * synchronous replicas the database asks for); only an explicit 'off' in
 * the database's settings is overridden.  --sync normal: it does not wait,
 * which the documentation spells out. */
#define SYNC_FULL_SQL                                                        \
    "SELECT set_config('synchronous_commit', 'on', false) "                  \
    "WHERE current_setting('synchronous_commit') = 'off'"
#define SYNC_NORMAL_SQL "SET synchronous_commit = off"

/* Type OIDs, fixed in PostgreSQL's catalog (pg_type.dat). */
#define OID_INT8 20
#define OID_INT4 23
#define OID_TEXT 25
#define OID_VOID 2278

/*
 * The prepared statements, one table: name, SQL, the types of the
 * parameters and of the result columns, one letter each: t text, i int4,
 * l int8, v void.  Preparing and describing every statement at start-up
 * checks that the tables have the shape we expect.
 */
#define MOV_COLS "m.seq, m.cuando_ms, m.tipo, m.id, m.stock_antes, "          \
                 "m.stock_despues, m.motivo, m.origen"
/* The movements and the newest seq in one statement, so in one snapshot:
 * ultimo_seq is never older than a movement listed with it. */
#define MOV_SQL(filter)                                                      \
    "WITH u AS (SELECT coalesce(max(seq), 0) AS ultimo FROM movimientos) "   \
    "SELECT u.ultimo, " MOV_COLS " FROM u LEFT JOIN LATERAL "                 \
    "(SELECT * FROM movimientos WHERE " filter " seq > $1 "                  \
    "ORDER BY seq LIMIT $2) m ON true ORDER BY m.seq"

#define STMT_MAP(X)                                                          \
    X(ST_BEGIN,     BEGIN_SQL, "", "")                                       \
    X(ST_LOCK,      "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", "", "v")   \
    X(ST_HEAD,      "SELECT coalesce(max(seq), 0), txid_current() "          \
                    "FROM movimientos", "", "ll")                            \
    X(ST_COMMIT,    "COMMIT", "", "")                                        \
    X(ST_ROLLBACK,  "ROLLBACK", "", "")                                      \
    X(ST_GET,       "SELECT id, nombre, stock FROM productos WHERE id = $1", \
                    "t", "tti")                                              \
    X(ST_INSERT,    "INSERT INTO productos(id, nombre, stock) "              \
                    "VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",       \
                    "tti", "")                                               \
    X(ST_SETSTOCK,  "UPDATE productos SET stock = $2 WHERE id = $1",         \
                    "ti", "")                                                \
    X(ST_DELETE,    "DELETE FROM productos WHERE id = $1", "t", "")          \
    X(ST_LIST,      "SELECT id, nombre, stock FROM productos "               \
                    "WHERE id > $1 ORDER BY id LIMIT $2", "tl", "tti")       \
    X(ST_MOV_ADD,   "INSERT INTO movimientos(seq, cuando_ms, tipo, id, "     \
                    "stock_antes, stock_despues, motivo, origen) "           \
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",               \
                    "llitiitt", "")                                          \
    X(ST_MOV_ALL,   MOV_SQL(""), "ll", "lllitiitt")                          \
    X(ST_MOV_ID,    MOV_SQL("id = $3 AND"), "llt", "lllitiitt")              \
    X(ST_COUNT,     "SELECT (SELECT count(*) FROM productos), "              \
                    "(SELECT coalesce(max(seq), 0) FROM movimientos)",       \
                    "", "ll")                                                \
    X(ST_KEY_GET,   "SELECT id, delta, nombre, stock FROM claves "           \
                    "WHERE clave = $1", "t", "tlti")                         \
    X(ST_KEY_ADD,   "INSERT INTO claves(clave, id, delta, nombre, stock, "   \
                    "cuando_ms) VALUES ($1, $2, $3, $4, $5, $6)",            \
                    "ttltil", "")                                            \
    X(ST_KEY_PRUNE, "DELETE FROM claves WHERE cuando_ms < $1", "l", "")      \
    X(ST_XID_STATUS, "SELECT txid_status($1)", "l", "t")

enum stmt_id {
#define STMT_ENUM(name, sql, params, cols) name,
    STMT_MAP(STMT_ENUM)
#undef STMT_ENUM
    ST_N
};

struct stmt_def {
    const char *name, *sql, *params, *cols;
};

/* -- parameters and results, all binary ------------------------------------
 *
 * Text goes in binary format with its length given, so nothing depends on
 * a terminating NUL and nothing is quoted; integers in network order.
 */
#define MAX_PARAMS 8

struct params {
    int         n;
    const char *val[MAX_PARAMS];
    int         len[MAX_PARAMS];
    int         fmt[MAX_PARAMS];
    char        num[MAX_PARAMS][8];
};


extern const struct stmt_def pg_stmts[ST_N];

/* The tables: the same columns and CHECKs as SQLite's. */
extern const char pg_schema[];
/* What open checks before touching anything (see pg_backend_open). */
extern const char pg_probe_sql[];
extern const char pg_collation_sql[];

/* libpq's messages end in a newline and may span lines: one line, for the
 * log and for err. */
void pg_one_line(char *dst, size_t cap, const char *msg);

void pg_p_text(struct params *p, const char *s);
void pg_p_i64(struct params *p, int64_t v);
void pg_p_i32(struct params *p, int32_t v);
void pg_p_null(struct params *p);
/* Result columns; false if NULL or of another size. */
bool pg_r_i64(const PGresult *r, int row, int col, int64_t *out);
bool pg_r_i32(const PGresult *r, int row, int col, int32_t *out);
/* Copies a text column, cut to cap - 1 bytes. */
void pg_r_text(const PGresult *r, int row, int col, char *dst, size_t cap);

/* Runs one of our fixed statements (no input in it) on the connection as it
 * is; false with a one-line reason in why. */
bool pg_exec_simple(PGconn *conn, const char *sql, char *why, size_t len);

/* Whether the database can be ours: a standby cannot take writes, and
 * text must reach it unchanged; *tables says whether ours exist.  False
 * with err set ('shown': the target as logs show it). */
bool pg_probe_database(PGconn *conn, const char *shown, bool *tables,
                       char *err, size_t errlen);

/* Prepares statement i and checks the types of its result columns. */
bool pg_prepare_one(PGconn *conn, int i, char *why, size_t len);

/* A row of ST_GET/ST_LIST, of ST_MOV_ALL/ST_MOV_ID (after its first
 * column, ultimo_seq); false if a value is out of its range. */
bool pg_row_producto(const PGresult *r, int row, struct store_producto *p);
bool pg_row_movimiento(const PGresult *r, int row, struct store_movimiento *m);

/* ---- store_pg_conn.c ---- */

/* One connection and its state.  A backend's connections are used under
 * the store's lock (the write connection) or under rmu (the read one). */
struct backend {
    PGconn     *conn;
    char       *shown;          /* the target without its password, for logs */
    const char *sync_sql;
    bool        ready;          /* connected, session set, statements prepared */
    bool        down;           /* the outage was logged */
    bool        in_tx;          /* between begin and commit/rollback */
    int64_t     retry_at_ms;    /* no reconnect before this (monotonic) */
    int64_t     xid;            /* of the open write transaction */
    int64_t     doubtful_xid;   /* a COMMIT whose answer was lost; 0: none */

    /* The write side's backend only: reads go to a connection of their
     * own, so that no read waits behind a write's lock or commit.  rmu
     * serialises the reads on it; it is never held with the store's lock
     * taken after it. */
    struct backend *reader;
    pthread_mutex_t rmu;
};

/* Monotonic milliseconds. */
int64_t pg_mono_ms(void);

/* libpq's NOTICE processor: to the debug log. */
void pg_notice(void *arg, const char *msg);

/* What every new session needs: settings, then the statements.  'shape'
 * is set when the failure was a statement that does not fit the tables. */
bool pg_setup_session(struct backend *b, char *why, size_t len, bool *shape);

/* Ready for a statement, reconnecting if the connection was lost, at most
 * once a second ('now' skips the pause). */
bool pg_connected(struct backend *b, bool now);

/* Runs prepared statement id: the result, or NULL after logging why (a
 * statement outside a write transaction is retried once on a new
 * connection); pg_run_cmd for one that returns no rows. */
PGresult *pg_run(struct backend *b, enum stmt_id id, const struct params *p,
                 const char *what);
bool pg_run_cmd(struct backend *b, enum stmt_id id, const struct params *p,
                const char *what);

#endif
