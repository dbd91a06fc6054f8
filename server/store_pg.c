/* store_pg.c - the store's PostgreSQL backend: several servers, one inventory. */
#include "store_pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* -- the backend operations ------------------------------------------------- */

static bool
pg_begin(struct backend *b, uint64_t *ultimo_seq)
{
    PGresult *r;
    int64_t seq;
    bool ok;

    b->in_tx = false;
    if (!pg_run_cmd(b, ST_BEGIN, NULL, "empezar transacción"))
        return false;
    b->in_tx = true;
    if (!pg_run_cmd(b, ST_LOCK, NULL, "esperar el turno de escritura"))
        return false;
    /* Only now: other servers may have written since our last batch. */
    if ((r = pg_run(b, ST_HEAD, NULL, "leer el último movimiento")) == NULL)
        return false;
    ok = PQntuples(r) == 1 && pg_r_i64(r, 0, 0, &seq) && seq >= 0 &&
         pg_r_i64(r, 0, 1, &b->xid);
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
    r = pg_run(b, ST_COMMIT, NULL, "confirmar");
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
    (void)pg_run_cmd(b, ST_ROLLBACK, NULL, "deshacer");
    b->in_tx = false;
}

/* PostgreSQL commits atomically: a COMMIT that failed left nothing that
 * could come back later.  (One whose answer was lost may have happened;
 * pg_connected() finds out and logs it.) */
static bool
pg_forget_failed(struct backend *b)
{
    (void)b;
    return true;
}

static enum store_rc
pg_get(struct backend *b, const char *id, struct store_producto *p)
{
    struct params a = { 0 };
    enum store_rc rc;
    PGresult *r;

    pg_p_text(&a, id);
    if ((r = pg_run(b, ST_GET, &a, "leer producto")) == NULL)
        return STORE_ERROR;
    if (PQntuples(r) == 0)
        rc = STORE_NOT_FOUND;
    else
        rc = pg_row_producto(r, 0, p) ? STORE_OK : STORE_ERROR;
    PQclear(r);
    return rc;
}

static enum store_rc
pg_insert(struct backend *b, const char *id, const char *nombre, int32_t stock)
{
    struct params a = { 0 };
    enum store_rc rc;
    PGresult *r;

    pg_p_text(&a, id);
    pg_p_text(&a, nombre);
    pg_p_i32(&a, stock);
    /* ON CONFLICT DO NOTHING: a taken id inserts no row, and leaves the
     * transaction usable, unlike a unique violation. */
    if ((r = pg_run(b, ST_INSERT, &a, "insertar producto")) == NULL)
        return STORE_ERROR;
    rc = strcmp(PQcmdTuples(r), "1") == 0 ? STORE_OK : STORE_EXISTS;
    PQclear(r);
    return rc;
}

static bool
pg_set_stock(struct backend *b, const char *id, int32_t stock)
{
    struct params a = { 0 };

    pg_p_text(&a, id);
    pg_p_i32(&a, stock);
    return pg_run_cmd(b, ST_SETSTOCK, &a, "actualizar stock");
}

static bool
pg_remove(struct backend *b, const char *id)
{
    struct params a = { 0 };

    pg_p_text(&a, id);
    return pg_run_cmd(b, ST_DELETE, &a, "eliminar producto");
}

static bool
pg_log_movement(struct backend *b, const struct store_movimiento *m)
{
    struct params a = { 0 };

    if (m->seq > INT64_MAX)
        return false;
    pg_p_i64(&a, (int64_t)m->seq);
    pg_p_i64(&a, m->cuando_ms);
    pg_p_i32(&a, (int32_t)m->tipo);
    pg_p_text(&a, m->id);
    pg_p_i32(&a, m->stock_antes);
    pg_p_i32(&a, m->stock_despues);
    pg_p_text(&a, m->motivo);
    pg_p_text(&a, m->origen);
    return pg_run_cmd(b, ST_MOV_ADD, &a, "anotar movimiento");
}

