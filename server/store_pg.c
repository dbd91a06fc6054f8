/* store_pg.c - the store's PostgreSQL backend: several servers, one inventory. */
#include "store_backend.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

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

/* A lost database is tried again at most this often, so that while it is
 * down calls fail at once instead of each waiting for a connect. */
#define RECONNECT_PAUSE_MS 1000

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

static const struct stmt_def stmts[ST_N] = {
#define STMT_DEF(name, sql, params, cols) { #name, sql, params, cols },
    STMT_MAP(STMT_DEF)
#undef STMT_DEF
};

/* The tables: the same columns and CHECKs as SQLite's.  Ids are compared
 * with the "C" collation, bytewise like SQLite, so that LISTAR's order and
 * LISTAR_PAGINA's 'id > desde_id' are the contract's whatever the
 * database's default collation. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS productos("
    "  id     text COLLATE \"C\" PRIMARY KEY"
    "         CHECK (octet_length(id) BETWEEN 1 AND 64),"
    "  nombre text NOT NULL CHECK (octet_length(nombre) BETWEEN 1 AND 256),"
    "  stock  integer NOT NULL CHECK (stock BETWEEN 0 AND 2147483647));"
    "CREATE TABLE IF NOT EXISTS movimientos("
    "  seq           bigint PRIMARY KEY,"
    "  cuando_ms     bigint NOT NULL,"
    "  tipo          integer NOT NULL CHECK (tipo BETWEEN 1 AND 3),"
    "  id            text COLLATE \"C\" NOT NULL,"
    "  stock_antes   integer NOT NULL,"
    "  stock_despues integer NOT NULL,"
    "  motivo        text NOT NULL,"
    "  origen        text NOT NULL);"
    "CREATE INDEX IF NOT EXISTS movimientos_id ON movimientos(id, seq);"
    "CREATE TABLE IF NOT EXISTS claves("
    "  clave     text COLLATE \"C\" PRIMARY KEY,"
    "  id        text COLLATE \"C\" NOT NULL,"
    "  delta     bigint NOT NULL,"
    "  nombre    text NOT NULL,"
    "  stock     integer NOT NULL,"
    "  cuando_ms bigint NOT NULL);"
    "CREATE INDEX IF NOT EXISTS claves_cuando ON claves(cuando_ms)";

/* What open checks before touching anything: a standby cannot take writes,
 * and text must reach the database unchanged; whether the tables exist (a
 * role with only SELECT/INSERT/UPDATE/DELETE on them need not create). */
static const char probe_sql[] =
    "SELECT pg_is_in_recovery(), current_setting('server_encoding'), "
    "to_regclass('productos') IS NOT NULL AND "
    "to_regclass('movimientos') IS NOT NULL AND "
    "to_regclass('claves') IS NOT NULL";

static const char collation_sql[] =
    "SELECT c.collname FROM pg_attribute a "
    "JOIN pg_collation c ON c.oid = a.attcollation "
    "WHERE a.attrelid = to_regclass('productos') AND a.attname = 'id'";

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
};

static int64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's messages end in a newline and may span lines: one line, for the
 * log and for err. */
static void
one_line(char *dst, size_t cap, const char *msg)
{
    size_t n = 0;

    for (const char *p = msg ? msg : ""; *p != '\0' && n + 1 < cap; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            if (n > 0 && dst[n - 1] != ' ')
                dst[n++] = ' ';
            continue;
        }
        dst[n++] = *p;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

/* NOTICEs go to the debug log rather than libpq's default, stderr. */
static void
notice(void *arg, const char *msg)
{
    char line[512];

    (void)arg;
    one_line(line, sizeof line, msg);
    log_debug("almacén: PostgreSQL: %s", line);
}

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

static void
p_text(struct params *p, const char *s)
{
    p->val[p->n] = s;
    p->len[p->n] = (int)strlen(s);
    p->fmt[p->n++] = 1;
}

static void
p_i64(struct params *p, int64_t v)
{
    uint64_t u = (uint64_t)v;

    for (int i = 0; i < 8; i++)
        p->num[p->n][i] = (char)(u >> (56 - 8 * i));
    p->val[p->n] = p->num[p->n];
    p->len[p->n] = 8;
    p->fmt[p->n++] = 1;
}

static void
p_i32(struct params *p, int32_t v)
{
    uint32_t u = htonl((uint32_t)v);

    memcpy(p->num[p->n], &u, 4);
    p->val[p->n] = p->num[p->n];
    p->len[p->n] = 4;
    p->fmt[p->n++] = 1;
}

static void
p_null(struct params *p)
{
    p->val[p->n] = NULL;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 1;
}

static bool
r_i64(const PGresult *r, int row, int col, int64_t *out)
{
    const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
    uint64_t u = 0;

    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return false;
    for (int i = 0; i < 8; i++)
        u = u << 8 | v[i];
    *out = (int64_t)u;
    return true;
}

static bool
r_i32(const PGresult *r, int row, int col, int32_t *out)
{
    uint32_t u;

    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 4)
        return false;
    memcpy(&u, PQgetvalue(r, row, col), 4);
    *out = (int32_t)ntohl(u);
    return true;
}

