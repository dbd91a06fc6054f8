/* bloqueo.h - one server per store, and proof that a registered server is gone.
 *
 * Two servers writing one SQLite file corrupt each other's view of it (the
 * newest seq, the movement log), so a store is taken with an exclusive lock
 * (flock on a file beside it) for the life of the process; the kernel drops
 * it when the process ends, however it ends.  And a server that is slow to
 * answer (stopped for a moment, behind a lock) must never lose its entry in
 * rpcbind to a newcomer: only a holder proven gone is replaced.
 */
#ifndef INVENTARIO_BLOQUEO_H
#define INVENTARIO_BLOQUEO_H

#include <stdbool.h>
#include <stddef.h>

#include <rpc/rpc.h>

/* The lock file beside a store at 'db': "<db>-lock".  The caller frees it;
 * NULL if memory ran out. */
char *bloqueo_ruta(const char *db);

/* Takes the exclusive lock on the store at 'db' without waiting, and writes
 * our PID into the lock file for whoever finds it taken.  Returns the lock's
 * descriptor (close it to let the store go; the process ending does too),
 * or -1 with a one-line reason (Spanish) in err: another process holds it
 * (its PID named where the file says it), or the file cannot be created. */
int bloqueo_almacen(const char *db, char *err, size_t errlen);

/* True if prog/vers has an entry in this host's rpcbind whose address some
 * live process on this host still listens on: the holder is alive, however
 * slowly it answers.  *pid receives its PID if it can be told, else 0.
 * False if there is no entry, or nothing listens there any more. */
bool bloqueo_titular_vivo(rpcprog_t prog, rpcvers_t vers, long *pid);

#endif
