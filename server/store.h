/* store.h - the inventory's durable state: products, movement log, retry keys.
 *
 * The store hides the database (SQLite, or PostgreSQL where several servers
 * share one inventory; see store_backend.h): callers see an opaque handle,
 * plain C structs and one status enum.  Any thread may call any function at
 * any time.  The store's mutex (the mission's one global lock, documented in
 * store_priv.h) serialises every change: a write holds it only while its
 * batch is applied and committed, by whichever thread leads that batch (the
 * others wait for the commit without it).  Reads never take it: they run on
 * read connections of their own, on the last committed state, so no read
 * waits for a write, its sync or a lock another process holds on the
 * database.  Callers must hold
 * no lock of their own and must not call in while doing network I/O they
 * could be blocked on.
 *
 * Every write that answers STORE_OK was committed to disk (with the chosen
 * synchronous mode) before the function returned, and appended exactly one
 * movement in the same transaction.  Any other answer changed nothing.
 * With group commit, writes that arrive while another commit is syncing
 * are applied in arrival order and committed together with one sync; each
 * still returns only after the commit that contains it, and a write that
 * fails its own checks affects no other.  Arguments are assumed already
 * validated (validar.h) except where a function says it checks them.
 */
#ifndef INVENTARIO_STORE_H
#define INVENTARIO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "validar.h"

struct store;

/* The same values, in the same order, as the contract's `estado`
 * (handlers.c asserts it); one table makes the enum and the contract's
 * names, for logs. */
#define STORE_RC_MAP(X)                                                      \
    X(STORE_OK,           0, "OK")                                           \
    X(STORE_EXISTS,       1, "YA_EXISTE")          /* add: the id is taken */ \
    X(STORE_NOT_FOUND,    2, "NO_ENCONTRADO")      /* no product with that id */ \
    X(STORE_INVALID,      3, "INVALIDO")           /* overflow; a reused key */ \
    X(STORE_ERROR,        4, "ERROR_INTERNO")      /* the database failed */ \
    X(STORE_INSUFFICIENT, 5, "STOCK_INSUFICIENTE") /* adjust: below zero */

enum store_rc {
#define STORE_RC_ENUM(name, value, text) name = value,
    STORE_RC_MAP(STORE_RC_ENUM)
#undef STORE_RC_ENUM
};

/* The contract's name of a status ("NO_ENCONTRADO"); "?" for any other value. */
const char *store_rc_nombre(enum store_rc rc);

enum store_sync {
    STORE_SYNC_FULL,          /* a commit survives power loss */
    STORE_SYNC_NORMAL         /* a commit survives a crash of the process */
};

enum store_tipo { STORE_ALTA = 1, STORE_STOCK = 2, STORE_BAJA = 3 };

struct store_producto {
    char    id[VALIDAR_ID_MAX + 1];
    char    nombre[VALIDAR_NOMBRE_MAX + 1];
    int32_t stock;
};

#define STORE_ORIGEN_MAX INV_ORIGEN_MAX     /* the contract's limit */

struct store_movimiento {
    uint64_t        seq;
    int64_t         cuando_ms;
    enum store_tipo tipo;
    char            id[VALIDAR_ID_MAX + 1];
    int32_t         stock_antes;
    int32_t         stock_despues;
    char            motivo[VALIDAR_TEXTO_MAX + 1];
    char            origen[STORE_ORIGEN_MAX + 1];
};

struct store_lista {
    struct store_producto *items;
    size_t                 n;
    bool                   hay_mas;   /* greater ids exist past the last item */
    struct store          *slot_of;   /* a whole listing: the store whose slot
                                       * it holds until store_lista_free */
};

struct store_movs {
    struct store_movimiento *items;
    size_t                   n;
    uint64_t                 ultimo_seq;
};

/* One server per SQLite store: takes the exclusive lock on the file that
 * 'target' names (bloqueo.h), before anything else touches it.  *fd gets
 * the lock's descriptor, to keep open for as long as the store is served
 * (the kernel lets it go when the process ends); -1 for a PostgreSQL URI,
 * which several servers may share.  False, with a one-line reason (Spanish)
 * in err naming the holder's PID, if another process holds the lock. */
bool store_lock(const char *target, int *fd, char *err, size_t errlen);

/* How to open a store; STORE_OPCIONES_DEFECTO is what the server uses
 * unless told otherwise. */
struct store_opciones {
    enum store_sync sync;
    bool            group_commit;   /* batch concurrent writes into one commit */
    unsigned        mmap_mib;       /* SQLite: MiB of the file read through
                                     * one shared memory map (0: none) */
    unsigned        lectores;       /* SQLite: read connections, opened at
                                     * start: as many as reads at once */
};
#define STORE_MMAP_MIB_DEFECTO 1024