/* Copies a text column, cut to cap - 1 bytes (the schema's CHECKs keep
 * every value within its field). */
static void
r_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    size_t n = (size_t)PQgetlength(r, row, col);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = '\0';
}

/* -- the connection --------------------------------------------------------- */

/* Runs one of our fixed statements (no input in it) on the connection as it
 * is; false with a one-line reason in why. */
static bool
exec_simple(PGconn *conn, const char *sql, char *why, size_t len)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok)
        one_line(why, len, PQerrorMessage(conn));
    PQclear(r);
    return ok;
}

static char
type_letter(Oid t)
{
    switch (t) {
    case OID_TEXT: return 't';
    case OID_INT4: return 'i';
    case OID_INT8: return 'l';
    case OID_VOID: return 'v';
    default:       return '?';
    }
}

static Oid
letter_type(char c)
{
    switch (c) {
    case 't': return OID_TEXT;
    case 'i': return OID_INT4;
    default:  return OID_INT8;
    }
}

/* Prepares statement i and checks the types of its result columns. */
static bool
prepare_one(PGconn *conn, int i, char *why, size_t len)
{
    const struct stmt_def *d = &stmts[i];
    Oid types[MAX_PARAMS];
    int np = (int)strlen(d->params), nc;
    PGresult *r;
    bool ok;

    for (int k = 0; k < np; k++)
        types[k] = letter_type(d->params[k]);
    r = PQprepare(conn, d->name, d->sql, np, types);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        one_line(why, len, PQerrorMessage(conn));
        return false;
    }
    r = PQdescribePrepared(conn, d->name);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        one_line(why, len, PQerrorMessage(conn));
    nc = ok ? PQnfields(r) : 0;
    if (ok && nc != (int)strlen(d->cols)) {
        snprintf(why, len, "%s: %d columnas, se esperaban %zu", d->name, nc,
                 strlen(d->cols));
        ok = false;
    }
    for (int k = 0; ok && k < nc; k++) {
        if (type_letter(PQftype(r, k)) != d->cols[k]) {
            snprintf(why, len, "%s: la columna %s es del tipo %u",
                     d->name, PQfname(r, k), (unsigned)PQftype(r, k));
            ok = false;
        }
    }
    PQclear(r);
    return ok;
}

/* What every new session needs: settings, then the statements.  'shape' is
 * set when the failure was a statement that does not fit the tables. */
static bool
setup_session(struct backend *b, char *why, size_t len, bool *shape)
{
    *shape = false;
    if (!exec_simple(b->conn, SESSION_SQL, why, len) ||
        !exec_simple(b->conn, b->sync_sql, why, len))
        return false;
    for (int i = 0; i < ST_N; i++) {
        if (!prepare_one(b->conn, i, why, len)) {
            *shape = PQstatus(b->conn) == CONNECTION_OK;
            return false;
        }
    }
    return true;
}

static void
log_down(struct backend *b, const char *why)
{
    if (b->down) {
        log_debug("almacén: PostgreSQL sigue sin responder en %s: %s",
                  b->shown, why);
        return;
    }
    b->down = true;
    log_warnx("almacén: se perdió la conexión con PostgreSQL en %s: %s; las "
              "llamadas responderán ERROR_INTERNO hasta que vuelva", b->shown,
              why);
}

/* After a COMMIT whose answer was lost: once the database answers again,
 * says whether it happened, for whoever reads the log. */
