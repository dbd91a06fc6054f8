/* wal_guard.h - a SQLite VFS that takes a refused commit back out of the WAL.
 *
 * With journal_mode=WAL and synchronous=FULL, a COMMIT whose sync of the
 * WAL fails is reported as failed, yet its frames stay in the -wal file (in
 * the page cache) with a valid commit mark: if the process died then,
 * SQLite's recovery at the next open would replay the refused transaction.
 * The guard sits over the default VFS and, when a sync of a WAL file fails,
 * truncates that file back to where it stood at its last good sync before
 * it hands the error to SQLite.  wal_guard.c explains why that removes the
 * refused frames and nothing else.
 *
 * Use it only for a database in WAL mode with synchronous=FULL (or EXTRA):
 * its reasoning rests on every commit syncing the WAL.  Under NORMAL a
 * commit succeeds without a sync, and a later failed sync (a checkpoint's)
 * would take commits that were already answered as done out of the WAL.
 * One connection per database file: the guard follows each open WAL file
 * on its own.
 */
#ifndef INVENTARIO_WAL_GUARD_H
#define INVENTARIO_WAL_GUARD_H

/* The name to pass as sqlite3_open_v2's zVfs.  The first call registers
 * the guard with SQLite (not as the default VFS) over whatever VFS is the
 * default at that moment; any thread may call it, any number of times.
 * NULL if the guard could not be registered (logged); every later call
 * answers the same. */
const char *wal_guard_vfs(void);

#endif
