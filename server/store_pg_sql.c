/* store_pg_sql.c - the PostgreSQL backend's statements, schema, and
 * parameter and row helpers; see store_pg.h. */
#include "store_pg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct stmt_def pg_stmts[ST_N] = {
#define STMT_DEF(name, sql, params, cols) { #name, sql, params, cols },
    STMT_MAP(STMT_DEF)
#undef STMT_DEF
};

/* The tables: the same columns and CHECKs as SQLite's.  Ids are compared
 * with the "C" collation, bytewise like SQLite, so that LISTAR's order and
 * LISTAR_PAGINA's 'id > desde_id' are the contract's whatever the
 * database's default collation. */
const char pg_schema[] =
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
const char pg_probe_sql[] =
    "SELECT pg_is_in_recovery(), current_setting('server_encoding'), "
    "to_regclass('productos') IS NOT NULL AND "
    "to_regclass('movimientos') IS NOT NULL AND "
    "to_regclass('claves') IS NOT NULL";

const char pg_collation_sql[] =
    "SELECT c.collname FROM pg_attribute a "
    "JOIN pg_collation c ON c.oid = a.attcollation "
    "WHERE a.attrelid = to_regclass('productos') AND a.attname = 'id'";

/* libpq's messages end in a newline and may span lines: one line, for the
 * log and for err. */
void
pg_one_line(char *dst, size_t cap, const char *msg)
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

void
pg_p_text(struct params *p, const char *s)
{
    p->val[p->n] = s;
    p->len[p->n] = (int)strlen(s);
    p->fmt[p->n++] = 1;
}

void
pg_p_i64(struct params *p, int64_t v)
{
    uint64_t u = (uint64_t)v;

    for (int i = 0; i < 8; i++)
        p->num[p->n][i] = (char)(u >> (56 - 8 * i));
    p->val[p->n] = p->num[p->n];
    p->len[p->n] = 8;
    p->fmt[p->n++] = 1;
}

void
pg_p_i32(struct params *p, int32_t v)
{
    uint32_t u = htonl((uint32_t)v);

    memcpy(p->num[p->n], &u, 4);
    p->val[p->n] = p->num[p->n];
    p->len[p->n] = 4;
    p->fmt[p->n++] = 1;
}

void
pg_p_null(struct params *p)
{
    p->val[p->n] = NULL;
    p->len[p->n] = 0;
    p->fmt[p->n++] = 1;
}

bool
pg_r_i64(const PGresult *r, int row, int col, int64_t *out)
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

bool
pg_r_i32(const PGresult *r, int row, int col, int32_t *out)
{
    uint32_t u;

    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 4)
        return false;
    memcpy(&u, PQgetvalue(r, row, col), 4);
    *out = (int32_t)ntohl(u);
    return true;
}

/* Copies a text column, cut to cap - 1 bytes (the pg_schema's CHECKs keep
 * every value within its field). */
void
pg_r_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    size_t n = (size_t)PQgetlength(r, row, col);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, PQgetvalue(r, row, col), n);
    dst[n] = '\0';
}

/* Runs one of our fixed statements (no input in it) on the connection as it
 * is; false with a one-line reason in why. */
bool
pg_exec_simple(PGconn *conn, const char *sql, char *why, size_t len)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok)
        pg_one_line(why, len, PQerrorMessage(conn));
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
bool
pg_prepare_one(PGconn *conn, int i, char *why, size_t len)
{
    const struct stmt_def *d = &pg_stmts[i];
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
        pg_one_line(why, len, PQerrorMessage(conn));
        return false;
    }
    r = PQdescribePrepared(conn, d->name);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        pg_one_line(why, len, PQerrorMessage(conn));
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

bool
pg_row_producto(const PGresult *r, int row, struct store_producto *p)
{
    pg_r_text(r, row, 0, p->id, sizeof p->id);
    pg_r_text(r, row, 1, p->nombre, sizeof p->nombre);
    return pg_r_i32(r, row, 2, &p->stock);
}

bool
pg_row_movimiento(const PGresult *r, int row, struct store_movimiento *m)
{
    int64_t seq;
    int32_t tipo;

    if (!pg_r_i64(r, row, 1, &seq) || seq <= 0 || !pg_r_i64(r, row, 2, &m->cuando_ms) ||
        !pg_r_i32(r, row, 3, &tipo) || tipo < STORE_ALTA || tipo > STORE_BAJA ||
        !pg_r_i32(r, row, 5, &m->stock_antes) || !pg_r_i32(r, row, 6, &m->stock_despues))
        return false;
    m->seq = (uint64_t)seq;
    m->tipo = (enum store_tipo)tipo;
    pg_r_text(r, row, 4, m->id, sizeof m->id);
    pg_r_text(r, row, 7, m->motivo, sizeof m->motivo);
    pg_r_text(r, row, 8, m->origen, sizeof m->origen);
    return true;
}


/* Whether the database can be ours: a standby cannot take writes, and
 * text must reach it unchanged.  False with err set. */
bool
pg_probe_database(PGconn *conn, const char *shown, bool *tables, char *err,
                  size_t errlen)
{
    char why[512] = "";
    bool recovery;
    PGresult *r = PQexec(conn, pg_probe_sql);

    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        pg_one_line(why, sizeof why, PQerrorMessage(conn));
        snprintf(err, errlen, "no se puede consultar PostgreSQL en %s: %s",
                 shown, why);
        PQclear(r);
        return false;
    }
    recovery = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    snprintf(why, sizeof why, "%s", PQgetvalue(r, 0, 1));
    *tables = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    PQclear(r);
    if (recovery) {
        snprintf(err, errlen, "%s es una réplica en recuperación (solo lectura): "
                 "indique el servidor primario, o promueva la réplica", shown);
        return false;
    }
    if (strcmp(why, "UTF8") != 0 && strcmp(why, "SQL_ASCII") != 0) {
        snprintf(err, errlen, "la base de datos de %s usa la codificación %s; el "
                 "inventario necesita UTF8 (CREATE DATABASE ... ENCODING 'UTF8')",
                 shown, why);
        return false;
    }
    return true;
}