static void
report_doubtful(struct backend *b)
{
    struct params p = { 0 };
    char st[32] = "?";
    PGresult *r;

    if (b->doubtful_xid == 0)
        return;
    p_i64(&p, b->doubtful_xid);
    r = PQexecPrepared(b->conn, stmts[ST_XID_STATUS].name, p.n, p.val, p.len,
                       p.fmt, 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        !PQgetisnull(r, 0, 0))
        r_text(r, 0, 0, st, sizeof st);
    PQclear(r);
    if (strcmp(st, "committed") == 0)
        log_warnx("almacén: la transacción %lld, cuya confirmación se perdió "
                  "con la conexión, sí se aplicó, aunque sus llamadas "
                  "respondieron ERROR_INTERNO", (long long)b->doubtful_xid);
    else if (strcmp(st, "aborted") == 0)
        log_info("almacén: la transacción %lld, cuya confirmación se perdió "
                 "con la conexión, no se aplicó", (long long)b->doubtful_xid);
    else
        log_warnx("almacén: no se sabe si la transacción %lld, cuya "
                  "confirmación se perdió con la conexión, se aplicó (estado: "
                  "%s)", (long long)b->doubtful_xid, st);
    b->doubtful_xid = 0;
}

/*
 * Ready for a statement, reconnecting if the connection was lost, at most
 * once every RECONNECT_PAUSE_MS ('now' skips the pause: the loss was only
 * just noticed).  A write transaction never spans a reconnection: the
 * batch that lost its connection has failed already.
 */
static bool
connected(struct backend *b, bool now)
{
    char why[512];
    bool shape;

    if (b->ready && PQstatus(b->conn) == CONNECTION_OK)
        return true;
    b->ready = false;
    if (b->in_tx)
        return false;
    if (!now && mono_ms() < b->retry_at_ms)
        return false;
    PQreset(b->conn);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        one_line(why, sizeof why, PQerrorMessage(b->conn));
        log_down(b, why);
        b->retry_at_ms = mono_ms() + RECONNECT_PAUSE_MS;
        return false;
    }
    if (!setup_session(b, why, sizeof why, &shape)) {
        if (shape)
            log_warnx("almacén: las tablas de %s ya no tienen la forma "
                      "esperada: %s", b->shown, why);
        else
            log_down(b, why);
        b->retry_at_ms = mono_ms() + RECONNECT_PAUSE_MS;
        return false;
    }
    b->ready = true;
    if (b->down)
        log_info("almacén: conexión con PostgreSQL restablecida en %s", b->shown);
    b->down = false;
    report_doubtful(b);
    return true;
}

/*
 * Runs prepared statement id; the result, or NULL after logging why.  A
 * statement outside a write transaction that failed because the connection
 * was lost (the database restarted since the last call, say) did nothing:
 * it is run once more on a new connection.
 */
static PGresult *
run(struct backend *b, enum stmt_id id, const struct params *p, const char *what)
{
    char why[512];
    PGresult *r;
    ExecStatusType st;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (!connected(b, attempt > 0))
            return NULL;
        r = PQexecPrepared(b->conn, stmts[id].name, p ? p->n : 0,
                           p ? p->val : NULL, p ? p->len : NULL,
                           p ? p->fmt : NULL, 1);
        st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            return r;
        PQclear(r);
        one_line(why, sizeof why, PQerrorMessage(b->conn));
        if (PQstatus(b->conn) == CONNECTION_OK) {
            log_warnx("almacén: %s: %s", what, why);
            return NULL;
        }
        b->ready = false;
        log_down(b, why);
        if (b->in_tx || attempt > 0) {
            b->retry_at_ms = mono_ms() + RECONNECT_PAUSE_MS;
            return NULL;
        }
    }
    return NULL;
}

/* A statement that returns no rows. */
static bool
run_cmd(struct backend *b, enum stmt_id id, const struct params *p,
        const char *what)
{
    PGresult *r = run(b, id, p, what);

    PQclear(r);
    return r != NULL;
}

/* -- the backend operations ------------------------------------------------- */

static bool
pg_begin(struct backend *b, uint64_t *ultimo_seq)
{
    PGresult *r;
    int64_t seq;
    bool ok;

    b->in_tx = false;
    if (!run_cmd(b, ST_BEGIN, NULL, "empezar transacción"))
        return false;
    b->in_tx = true;
    if (!run_cmd(b, ST_LOCK, NULL, "esperar el turno de escritura"))
        return false;
    /* Only now: other servers may have written since our last batch. */
    if ((r = run(b, ST_HEAD, NULL, "leer el último movimiento")) == NULL)
        return false;
    ok = PQntuples(r) == 1 && r_i64(r, 0, 0, &seq) && seq >= 0 &&
         r_i64(r, 0, 1, &b->xid);
    PQclear(r);
    if (ok)
        *ultimo_seq = (uint64_t)seq;
    return ok;
}

