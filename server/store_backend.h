/* store_backend.h - what a database must give the store: the private seam
 * between store.c (locking, group commit, the rules of each write) and one
 * engine (store_sqlite.c; store_pg.c for several servers on PostgreSQL).
 *
 * Only the store calls these.  The write side (begin to rollback, get to
 * key_prune, check) runs with the store's lock held, so it sees one thread
 * at a time.  Reads (read_get to count) and healthy run without it, from
 * any number of threads at once, on connections of the backend's own: each
 * must see only committed data and never wait for a write.  Writes happen
 * between begin and commit/rollback.  A write that is refused for its own
 * reason (insert: the id is taken) must leave the transaction usable and
 * unchanged; any failure of the database may leave it in any state, and
 * store.c then rolls it back.  Booleans are true on success; on failure the
 * backend has logged why.  Reads return STORE_OK, STORE_NOT_FOUND or STORE_ERROR.
 */
#ifndef INVENTARIO_STORE_BACKEND_H
#define INVENTARIO_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store.h"

struct backend;

/* What a retry key remembers: the call it was first used with and what
 * that call answered. */
struct backend_clave {
    char                  id[VALIDAR_ID_MAX + 1];
    int64_t               delta;
    struct store_producto after;
};

struct backend_ops {
    const char *name;
    void (*close)(struct backend *b);

    /* A write transaction.  begin serialises writers (across every server
     * that shares the database, where there can be several) and reports the
     * newest movement seq as of that moment. */
    bool (*begin)(struct backend *b, uint64_t *ultimo_seq);
    /* 'ultimo_seq' is the newest seq the transaction logged. */
    bool (*commit)(struct backend *b, uint64_t ultimo_seq);
    void (*rollback)(struct backend *b);
    /* After a failed commit: make sure nothing of it can come back later
     * (for SQLite, empty the WAL).  False while that is not yet possible;
     * the store then refuses writes and tries again on the next call. */
    bool (*forget_failed)(struct backend *b);
    /* False if the database can no longer take writes for a reason the
     * backend can see without asking it (SQLite: its files were deleted or
     * replaced).  Any thread, no lock; logs nothing. */
    bool (*healthy)(struct backend *b);
    /* The same, lock held; the first time it fails it logs why and saves
     * what it can of what was committed, and says what to do. */
    bool (*check)(struct backend *b);

    /* Rows, inside a write transaction or as a read of their own. */
    enum store_rc (*get)(struct backend *b, const char *id, struct store_producto *p);
    /* STORE_OK, STORE_EXISTS if the id is taken, or STORE_ERROR. */
    enum store_rc (*insert)(struct backend *b, const char *id, const char *nombre,
                            int32_t stock);
    bool (*set_stock)(struct backend *b, const char *id, int32_t stock);
    bool (*remove)(struct backend *b, const char *id);
    bool (*log_movement)(struct backend *b, const struct store_movimiento *m);
    enum store_rc (*key_get)(struct backend *b, const char *clave,
                             struct backend_clave *out);
    bool (*key_put)(struct backend *b, const char *clave,
                    const struct backend_clave *k, int64_t cuando_ms);
    bool (*key_prune)(struct backend *b, int64_t before_ms);

    /* Reads (store.h says what they return): no lock, any thread. */
    enum store_rc (*read_get)(struct backend *b, const char *id,
                              struct store_producto *p);
    enum store_rc (*list)(struct backend *b, const char *after, size_t max,
                          struct store_lista *out);
    enum store_rc (*movements)(struct backend *b, uint64_t after_seq,
                               const char *id, size_t max, struct store_movs *out);
    enum store_rc (*count)(struct backend *b, uint64_t *productos,
                           uint64_t *ultimo_seq);
};

/* A backend opened on its target: a file path for SQLite.  NULL on failure,
 * with a one-line reason (Spanish) in err. */
struct backend *sqlite_backend_open(const char *path,
                                    const struct store_opciones *o,
                                    const struct backend_ops **ops,
                                    char *err, size_t errlen);

/* A backend on a PostgreSQL database named by a postgresql:// or
 * postgres:// URI (libpq's syntax), shared by any number of servers.  NULL
 * on failure, with a one-line reason (Spanish) in err.  Only in a build
 * with INVENTARIO_WITH_PG. */
struct backend *pg_backend_open(const char *uri, const struct store_opciones *o,
                                const struct backend_ops **ops,
                                char *err, size_t errlen);

/* True if target is a PostgreSQL URI rather than a SQLite path (in any
 * build: one without PostgreSQL must refuse it, not create such a file). */
bool pg_target_is_uri(const char *target);

/* A copy of a URI fit for logs, its password (if any) replaced by ***;
 * the caller frees it.  NULL if memory ran out. */
char *pg_target_shown(const char *uri);

/* For backends: makes room in a growing result array for item n (doubling,
 * from 64); false if memory ran out, the array left as it was. */
static inline bool
backend_grow(void **items, size_t *cap, size_t n, size_t size)
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

#endif
