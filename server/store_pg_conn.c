/* store_pg_conn.c - the PostgreSQL backend's connection: session set-up,
 * reconnection after an outage, and running prepared statements; see
 * store_pg.h. */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A lost database is tried again at most this often, so that while it is
 * down calls fail at once instead of each waiting for a connect. */
#define RECONNECT_PAUSE_MS 1000

int64_t
pg_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* NOTICEs go to the debug log rather than libpq's default, stderr. */
void
pg_notice(void *arg, const char *msg)
{
    char line[512];

    (void)arg;
    pg_one_line(line, sizeof line, msg);
    log_debug("almacén: PostgreSQL: %s", line);
}

/* -- the connection --------------------------------------------------------- */

/* What every new session needs: settings, then the statements.  'shape' is
 * set when the failure was a statement that does not fit the tables. */
bool
pg_setup_session(struct backend *b, char *why, size_t len, bool *shape)
{
    *shape = false;
    if (!pg_exec_simple(b->conn, SESSION_SQL, why, len) ||
        !pg_exec_simple(b->conn, b->sync_sql, why, len))
        return false;
    for (int i = 0; i < ST_N; i++) {
        if (!pg_prepare_one(b->conn, i, why, len)) {
            *shape = PQstatus(b->conn) == CONNECTION_OK;
            return false;
        }
    }
    return true;
}

static void
pg_log_down(struct backend *b, const char *why)
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
pg_report_doubtful(struct backend *b)
{
    struct params p = { 0 };
    char st[32] = "?";
    PGresult *r;

    if (b->doubtful_xid == 0)
        return;
    pg_p_i64(&p, b->doubtful_xid);
    r = PQexecPrepared(b->conn, pg_stmts[ST_XID_STATUS].name, p.n, p.val, p.len,
                       p.fmt, 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        !PQgetisnull(r, 0, 0))
        pg_r_text(r, 0, 0, st, sizeof st);
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
bool
pg_connected(struct backend *b, bool now)
{
    char why[512];
    bool shape;

    if (b->ready && PQstatus(b->conn) == CONNECTION_OK)
        return true;
    b->ready = false;
    if (b->in_tx)
        return false;
    if (!now && pg_mono_ms() < b->retry_at_ms)
        return false;
    PQreset(b->conn);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        pg_one_line(why, sizeof why, PQerrorMessage(b->conn));
        pg_log_down(b, why);
        b->retry_at_ms = pg_mono_ms() + RECONNECT_PAUSE_MS;
        return false;
    }
    if (!pg_setup_session(b, why, sizeof why, &shape)) {
        if (shape)
            log_warnx("almacén: las tablas de %s ya no tienen la forma "
                      "esperada: %s", b->shown, why);
        else
            pg_log_down(b, why);
        b->retry_at_ms = pg_mono_ms() + RECONNECT_PAUSE_MS;
        return false;
    }
    b->ready = true;
    if (b->down)
        log_info("almacén: conexión con PostgreSQL restablecida en %s", b->shown);
    b->down = false;
    pg_report_doubtful(b);
    return true;
}

/*
 * Runs prepared statement id; the result, or NULL after logging why.  A
 * statement outside a write transaction that failed because the connection
 * was lost (the database restarted since the last call, say) did nothing:
 * it is run once more on a new connection.
 */
PGresult *
pg_run(struct backend *b, enum stmt_id id, const struct params *p, const char *what)
{
    char why[512];
    PGresult *r;
    ExecStatusType st;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (!pg_connected(b, attempt > 0))
            return NULL;
        r = PQexecPrepared(b->conn, pg_stmts[id].name, p ? p->n : 0,
                           p ? p->val : NULL, p ? p->len : NULL,
                           p ? p->fmt : NULL, 1);
        st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            return r;
        PQclear(r);
        pg_one_line(why, sizeof why, PQerrorMessage(b->conn));
        if (PQstatus(b->conn) == CONNECTION_OK) {
            log_warnx("almacén: %s: %s", what, why);
            return NULL;
        }
        b->ready = false;
        pg_log_down(b, why);
        if (b->in_tx || attempt > 0) {
            b->retry_at_ms = pg_mono_ms() + RECONNECT_PAUSE_MS;
            return NULL;
        }
    }
    return NULL;
}

/* A statement that returns no rows. */
bool
pg_run_cmd(struct backend *b, enum stmt_id id, const struct params *p,
        const char *what)
{
    PGresult *r = pg_run(b, id, p, what);

    PQclear(r);
    return r != NULL;
}