static bool
pg_commit(struct backend *b, uint64_t ultimo_seq)
{
    PGresult *r;
    bool ok;

    (void)ultimo_seq;               /* the database itself is the truth */
    if (PQtransactionStatus(b->conn) != PQTRANS_INTRANS) {
        /* A statement failed and was not undone; not a case store.c makes. */
        log_warnx("almacén: confirmar: la transacción no está en curso");
        return false;
    }
    r = run(b, ST_COMMIT, NULL, "confirmar");
    /* COMMIT of a failed transaction answers ROLLBACK, and no error. */
    ok = r != NULL && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    if (r == NULL && PQstatus(b->conn) != CONNECTION_OK) {
        b->doubtful_xid = b->xid;
        log_warnx("almacén: se perdió la conexión durante la confirmación de "
                  "la transacción %lld: sus llamadas responden ERROR_INTERNO; "
                  "al volver la conexión se anotará si llegó a aplicarse",
                  (long long)b->xid);
    }
    PQclear(r);
    b->in_tx = false;
    return ok;
}

static void
pg_rollback(struct backend *b)
{
    b->in_tx = false;
    if (PQstatus(b->conn) != CONNECTION_OK ||
        PQtransactionStatus(b->conn) == PQTRANS_IDLE)
        return;
    /* Still marked as in the transaction while ROLLBACK runs, so that if it
     * finds the connection gone it is not sent again on a new one, where
     * there would be nothing to roll back. */
    b->in_tx = true;
    (void)run_cmd(b, ST_ROLLBACK, NULL, "deshacer");
    b->in_tx = false;
}

/* PostgreSQL commits atomically: a COMMIT that failed left nothing that
 * could come back later.  (One whose answer was lost may have happened;
 * connected() finds out and logs it.) */
static bool
pg_forget_failed(struct backend *b)
{
    (void)b;
    return true;
}

static bool
row_producto(const PGresult *r, int row, struct store_producto *p)
{
    r_text(r, row, 0, p->id, sizeof p->id);
    r_text(r, row, 1, p->nombre, sizeof p->nombre);
    return r_i32(r, row, 2, &p->stock);
}

static enum store_rc
pg_get(struct backend *b, const char *id, struct store_producto *p)
{
    struct params a = { 0 };
    enum store_rc rc;
    PGresult *r;

    p_text(&a, id);
    if ((r = run(b, ST_GET, &a, "leer producto")) == NULL)
        return STORE_ERROR;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        rc = row_producto(r, 0, p) ? STORE_OK : STORE_ERROR;
    PQclear(r);
    return rc;
}

static enum store_rc
pg_insert(struct backend *b, const char *id, const char *nombre, int32_t stock)
{
    struct params a = { 0 };
    enum store_rc rc;
    PGresult *r;

    p_text(&a, id);
    p_text(&a, nombre);
    p_i32(&a, stock);
    /* ON CONFLICT DO NOTHING: a taken id inserts no row, and leaves the
     * transaction usable, unlike a unique violation. */
    if ((r = run(b, ST_INSERT, &a, "insertar producto")) == NULL)
        return STORE_ERROR;
    rc = strcmp(PQcmdTuples(r), "1") == 0 ? STORE_OK : STORE_EXISTS;
    PQclear(r);
    return rc;
}

static bool
pg_set_stock(struct backend *b, const char *id, int32_t stock)
{
    struct params a = { 0 };

    p_text(&a, id);
    p_i32(&a, stock);
    return run_cmd(b, ST_SETSTOCK, &a, "actualizar stock");
}

static bool
pg_remove(struct backend *b, const char *id)
{
    struct params a = { 0 };

    p_text(&a, id);
    return run_cmd(b, ST_DELETE, &a, "eliminar producto");
}