static enum store_rc
pg_key_get(struct backend *b, const char *clave, struct backend_clave *k)
{
    struct params a = { 0 };
    enum store_rc rc = STORE_ERROR;
    PGresult *r;

    pg_p_text(&a, clave);
    if ((r = pg_run(b, ST_KEY_GET, &a, "leer clave")) == NULL)
        return STORE_ERROR;
    if (PQntuples(r) == 0) {
        rc = STORE_NOT_FOUND;
    } else if (pg_r_i64(r, 0, 1, &k->delta) && pg_r_i32(r, 0, 3, &k->after.stock)) {
        pg_r_text(r, 0, 0, k->id, sizeof k->id);
        pg_r_text(r, 0, 0, k->after.id, sizeof k->after.id);
        pg_r_text(r, 0, 2, k->after.nombre, sizeof k->after.nombre);
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

    pg_p_text(&a, clave);
    pg_p_text(&a, k->id);
    pg_p_i64(&a, k->delta);
    pg_p_text(&a, k->after.nombre);
    pg_p_i32(&a, k->after.stock);
    pg_p_i64(&a, cuando_ms);
    return pg_run_cmd(b, ST_KEY_ADD, &a, "guardar clave");
}

static bool
pg_key_prune(struct backend *b, int64_t before_ms)
{
    struct params a = { 0 };

    pg_p_i64(&a, before_ms);
    return pg_run_cmd(b, ST_KEY_PRUNE, &a, "podar claves");
}

static enum store_rc
pg_list(struct backend *b, const char *after, size_t max, struct store_lista *out)
{
    struct params a = { 0 };
    enum store_rc rc = STORE_OK;
    size_t cap = 0, rows;
    PGresult *r;

    pg_p_text(&a, after);
    /* One row more than asked tells whether another page exists; a NULL
     * limit is no limit. */
    if (max == 0 || max >= INT64_MAX)
        pg_p_null(&a);
    else
        pg_p_i64(&a, (int64_t)max + 1);
    if ((r = pg_run(b, ST_LIST, &a, "listar productos")) == NULL)
        return STORE_ERROR;
    rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows; i++) {
        if (max != 0 && out->n == max) {
            out->hay_mas = true;
            break;
        }
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !pg_row_producto(r, (int)i, &out->items[out->n])) {
            rc = STORE_ERROR;
            break;
        }
        out->n++;
    }
    PQclear(r);
    return rc;
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
    pg_p_i64(&a, after_seq > INT64_MAX ? INT64_MAX : (int64_t)after_seq);
    pg_p_i64(&a, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    if (id[0] != '\0')
        pg_p_text(&a, id);
    r = pg_run(b, id[0] != '\0' ? ST_MOV_ID : ST_MOV_ALL, &a, "leer movimientos");
    if (r == NULL)
        return STORE_ERROR;
    /* Always one row at least: the newest seq, and a movement or NULLs. */
    rows = (size_t)PQntuples(r);
    if (rows == 0 || !pg_r_i64(r, 0, 0, &ultimo) || ultimo < 0) {
        PQclear(r);
        return STORE_ERROR;
    }
    out->ultimo_seq = (uint64_t)ultimo;
    for (size_t i = 0; i < rows && !PQgetisnull(r, (int)i, 1); i++) {
        if (!backend_grow((void **)&out->items, &cap, out->n, sizeof *out->items) ||
            !pg_row_movimiento(r, (int)i, &out->items[out->n])) {
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

    if ((r = pg_run(b, ST_COUNT, NULL, "contar")) == NULL)
        return STORE_ERROR;
    ok = PQntuples(r) == 1 && pg_r_i64(r, 0, 0, &n) && pg_r_i64(r, 0, 1, &seq) &&
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
    if (b->reader != NULL) {
        pg_close(b->reader);
        pthread_mutex_destroy(&b->rmu);
    }
    PQfinish(b->conn);
    free(b->shown);
    free(b);
}

/* Reads, on the read connection: any thread, without the store's lock. */
static enum store_rc
pg_read_get(struct backend *b, const char *id, struct store_producto *p)
{
    enum store_rc rc;

    pthread_mutex_lock(&b->rmu);
    rc = pg_get(b->reader, id, p);
    pthread_mutex_unlock(&b->rmu);
    return rc;
}

static enum store_rc
pg_read_list(struct backend *b, const char *after, size_t max,
             struct store_lista *out)
{
    enum store_rc rc;

    pthread_mutex_lock(&b->rmu);
    rc = pg_list(b->reader, after, max, out);
    pthread_mutex_unlock(&b->rmu);
    return rc;
}

static enum store_rc
pg_read_movements(struct backend *b, uint64_t after_seq, const char *id,
                  size_t max, struct store_movs *out)
{
    enum store_rc rc;

    pthread_mutex_lock(&b->rmu);
    rc = pg_movements(b->reader, after_seq, id, max, out);
    pthread_mutex_unlock(&b->rmu);
    return rc;
}

static enum store_rc
pg_read_count(struct backend *b, uint64_t *productos, uint64_t *ultimo_seq)
{
    enum store_rc rc;

    pthread_mutex_lock(&b->rmu);
    rc = pg_count(b->reader, productos, ultimo_seq);
    pthread_mutex_unlock(&b->rmu);
    return rc;
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
    .read_get = pg_read_get,
    .list = pg_read_list,
    .movements = pg_read_movements,
    .count = pg_read_count,
};

/* -- opening ---------------------------------------------------------------- */

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

    if (!pg_probe_database(b->conn, b->shown, &tables, err, errlen))
        return false;
    if (!pg_exec_simple(b->conn, "BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY ")",
                     why, sizeof why)) {
        snprintf(err, errlen, "no se puede preparar %s: %s", b->shown, why);
        return false;
    }
    if (!tables && !pg_exec_simple(b->conn, pg_schema, why, sizeof why)) {
        snprintf(err, errlen, "no se pueden crear las tablas en %s: %s",
                 b->shown, why);
        goto fail;
    }
    r = PQexec(b->conn, pg_collation_sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        snprintf(coll, sizeof coll, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (strcmp(coll, "C") != 0 && strcmp(coll, "POSIX") != 0) {
        snprintf(err, errlen, "%s tiene tablas de otra forma (productos.id no "
                 "usa COLLATE \"C\" sino \"%s\": el orden por id no sería el "
                 "del contrato)", b->shown, coll);
        goto fail;
    }
    if (!pg_setup_session(b, why, sizeof why, &shape)) {
        if (shape)
            snprintf(err, errlen, "%s tiene tablas de otra forma (%s)", b->shown, why);
        else
            snprintf(err, errlen, "no se puede preparar %s: %s", b->shown, why);
        goto fail;
    }
    if (!pg_exec_simple(b->conn, "COMMIT", why, sizeof why)) {
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

/* One connection to the database, its tables checked and its statements
 * prepared; 'what' names it in logs. */
static struct backend *
open_one(const char *uri, const struct store_opciones *o, const char *what,
         char *err, size_t errlen)
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
    char *perr = NULL, why[512], *shown = NULL;

    if ((b = calloc(1, sizeof *b)) == NULL || (shown = pg_target_shown(uri)) == NULL ||
        (b->shown = malloc(strlen(shown) + strlen(what) + 1)) == NULL) {
        snprintf(err, errlen, "sin memoria");
        free(shown);
        goto fail;
    }
    sprintf(b->shown, "%s%s", shown, what);
    free(shown);
    b->sync_sql = o->sync == STORE_SYNC_FULL ? SYNC_FULL_SQL : SYNC_NORMAL_SQL;
    if ((opts = PQconninfoParse(uri, &perr)) == NULL) {
        pg_one_line(why, sizeof why, perr ? perr : "sin memoria");
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
    PQsetNoticeProcessor(b->conn, pg_notice, NULL);
    if (PQstatus(b->conn) != CONNECTION_OK) {
        pg_one_line(why, sizeof why, PQerrorMessage(b->conn));
        snprintf(err, errlen, "no se puede conectar con PostgreSQL en %s: %s",
                 b->shown, why);
        goto fail;
    }
    if (!prepare_database(b, err, errlen))
        goto fail;
    b->ready = true;
    return b;
fail:
    pg_close(b);
    return NULL;
}

struct backend *
pg_backend_open(const char *uri, const struct store_opciones *o,
                const struct backend_ops **ops, char *err, size_t errlen)
{
    struct backend *b = open_one(uri, o, "", err, errlen);

    if (b == NULL)
        return NULL;
    if ((b->reader = open_one(uri, o, " (lecturas)", err, errlen)) == NULL) {
        pg_close(b);
        return NULL;
    }
    pthread_mutex_init(&b->rmu, NULL);
    *ops = &pg_ops;
    return b;
}