/* Opens the database: a postgresql:// (or postgres://) URI selects a
 * PostgreSQL database, anything else is a SQLite file, created empty if it
 * does not exist.  Tables are created where missing.  A file that is not a
 * SQLite database or fails PRAGMA quick_check, a database unreachable at
 * start, or tables of another shape are refused and left untouched.
 * A SQLite file (with its folder, WAL and shared-memory files) the process
 * could not write is refused too: a store that cannot write must not start.
 * The start-up log says how much of the file is mapped into memory.  On
 * failure returns NULL and writes a one-line reason (Spanish) to err. */
struct store *store_open(const char *path, const struct store_opciones *o,
                         char *err, size_t errlen);

/* Closes the database.  No other call may be running or follow. */
void store_close(struct store *s);

/* Functions a write calls just before and just after it waits for the
 * commit that contains it, or commits it itself (either way the thread
 * mostly waits for the disk); the server passes pool_wait_begin and
 * pool_wait_end.  Call before any write. */
void store_set_wait_hooks(struct store *s, void (*begin)(void),
                          void (*end)(void));

/*
 * A write whose caller does not wait for its commit, so that no thread is
 * held while the disk syncs: the caller embeds this in memory of its own
 * and sets 'fin'.  A write given one may answer STORE_PENDING: it has
 * joined a batch, and fin runs once the commit containing it is durable
 * (or has failed), on the thread that led that commit, with the answer the
 * write would have returned ('after' filled by then).  The write's strings
 * and 'after' must stay valid until fin runs.  Any other answer is final
 * and fin is not called.  fin must not block: it hands a reply to the
 * transport and returns.
 */
struct store_fin {
    void (*fin)(struct store_fin *f, enum store_rc rc);
};
#define STORE_PENDING ((enum store_rc)101)

/* Returns once every write answered through a fin has been answered.
 * Called after the last write was made, before what the fins use goes. */
void store_drain(struct store *s);

/* Writes.  'origen' (at most STORE_ORIGEN_MAX bytes) is who asked, for the
 * movement log.  'after', where given, receives the product as it is after
 * the call; it may be NULL.  'fin': NULL to wait for the commit, or see
 * struct store_fin. */
enum store_rc store_agregar(struct store *s, const char *id, const char *nombre,
                            int32_t stock, const char *origen,
                            struct store_fin *fin);
enum store_rc store_actualizar(struct store *s, const char *id, int32_t stock,
                               const char *origen, struct store_fin *fin);
enum store_rc store_eliminar(struct store *s, const char *id, const char *origen,
                             struct store_fin *fin);

/* Adds delta to the stock atomically.  STORE_INSUFFICIENT below zero,
 * STORE_INVALID past INT32_MAX.  A non-empty clave already applied with the
 * same id and delta answers STORE_OK with the product as it was right after
 * that first call and changes nothing; with another id or delta it answers
 * STORE_INVALID.  Keys are remembered (only for calls that answered OK) in
 * the same transaction, for at least STORE_CLAVE_TTL_MS. */
#define STORE_CLAVE_TTL_MS (25LL * 3600 * 1000)
enum store_rc store_ajustar(struct store *s, const char *id, int32_t delta,
                            const char *motivo, const char *clave,
                            const char *origen, struct store_producto *after,
                            struct store_fin *fin);

/* Reads. */
enum store_rc store_obtener(struct store *s, const char *id,
                            struct store_producto *out);

/* Products with id > after (bytewise), ordered by id, at most max of them.
 * max 0 is the whole inventory, read in one snapshot.  A whole listing holds every row in memory until it is
 * freed, so only one is built at a time: others wait for it to be freed
 * (the wait hooks run around that wait).  On STORE_OK the caller frees out
 * with store_lista_free, as soon as its reply is sent. */
enum store_rc store_listar(struct store *s, const char *after, size_t max,
                           struct store_lista *out);
void store_lista_free(struct store_lista *l);

/* Movements with seq > after_seq, of product id ("" for all), oldest first,
 * at most max (> 0).  On STORE_OK free out with store_movs_free. */
enum store_rc store_movimientos(struct store *s, uint64_t after_seq,
                                const char *id, size_t max,
                                struct store_movs *out);
void store_movs_free(struct store_movs *m);

/* Figures for ESTADO and the start-up log: products now, newest seq.
 * STORE_ERROR if the database did not answer or cannot take writes (SQLite:
 * its file or WAL was deleted or replaced under the server); the figures
 * are then the last ones known, never a bare 0. */
enum store_rc store_contar(struct store *s, uint64_t *productos,
                           uint64_t *ultimo_seq);

/* What the store was opened on, for logs: the path, or the URI with any
 * password hidden. */
const char *store_path(const struct store *s);

#endif