static bool
pg_log_movement(struct backend *b, const struct store_movimiento *m)
{
    struct params a = { 0 };

    if (m->seq > INT64_MAX)
        return false;
    p_i64(&a, (int64_t)m->seq);
    p_i64(&a, m->cuando_ms);
    p_i32(&a, (int32_t)m->tipo);
    p_text(&a, m->id);
    p_i32(&a, m->stock_antes);
    p_i32(&a, m->stock_despues);
    p_text(&a, m->motivo);
    p_text(&a, m->origen);
    return run_cmd(b, ST_MOV_ADD, &a, "anotar movimiento");
}

static enum store_rc
pg_key_get(struct backend *b, const char *clave, struct backend_clave *k)
{
    struct params a = { 0 };
    enum store_rc rc = STORE_ERROR;
    PGresult *r;

    p_text(&a, clave);
    if ((r = run(b, ST_KEY_GET, &a, "leer clave")) == NULL)
        return STORE_ERROR;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else if (r_i64(r, 0, 1, &k->delta) && r_i32(r, 0, 3, &k->after.stock)) {
        r_text(r, 0, 0, k->id, sizeof k->id);
        r_text(r, 0, 0, k->after.id, sizeof k->after.id);
        r_text(r, 0, 2, k->after.nombre, sizeof k->after.nombre);
        rc = STORE_OK;
    }
    PQclear(r);
    return rc;
}

static bool
pg_key_put(struct backend *b, const char *clave, const struct backend_clave *k,
           int64_t cuando_ms)
{
    struct params a = { 0 };

    p_text(&a, clave);
    p_text(&a, k->id);
    p_i64(&a, k->delta);
    p_text(&a, k->after.nombre);
    p_i32(&a, k->after.stock);
    p_i64(&a, cuando_ms);
    return run_cmd(b, ST_KEY_ADD, &a, "guardar clave");
}

static bool
pg_key_prune(struct backend *b, int64_t before_ms)
{
    struct params a = { 0 };

    p_i64(&a, before_ms);
    return run_cmd(b, ST_KEY_PRUNE, &a, "podar claves");
}

