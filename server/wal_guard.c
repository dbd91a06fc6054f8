/* wal_guard.c - the WAL guard VFS: a failed sync of the WAL truncates away
 * the writes it was to make durable (contract in wal_guard.h).
 *
 * Each WAL file remembers dirty_from, the lowest offset written since its
 * last successful xSync.  When an xSync of it fails and something is dirty,
 * the guard truncates the file to dirty_from (with the real VFS's xTruncate)
 * and then returns the sync's error to SQLite.  Why that removes exactly the
 * refused transaction, checked against SQLite's src/wal.c and src/os_unix.c
 * (3.39.4 and 3.49.2, either side of the 3.40 we build against):
 *
 * - Nothing committed lies at or past dirty_from.  Under synchronous=FULL,
 *   sqlite3WalFrames (walFrames) writes every frame of a commit, with
 *   walWriteToLog/walWriteOneFrame and walRewriteChecksums (which only
 *   rewrites frames of the same transaction), and then syncs the WAL; the
 *   commit is reported done only if that sync succeeded, and a good sync
 *   resets dirty_from.  So what is dirty belongs to a transaction SQLite
 *   has not reported committed: the one whose sync failed, or one that
 *   failed before reaching its sync (a failed write).  (With padToSectorBoundary,
 *   for files without SQLITE_IOCAP_POWERSAFE_OVERWRITE, walWriteToLog writes
 *   the tail of a padding frame after the commit's sync; those bytes only
 *   repeat the commit frame, which lies wholly before the sync point.  The
 *   unix VFS claims powersafe overwrite, so this does not arise here.)
 *
 * - dirty_from is where SQLite will write next.  walFrames appends at
 *   walFrameOffset(mxFrame + 1), and it updates pWal->hdr.mxFrame and the
 *   wal-index header (walIndexWriteHdr) only when everything, the sync
 *   included, succeeded.  On the failure the pager rolls back, and
 *   sqlite3WalUndo copies the unchanged wal-index header back: mxFrame is
 *   what it was, so the frames SQLite believes are in the WAL end exactly
 *   at dirty_from, and its next transaction starts writing there.
 *
 * - dirty_from == 0 loses nothing committed either.  Offset 0 is only ever
 *   written with a new WAL header, which walFrames writes when mxFrame is
 *   0: a new or emptied WAL, or a restart by walRestartLog.  walRestartLog
 *   restarts only with read lock 0, that is with nBackfill == mxFrame, and
 *   walCheckpoint sets nBackfill to the WAL's last frame only after it has
 *   synced the database file; walRestartHdr has already told the wal-index
 *   that the log is empty, so SQLite writes the header again next time.
 *
 * - A sync with nothing dirty truncates nothing.  walCheckpoint syncs the
 *   WAL before it backfills, and walFrames syncs a new header; after a
 *   good commit nothing is dirty, so such a sync failing leaves the file
 *   alone.  If it does find something dirty, that is a transaction which
 *   failed before its own sync, and only its frames go.
 *
 * The truncation is not synced: it guards against the process dying (the
 * kernel keeps the page cache, truncated length included).  After a power
 * loss refused frames could still be on disk; the store's forget_failed (a
 * TRUNCATE checkpoint once the disk works) empties the WAL for that.
 *
 * Other files (database, journals) are opened by the real VFS straight
 * into the sqlite3_file SQLite gave us, so they carry the real methods and
 * the guard never sees their calls.
 */
#include "wal_guard.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <string.h>

#include "log.h"

#define WAL_GUARD_NAME "inventario-wal-guard"
#define CLEAN          ((sqlite3_int64)-1)     /* dirty_from: nothing written */

/* An open WAL file: our header, then the real VFS's file right after it
 * (szOsFile makes room for both).  Used by one connection at a time, under
 * that connection's serialisation, so it needs no lock. */
struct guard_file {
    sqlite3_file   base;        /* what SQLite holds: must come first */
    sqlite3_file  *real;        /* the real file, at (this + 1) */
    sqlite3_int64  dirty_from;  /* lowest offset written since the last good
                                 * xSync, or CLEAN */
};

/* The real file starts at (this + 1): keep it 8-aligned, as SQLite keeps
 * its own allocations of sqlite3_file. */
_Static_assert(sizeof(struct guard_file) % 8 == 0,
               "the real file after struct guard_file must stay 8-aligned");

/*
 * The guard's only global state: the VFS registered with SQLite, filled in
 * and registered once under 'once' (wal_guard_vfs), never changed after.
 * 'name' is what every call of wal_guard_vfs answers: the VFS's name, or
 * NULL if registration failed.  The real VFS is vfs.pAppData.
 */
static struct {
    pthread_once_t  once;
    sqlite3_vfs     vfs;
    const char     *name;
} guard = { .once = PTHREAD_ONCE_INIT };

static sqlite3_vfs *
real_vfs(void)
{
    return guard.vfs.pAppData;
}

