/* servidor.h - the tool's own inventario-server, on a temporary store.
 *
 * By default inventario-stress never touches an inventory it did not
 * create: it starts an inventario-server of its own, on an empty SQLite
 * store in a new temporary folder, under a transient program number
 * (0x50000000 and up, never the service's), and stops it at the end.
 *
 * The binary is the one beside the tool in the build tree
 * (../server/inventario-server), else the installed one (../sbin, the same
 * folder, then PATH), unless the caller names it.  The server runs in its
 * own process group, so that a Ctrl-C at the terminal reaches only the
 * tool, which then stops the server itself; and with PR_SET_PDEATHSIG, so
 * that it does not outlive a tool killed with SIGKILL.  Its log goes to
 * servidor.log in the same folder.
 *
 * Functions here print nothing; a failure's reason goes to err.
 */
#ifndef STRESS_SERVIDOR_H
#define STRESS_SERVIDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <rpc/rpc.h>

#define SERVIDOR_RUTA_MAX 4096
/* Room for a file name after a folder. */
#define SERVIDOR_DIR_MAX  (SERVIDOR_RUTA_MAX - 64)

struct servidor_propio {
    pid_t     pid;                          /* 0: not running */
    rpcprog_t programa;
    char      binario[SERVIDOR_RUTA_MAX];
    char      dir[SERVIDOR_DIR_MAX];        /* "" until created */
    char      db[SERVIDOR_RUTA_MAX];
    char      log[SERVIDOR_RUTA_MAX];
};

/* Finds the server binary (binario NULL: see above), creates a temporary
 * folder under base (NULL: $TMPDIR or /tmp), starts the server there and
 * waits, up to plazo_s seconds, until it answers a NULL call on 127.0.0.1.
 * If the server exits 1 at start-up (most often: the program is taken),
 * the next number is tried, up to 8.  On failure
 * everything it created is undone, err says why (with the end of the
 * server's log) and the result is false. */
bool servidor_arrancar(struct servidor_propio *s, const char *binario,
                       const char *base, double plazo_s, char *err, size_t errlen);

/* Stops the server (SIGTERM, then SIGKILL after 10 s) and, unless
 * 'conservar', deletes its folder.  False if the server did not exit with
 * status 0 (err says how it ended); the folder is handled either way.
 * Safe to call on a struct that never started. */
bool servidor_parar(struct servidor_propio *s, bool conservar, char *err,
                    size_t errlen);

#endif