static enum store_rc
pg_list(struct backend *b, const char *after, size_t max, struct store_lista *out)
{
    struct params a = { 0 };
    enum store_rc rc = STORE_OK;
    size_t cap = 0, rows;
    PGresult *r;

    p_text(&a, after);
    /* One row more than asked tells whether another page exists; a NULL
     * limit is no limit. */
    if (max == 0 || max >= INT64_MAX)
        p_null(&a);
    else
        p_i64(&a, (int64_t)max + 1);
    if ((r = run(b, ST_LIST, &a, "listar productos")) == NULL)
        return STORE_ERROR;
    rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows; i++) {
        if (max != 0 && out->n == max) {
            out->hay_mas = true;
            break;
        }
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_producto(r, (int)i, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    PQclear(r);
    return rc;
}

static bool
row_movimiento(const PGresult *r, int row, struct store_movimiento *m)
{
    int64_t seq;
    int32_t tipo;

    if (!r_i64(r, row, 1, &seq) || seq <= 0 || !r_i64(r, row, 2, &m->cuando_ms) ||
        !r_i32(r, row, 3, &tipo) || tipo < STORE_ALTA || tipo > STORE_BAJA ||
        !r_i32(r, row, 5, &m->stock_antes) || !r_i32(r, row, 6, &m->stock_despues))
        return false;
    m->seq = (uint64_t)seq;
    m->tipo = (enum store_tipo)tipo;
    r_text(r, row, 4, m->id, sizeof m->id);
    r_text(r, row, 7, m->motivo, sizeof m->motivo);
    r_text(r, row, 8, m->origen, sizeof m->origen);
    return true;
}

static enum store_rc
pg_movements(struct backend *b, uint64_t after_seq, const char *id, size_t max,
             struct store_movs *out)
{
    struct params a = { 0 };
    enum store_rc rc = STORE_OK;
    int64_t ultimo;
    size_t cap = 0, rows;
    PGresult *r;

    /* seq is a bigint: anything past INT64_MAX means "none". */
    p_i64(&a, after_seq > INT64_MAX ? INT64_MAX : (int64_t)after_seq);
    p_i64(&a, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    if (id[0] != '\0')
        p_text(&a, id);
    r = run(b, id[0] != '\0' ? ST_MOV_ID : ST_MOV_ALL, &a, "leer movimientos");
    if (r == NULL)
        return STORE_ERROR;
    /* Always one row at least: the newest seq, and a movement or NULLs. */
    rows = (size_t)PQntuples(r);
    if (rows == 0 || !r_i64(r, 0, 0, &ultimo) || ultimo < 0) {
        PQclear(r);
        return STORE_ERROR;
    }
    out->ultimo_seq = (uint64_t)ultimo;
    for (size_t i = 0; i < rows && !PQgetisnull(r, (int)i, 1); i++) {
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !row_movimiento(r, (int)i, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    PQclear(r);
    return rc;
}

static enum store_rc
pg_count(struct backend *b, uint64_t *productos, uint64_t *ultimo_seq)
{
    int64_t n, seq;
    PGresult *r;
    bool ok;

    if ((r = run(b, ST_COUNT, NULL, "contar")) == NULL)
        return STORE_ERROR;
    ok = PQntuples(r) == 1 && r_i64(r, 0, 0, &n) && r_i64(r, 0, 1, &seq) &&
         n >= 0 && seq >= 0;
    PQclear(r);
    if (!ok)
        return STORE_ERROR;
    *productos = (uint64_t)n;
    *ultimo_seq = (uint64_t)seq;
    return STORE_OK;
}

static void
pg_close(struct backend *b)
{
    if (b == NULL)
        return;
    PQfinish(b->conn);
    free(b->shown);
    free(b);
}

/* An outage shows in the calls themselves (count fails for ESTADO). */
static bool
pg_healthy(struct backend *b)
{
    (void)b;
    return true;
}

static const struct backend_ops pg_ops = {
    .name = "postgresql",
    .concurrent_reads = false,      /* one connection, under the store's lock */
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .forget_failed = pg_forget_failed,
    .healthy = pg_healthy,
    .check = pg_healthy,
    .get = pg_get,
    .insert = pg_insert,
    .set_stock = pg_set_stock,
    .remove = pg_remove,
    .log_movement = pg_log_movement,
    .key_get = pg_key_get,
    .key_put = pg_key_put,
    .key_prune = pg_key_prune,
    .read_get = pg_get,
    .list = pg_list,
    .movements = pg_movements,
    .count = pg_count,
};

/* -- opening ---------------------------------------------------------------- */

bool
pg_target_is_uri(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 ||
           strncmp(target, "postgres://", 11) == 0;
}

/* Appends n bytes of s to the string being built at *d. */
static void
put(char **d, const char *s, size_t n)
{
    memcpy(*d, s, n);
    *d += n;
}

char *
pg_target_shown(const char *uri)
{
    const char *auth = strstr(uri, "://"), *end, *at, *colon, *q;
    char *out = malloc(2 * strlen(uri) + 8), *d = out;   /* each '***' adds 3 at most */

    if (out == NULL)
        return NULL;
    if (auth == NULL) {
        strcpy(out, uri);
        return out;
    }
    auth += 3;
    end = auth + strcspn(auth, "/?");
    /* userinfo ends at the authority's last '@'; its password after ':'. */
    at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    put(&d, uri, (size_t)(auth - uri));
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        put(&d, auth, (size_t)(colon - auth));
        put(&d, ":***", 4);
        auth = at;
    }
    put(&d, auth, (size_t)(end - auth));
    /* The path, then each parameter, hiding password=. */
    q = strchr(end, '?');
    put(&d, end, q ? (size_t)(q - end) : strlen(end));
    while (q != NULL) {
        const char *next = strchr(q + 1, '&');
        size_t n = next ? (size_t)(next - q) : strlen(q);

        if (strncmp(q + 1, "password=", 9) == 0) {
            put(&d, q, 10);
            put(&d, "***", 3);
        } else {
            put(&d, q, n);
        }
        q = next;
    }
    *d = '\0';
    return out;
}

/* Whether the database can be ours: a standby cannot take writes, and
 * text must reach it unchanged.  False with err set. */
static bool
probe_database(struct backend *b, bool *tables, char *err, size_t errlen)
{
    char why[512] = "";
    bool recovery;
    PGresult *r = PQexec(b->conn, probe_sql);

    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        one_line(why, sizeof why, PQerrorMessage(b->conn));
        snprintf(err, errlen, "no se puede consultar PostgreSQL en %s: %s",
                 b->shown, why);
        PQclear(r);
        return false;
    }
    recovery = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    snprintf(why, sizeof why, "%s", PQgetvalue(r, 0, 1));
    *tables = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    PQclear(r);
    if (recovery) {
        snprintf(err, errlen, "%s es una réplica en recuperación (solo lectura): "
                 "indique el servidor primario, o promueva la réplica", b->shown);
        return false;
    }
    if (strcmp(why, "UTF8") != 0 && strcmp(why, "SQL_ASCII") != 0) {
        snprintf(err, errlen, "la base de datos de %s usa la codificación %s; el "
                 "inventario necesita UTF8 (CREATE DATABASE ... ENCODING 'UTF8')",
                 b->shown, why);
        return false;
    }
    return true;
}

/*
 * The tables, on a fresh connection: created where missing, then checked
 * (the ids' collation; every statement prepared and its result types
 * compared), all in one transaction under the advisory lock, so that
 * servers starting together do not race on CREATE TABLE and a database
 * whose tables have another shape is left exactly as it was.  A role that
 * only has SELECT, INSERT, UPDATE and DELETE on existing tables will do.
 * False with err set.
 */
static bool
prepare_database(struct backend *b, char *err, size_t errlen)
{
    char why[512] = "", coll[64] = "";
    bool tables, shape;
    PGresult *r;

    if (!probe_database(b, &tables, err, errlen))
        return false;
    if (!exec_simple(b->conn, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")",
                     why, sizeof why)) {
        snprintf(err, errlen, "no se puede preparar %s: %s", b->shown, why);
        return false;
    }
    if (!tables && !exec_simple(b->conn, schema, why, sizeof why)) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s",
                 b->shown, why);
        goto fail;
    }
    r = PQexec(b->conn, collation_sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(coll, sizeof coll, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (strcmp(coll, "C") != 0 && strcmp(coll, "POSIX") != 0) {
        snprintf(err, errlen, "%s tiene tablas de otra forma (productos.id no "
                 "usa COLLATE \"C\" sino \"%s\": el orden por id no sería el "
                 "del contrato)", b->shown, coll);
        goto fail;
    }
    if (!setup_session(b, why, sizeof why, &shape)) {
        if (shape)
            snprintf(err, errlen, "%s tiene tablas de otra forma (%s)", b->shown, why);
        else
            snprintf(err, errlen, "no se puede preparar %s: %s", b->shown, why);
        goto fail;
    }
    if (!exec_simple(b->conn, "COMMIT", why, sizeof why)) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s",
                 b->shown, why);
        return false;
    }
    return true;
fail:
    /* Nothing of it stays: not a table, not a session setting. */
    PQclear(PQexec(b->conn, "ROLLBACK"));
    return false;
}