static struct guard_file *
gf(sqlite3_file *f)
{
    return (struct guard_file *)f;
}

static sqlite3_file *
real_file(sqlite3_file *f)
{
    return gf(f)->real;
}

/* The failed sync's writes must not outlive it: cut the WAL back to its
 * last good sync (see the top of the file for why that is safe). */
static void
forget_refused(struct guard_file *g)
{
    int rc = g->real->pMethods->xTruncate(g->real, g->dirty_from);

    if (rc != SQLITE_OK) {
        /* dirty_from stays: the next failed sync tries again. */
        log_warnx("almacén: la sincronización del WAL falló y no se pudieron "
                  "quitar del WAL las escrituras rechazadas (código %d)", rc);
        return;
    }
    log_warnx("almacén: la sincronización del WAL falló; se quitan del WAL "
              "las escrituras rechazadas (desde el byte %lld)",
              (long long)g->dirty_from);
    g->dirty_from = CLEAN;
}

/* ---- io methods of a WAL file: all forward to the real file ---------- */

static int
g_close(sqlite3_file *f)
{
    return real_file(f)->pMethods->xClose(real_file(f));
}

static int
g_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real_file(f)->pMethods->xRead(real_file(f), buf, n, off);
}

/* Marks the range dirty before writing: a failed write may still have
 * changed part of it. */
static int
g_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    struct guard_file *g = gf(f);

    if (g->dirty_from == CLEAN || off < g->dirty_from)
        g->dirty_from = off;
    return g->real->pMethods->xWrite(g->real, buf, n, off);
}

/* SQLite's own truncations (a TRUNCATE checkpoint, journal_size_limit):
 * whatever was dirty past the new end is gone. */
static int
g_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct guard_file *g = gf(f);
    int rc = g->real->pMethods->xTruncate(g->real, size);

    if (rc == SQLITE_OK && g->dirty_from != CLEAN && size <= g->dirty_from)
        g->dirty_from = CLEAN;
    return rc;
}

static int
g_sync(sqlite3_file *f, int flags)
{
    struct guard_file *g = gf(f);
    int rc = g->real->pMethods->xSync(g->real, flags);

    if (rc == SQLITE_OK)
        g->dirty_from = CLEAN;
    else if (g->dirty_from != CLEAN)
        forget_refused(g);
    return rc;
}

static int
g_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_file(f)->pMethods->xFileSize(real_file(f), size);
}

static int
g_lock(sqlite3_file *f, int lock)
{
    return real_file(f)->pMethods->xLock(real_file(f), lock);
}

static int
g_unlock(sqlite3_file *f, int lock)
{
    return real_file(f)->pMethods->xUnlock(real_file(f), lock);
}

static int
g_check_reserved_lock(sqlite3_file *f, int *out)
{
    return real_file(f)->pMethods->xCheckReservedLock(real_file(f), out);
}

static int
g_file_control(sqlite3_file *f, int op, void *arg)
{
    return real_file(f)->pMethods->xFileControl(real_file(f), op, arg);
}

static int
g_sector_size(sqlite3_file *f)
{
    return real_file(f)->pMethods->xSectorSize(real_file(f));
}

static int
g_device_characteristics(sqlite3_file *f)
{
    return real_file(f)->pMethods->xDeviceCharacteristics(real_file(f));
}

static int
g_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **pp)
{
    return real_file(f)->pMethods->xShmMap(real_file(f), region, size, extend, pp);
}

static int
g_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return real_file(f)->pMethods->xShmLock(real_file(f), offset, n, flags);
}

static void
g_shm_barrier(sqlite3_file *f)
{
    real_file(f)->pMethods->xShmBarrier(real_file(f));
}

static int
g_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return real_file(f)->pMethods->xShmUnmap(real_file(f), delete_flag);
}

static int
g_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return real_file(f)->pMethods->xFetch(real_file(f), off, n, pp);
}

static int
g_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_file(f)->pMethods->xUnfetch(real_file(f), off, p);
}

/* One table per io_methods version: SQLite looks at iVersion before it
 * calls the xShm* (2) and xFetch (3) methods, so ours must claim no more
 * than the real file's methods provide. */
#define GUARD_METHODS(version)                                               \
    {                                                                        \
        .iVersion = (version),                                               \
        .xClose = g_close, .xRead = g_read, .xWrite = g_write,              \
        .xTruncate = g_truncate, .xSync = g_sync,                            \
        .xFileSize = g_file_size, .xLock = g_lock, .xUnlock = g_unlock,      \
        .xCheckReservedLock = g_check_reserved_lock,                         \
        .xFileControl = g_file_control, .xSectorSize = g_sector_size,        \
        .xDeviceCharacteristics = g_device_characteristics,                  \
        .xShmMap = g_shm_map, .xShmLock = g_shm_lock,                        \
        .xShmBarrier = g_shm_barrier, .xShmUnmap = g_shm_unmap,              \
        .xFetch = g_fetch, .xUnfetch = g_unfetch,                            \
    }

