/* trabajo.h - run N clients at once, as threads or as forked processes.
 *
 * The clients start together: each prepares itself (connects), then calls
 * trabajo_listo and blocks there until every client has done the same; only
 * then does the load start, so connection set-up is never measured.  If any
 * client failed to prepare, every client is told to give up.
 *
 * With processes, each client runs in its own forked child and hands its
 * results back through an unlinked temporary file (ops->guardar in the
 * child, ops->cargar in the parent), so the code that merges and checks the
 * results is the same for both.  The gate is two pipes, which work for
 * threads and processes alike.
 *
 * Signals: SIGINT and SIGTERM only set a flag (trabajo_parar); clients poll
 * it between calls and stop early; the parent forwards it to its children.
 * SIGPIPE is ignored.  Only one run may be in progress at a time.
 */
#ifndef STRESS_TRABAJO_H
#define STRESS_TRABAJO_H

#include <stdbool.h>
#include <stddef.h>

struct trabajo_ops {
    /* Client i's body: prepare, trabajo_listo(ok), and run only if it
     * returned true.  Returns an exit status (salida.h), 0 if all went well. */
    int (*correr)(void *ctx, unsigned i);
    /* Processes only: write client i's results to fd in the child, read them
     * back in the parent.  May be NULL if a client has nothing to return. */
    bool (*guardar)(void *ctx, unsigned i, int fd);
    bool (*cargar)(void *ctx, unsigned i, int fd);
    /* How long the parent waits for every client to be ready. */
    double plazo_listo_s;
};

/* Installs the signal handlers; call once, before any client starts. */
void trabajo_senales(void);

/* Runs n clients (threads, or processes if 'procesos') and waits for all.
 * Returns 0 if every client returned 0, else the highest status a client
 * returned, or SALIDA_LOCAL if clients could not be started or collected. */
int trabajo_ejecutar(unsigned n, bool procesos, const struct trabajo_ops *ops,
                     void *ctx);

/* Called by each client once, when prepared (ok) or not; blocks until all
 * clients have called it.  True if every client was ready and the run
 * goes on. */
bool trabajo_listo(bool ok);

/* True once the run was asked to stop (SIGINT, SIGTERM). */
bool trabajo_parar(void);

/* Whole reads and writes on a file descriptor, for guardar/cargar. */
bool trabajo_escribir(int fd, const void *p, size_t n);
bool trabajo_leer(int fd, void *p, size_t n);

#endif