struct backend *
pg_backend_open(const char *uri, const struct store_opciones *o,
                const struct backend_ops **ops, char *err, size_t errlen)
{
    /* Ours first, so that the URI may change them; client_encoding last,
     * so that it may not: ids and names travel as UTF-8. */
    static const char *const keys[] = {
        "connect_timeout", "application_name", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "dbname", "client_encoding", NULL
    };
    const char *vals[] = { "5", "inventario-server", "10", "5", "3", "20000",
                           uri, "UTF8", NULL };
    struct backend *b = NULL;
    PQconninfoOption *opts;
    char *perr = NULL, why[512];

    if ((b = calloc(1, sizeof *b)) == NULL || (b->shown = pg_target_shown(uri)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    b->sync_sql = o->sync == STORE_SYNC_FULL ? SYNC_FULL_SQL : SYNC_NORMAL_SQL;
    if ((opts = PQconninfoParse(uri, &perr)) == NULL) {
        one_line(why, sizeof why, perr ? perr : "sin memoria");
        snprintf(err, errlen, "URI de PostgreSQL inválida (%s): %s", b->shown, why);
        PQfreemem(perr);
        goto fail;
    }
    PQconninfoFree(opts);
    b->conn = PQconnectdbParams(keys, vals, 1);
    if (b->conn == NULL) {
        snprintf(err, errlen, "sin memoria");
        goto fail;
    }
    PQsetNoticeProcessor(b->conn, notice, NULL);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        one_line(why, sizeof why, PQerrorMessage(b->conn));
        snprintf(err, errlen, "no se puede conectar con PostgreSQL en %s: %s",
                 b->shown, why);
        goto fail;
    }
    if (!prepare_database(b, err, errlen))
        goto fail;
    b->ready = true;
    *ops = &pg_ops;
    return b;
fail:
    pg_close(b);
    return NULL;
}