static const sqlite3_io_methods guard_methods[] = {
    GUARD_METHODS(1), GUARD_METHODS(2), GUARD_METHODS(3),
};

#define N_METHODS ((int)(sizeof guard_methods / sizeof guard_methods[0]))

/* ---- the VFS: xOpen wraps WAL files, everything else forwards -------- */

static int
g_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
       int *out_flags)
{
    struct guard_file *g = gf(f);
    sqlite3_vfs *real = real_vfs();
    int rc, version;

    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return real->xOpen(real, name, f, flags, out_flags);

    g->real = (sqlite3_file *)(g + 1);
    g->dirty_from = CLEAN;
    rc = real->xOpen(real, name, g->real, flags, out_flags);
    /* SQLite calls xClose even after a failed xOpen if pMethods is set:
     * set it exactly when the real file would be closed. */
    if (g->real->pMethods == NULL) {
        f->pMethods = NULL;
        return rc;
    }
    version = g->real->pMethods->iVersion;
    if (version < 1)
        version = 1;
    if (version > N_METHODS)
        version = N_METHODS;
    f->pMethods = &guard_methods[version - 1];
    return rc;
}

static int
g_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs()->xDelete(real_vfs(), name, sync_dir);
}

static int
g_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs()->xAccess(real_vfs(), name, flags, out);
}

static int
g_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

static void *
g_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs()->xDlOpen(real_vfs(), name);
}

static void
g_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    real_vfs()->xDlError(real_vfs(), n, msg);
}

static void (*g_dl_sym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
    (void)vfs;
    return real_vfs()->xDlSym(real_vfs(), lib, sym);
}

static void
g_dl_close(sqlite3_vfs *vfs, void *lib)
{
    (void)vfs;
    real_vfs()->xDlClose(real_vfs(), lib);
}

static int
g_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs()->xRandomness(real_vfs(), n, out);
}

static int
g_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs()->xSleep(real_vfs(), us);
}

static int
g_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs()->xCurrentTime(real_vfs(), out);
}

static int
g_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs()->xGetLastError(real_vfs(), n, out);
}

static int
g_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs()->xCurrentTimeInt64(real_vfs(), out);
}

static int
g_set_system_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
    (void)vfs;
    return real_vfs()->xSetSystemCall(real_vfs(), name, p);
}

static sqlite3_syscall_ptr
g_get_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs()->xGetSystemCall(real_vfs(), name);
}

static const char *
g_next_system_call(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs()->xNextSystemCall(real_vfs(), name);
}

/* Run once: builds the guard over the default VFS and registers it. */
static void
register_guard(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    sqlite3_vfs *v = &guard.vfs;
    int rc;

    if (real == NULL) {
        log_warnx("almacén: SQLite no tiene un VFS por omisión sobre el que "
                  "poner la protección del WAL");
        return;
    }
    /* Same version as the real VFS: SQLite calls the version 2 and 3
     * methods only if iVersion says they exist, and we forward them only
     * where the real VFS has them. */
    v->iVersion = real->iVersion;
    v->szOsFile = (int)sizeof(struct guard_file) + real->szOsFile;
    v->mxPathname = real->mxPathname;
    v->zName = WAL_GUARD_NAME;
    v->pAppData = real;
    v->xOpen = g_open;
    v->xDelete = g_delete;
    v->xAccess = g_access;
    v->xFullPathname = g_full_pathname;
    v->xDlOpen = g_dl_open;
    v->xDlError = g_dl_error;
    v->xDlSym = g_dl_sym;
    v->xDlClose = g_dl_close;
    v->xRandomness = g_randomness;
    v->xSleep = g_sleep;
    v->xCurrentTime = g_current_time;
    v->xGetLastError = g_get_last_error;
    if (real->iVersion >= 2 && real->xCurrentTimeInt64 != NULL)
        v->xCurrentTimeInt64 = g_current_time_int64;
    if (real->iVersion >= 3) {
        v->xSetSystemCall = real->xSetSystemCall ? g_set_system_call : NULL;
        v->xGetSystemCall = real->xGetSystemCall ? g_get_system_call : NULL;
        v->xNextSystemCall = real->xNextSystemCall ? g_next_system_call : NULL;
    }
    rc = sqlite3_vfs_register(v, 0);
    if (rc != SQLITE_OK) {
        log_warnx("almacén: no se puede registrar la protección del WAL: %s",
                  sqlite3_errstr(rc));
        return;
    }
    guard.name = WAL_GUARD_NAME;
}

const char *
wal_guard_vfs(void)
{
    int e = pthread_once(&guard.once, register_guard);

    if (e != 0) {
        log_warnx("almacén: wal_guard_vfs: pthread_once: %s", strerror(e));
        return NULL;
    }
    return guard.name;
}
