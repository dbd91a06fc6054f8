/* trabajo.c - N clients as threads or processes, with a common start; see trabajo.h. */
#include "trabajo.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "salida.h"
#include "util.h"

/* Set by the signal handler, read by every client thread between calls:
 * a lock-free atomic, which is both async-signal-safe and safe between
 * threads (a volatile sig_atomic_t is only the former). */
static atomic_int parar;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "parar must be lock-free for the handler");

/*
 * The gate of the run in progress.  Clients write one byte to listo[1]
 * ('l' ready, 'x' failed) and then read one byte from puerta[0]: 'g' go,
 * 'a' give up.  The parent writes one byte per client.  Set up by
 * trabajo_ejecutar before any client starts and torn down after all ended,
 * so clients only ever read these descriptors.
 */
static int listo[2] = { -1, -1 };
static int puerta[2] = { -1, -1 };

static void
al_senal(int sig)
{
    (void)sig;
    atomic_store(&parar, 1);
}

void
trabajo_senales(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = al_senal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the parent's waitpid must wake up to forward it. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool
trabajo_parar(void)
{
    return atomic_load(&parar) != 0;
}

bool
trabajo_escribir(int fd, const void *p, size_t n)
{
    const char *b = p;

    while (n > 0) {
        ssize_t w = write(fd, b, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

bool
trabajo_leer(int fd, void *p, size_t n)
{
    char *b = p;

    while (n > 0) {
        ssize_t r = read(fd, b, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        n -= (size_t)r;
    }
    return true;
}

bool
trabajo_listo(bool ok)
{
    char b = ok ? 'l' : 'x';
    ssize_t r;

    if (!trabajo_escribir(listo[1], &b, 1))
        return false;
    do
        r = read(puerta[0], &b, 1);
    while (r < 0 && errno == EINTR);
    return r == 1 && b == 'g';
}

/* Reads one byte per client; false if one failed, died or took too long. */
static bool
esperar_listos(unsigned n, double plazo_s)
{
    uint64_t fin = reloj_ns() + (uint64_t)(plazo_s * 1e9);
    bool todos = true;

    for (unsigned got = 0; got < n;) {
        struct pollfd p = { .fd = listo[0], .events = POLLIN };
        uint64_t ahora = reloj_ns();
        char b;
        int r;

        if (ahora >= fin)
            return false;
        r = poll(&p, 1, (int)((fin - ahora) / 1000000u) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || read(listo[0], &b, 1) != 1)
            return false;
        got++;
        if (b != 'l')
            todos = false;
    }
    return todos;
}

/* Lets every client go (or tells them to give up), then closes the gate. */
static void
abrir_puerta(unsigned n, bool seguir)
{
    char b = seguir ? 'g' : 'a';

    for (unsigned i = 0; i < n; i++)
        if (!trabajo_escribir(puerta[1], &b, 1))
            break;
}

static void
cerrar_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void
cerrar_puerta(void)
{
    cerrar_fd(&listo[0]);
    cerrar_fd(&listo[1]);
    cerrar_fd(&puerta[0]);
    cerrar_fd(&puerta[1]);
}

struct hilo {
    pthread_t                 tid;
    const struct trabajo_ops *ops;
    void                     *ctx;
    unsigned                  i;
    int                       rc;
};

static void *
hilo_main(void *p)
{
    struct hilo *h = p;

    h->rc = h->ops->correr(h->ctx, h->i);
    return NULL;
}

static int
con_hilos(unsigned n, const struct trabajo_ops *ops, void *ctx)
{
    struct hilo *h = xcalloc(n, sizeof *h, "los hilos");
    unsigned started = 0;
    int rc = SALIDA_OK, e = 0;
    bool seguir;

    if (h == NULL)
        return SALIDA_LOCAL;
    for (; started < n; started++) {
        h[started] = (struct hilo){ .ops = ops, .ctx = ctx, .i = started };
        if ((e = pthread_create(&h[started].tid, NULL, hilo_main, &h[started])) != 0)
            break;
    }
    if (started < n) {
        fprintf(stderr, "inventario-stress: no se pudo crear el hilo %u: %s\n",
                started, strerror(e));
        rc = SALIDA_LOCAL;
    }
    seguir = esperar_listos(started, ops->plazo_listo_s) && started == n;
    abrir_puerta(started, seguir);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(h[i].tid, NULL);
        if (h[i].rc > rc)
            rc = h[i].rc;
    }
    free(h);
    return rc;
}

/* An unlinked temporary file for one child's results. */
static int
archivo_resultados(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    snprintf(path, sizeof path, "%s/inventario-stress-XXXXXX",
             dir && *dir ? dir : "/tmp");
    if ((fd = mkstemp(path)) < 0) {
        fprintf(stderr, "inventario-stress: no se pudo crear el archivo temporal %s: %s\n", path, strerror(errno));
        return -1;
    }
    unlink(path);
    return fd;
}

static void
hijo(unsigned i, int fd, const struct trabajo_ops *ops, void *ctx)
{
    int rc;

    close(listo[0]);
    close(puerta[1]);
    rc = ops->correr(ctx, i);
    if (ops->guardar != NULL && !ops->guardar(ctx, i, fd) && rc == SALIDA_OK)
        rc = SALIDA_LOCAL;
    _exit(rc);
}

/* Waits for every child, forwarding a stop request once. */
static int
esperar_hijos(const pid_t *pid, unsigned n, int *estado)
{
    bool avisados = false;
    int rc = SALIDA_OK;

    for (unsigned i = 0; i < n; i++) {
        while (waitpid(pid[i], &estado[i], 0) < 0) {
            if (errno != EINTR) {
                estado[i] = -1;
                break;
            }
            if (atomic_load(&parar) && !avisados) {
                for (unsigned k = i; k < n; k++)
                    kill(pid[k], SIGTERM);
                avisados = true;
            }
        }
        if (estado[i] == -1 || !WIFEXITED(estado[i])) {
            fprintf(stderr, "inventario-stress: el cliente %u (pid %ld) terminó "
                    "de forma anormal\n", i, (long)pid[i]);
            rc = SALIDA_LOCAL;
        } else if (WEXITSTATUS(estado[i]) > rc) {
            rc = WEXITSTATUS(estado[i]);
        }
    }
    return rc;
}

static int
con_procesos(unsigned n, const struct trabajo_ops *ops, void *ctx)
{
    pid_t *pid = xcalloc(n, sizeof *pid, "los procesos");
    int *fd = xcalloc(n, sizeof *fd, "los procesos");
    int *estado = xcalloc(n, sizeof *estado, "los procesos");
    unsigned started = 0;
    int rc = SALIDA_OK, hijos;
    bool seguir;

    if (pid == NULL || fd == NULL || estado == NULL) {
        rc = SALIDA_LOCAL;
        goto out;
    }
    fflush(NULL);
    for (; started < n; started++) {
        if ((fd[started] = archivo_resultados()) < 0)
            break;
        if ((pid[started] = fork()) < 0) {
            fprintf(stderr, "inventario-stress: no se pudo crear un proceso (fork): %s\n", strerror(errno));
            close(fd[started]);
            break;
        }
        if (pid[started] == 0)
            hijo(started, fd[started], ops, ctx);
    }
    if (started < n)
        rc = SALIDA_LOCAL;
    cerrar_fd(&listo[1]);   /* so that children that die show as EOF */
    seguir = esperar_listos(started, ops->plazo_listo_s) && started == n;
    abrir_puerta(started, seguir);
    if ((hijos = esperar_hijos(pid, started, estado)) > rc)
        rc = hijos;
    for (unsigned i = 0; i < started; i++) {
        if (ops->cargar != NULL && estado[i] != -1 && WIFEXITED(estado[i]) &&
            (lseek(fd[i], 0, SEEK_SET) < 0 || !ops->cargar(ctx, i, fd[i]))) {
            fprintf(stderr, "inventario-stress: no se pudieron leer los "
                    "resultados del cliente %u\n", i);
            rc = SALIDA_LOCAL;
        }
        close(fd[i]);
    }
out:
    free(pid);
    free(fd);
    free(estado);
    return rc;
}

int
trabajo_ejecutar(unsigned n, bool procesos, const struct trabajo_ops *ops,
                 void *ctx)
{
    int rc;

    if (pipe(listo) < 0 || pipe(puerta) < 0) {
        fprintf(stderr, "inventario-stress: no se pudo crear una tubería (pipe): %s\n", strerror(errno));
        cerrar_puerta();
        return SALIDA_LOCAL;
    }
    rc = procesos ? con_procesos(n, ops, ctx) : con_hilos(n, ops, ctx);
    cerrar_puerta();
    return rc;
}
