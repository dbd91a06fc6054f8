/* servidor.c - start and stop the tool's own inventario-server; see servidor.h. */
#include "servidor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "destino.h"
#include "util.h"

/* Transient numbers (RFC 5531: 0x40000000-0x5FFFFFFF belong to whoever runs
 * them).  The tests' harness takes 0x40000000-0x4FFFFFFF, scripts/benchmark.sh
 * 0x5E000000 and up, the demo 0x5F000000 and up; we take 0x50000000 to
 * 0x5DFFFFFF, derived from our PID, which no other live process has. */
#define PROGRAMA_BASE     0x50000000u
#define PROGRAMA_TRAMO    0x0E000000u
#define INTENTOS_PROGRAMA 8
#define PARAR_PLAZO_NS    10000000000ull

static bool
ejecutable(const char *p)
{
    return access(p, X_OK) == 0;
}

/* The server binary: beside us in the build tree, or installed. */
static bool
buscar_binario(char *out, size_t len)
{
    char yo[SERVIDOR_DIR_MAX], *barra;
    const char *path = getenv("PATH");
    static const char *const junto[] = {
        "../server/inventario-server", "../sbin/inventario-server",
        "inventario-server" };
    ssize_t n = readlink("/proc/self/exe", yo, sizeof yo - 1);

    if (n > 0) {
        yo[n] = '\0';
        if ((barra = strrchr(yo, '/')) != NULL)
            *barra = '\0';
        for (size_t i = 0; i < sizeof junto / sizeof *junto; i++) {
            snprintf(out, len, "%s/%s", yo, junto[i]);
            if (ejecutable(out))
                return true;
        }
    }
    while (path != NULL && *path != '\0') {
        size_t l = strcspn(path, ":");

        snprintf(out, len, "%.*s/inventario-server", (int)l, path);
        if (l > 0 && ejecutable(out))
            return true;
        path += l + (path[l] == ':');
    }
    snprintf(out, len, "/usr/sbin/inventario-server");
    return ejecutable(out);
}

/* Deletes every file of our own folder, then the folder (it has no
 * subfolders: the store, its -wal, -shm and lock files, the log). */
static void
borrar_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d != NULL) {
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

/* The last lines of the server's log, for an error message. */
static void
cola_log(const char *log, char *buf, size_t len)
{
    FILE *f = fopen(log, "r");
    char todo[4096];
    size_t n = 0;
    long tam;

    buf[0] = '\0';
    if (f == NULL)
        return;
    if (fseek(f, 0, SEEK_END) == 0 && (tam = ftell(f)) > 0) {
        long desde = tam > (long)sizeof todo - 1 ? tam - ((long)sizeof todo - 1) : 0;

        if (fseek(f, desde, SEEK_SET) == 0)
            n = fread(todo, 1, sizeof todo - 1, f);
    }
    fclose(f);
    todo[n] = '\0';
    while (n > 0 && todo[n - 1] == '\n')
        todo[--n] = '\0';
    /* At most the last three lines. */
    for (int lineas = 0; n > 0; n--)
        if (todo[n - 1] == '\n' && ++lineas == 3)
            break;
    snprintf(buf, len, "%s", todo + n);
}

/* One NULL call over a new connection, through the client library (whose
 * rpcbind lookup does not leak as clnt_create's does in libtirpc 1.3.3). */
static bool
responde(rpcprog_t prog)
{
    struct destino d = { "127.0.0.1", (unsigned long)prog, 1.0, NULL };
    struct conexion *c = destino_conexion(&d);
    bool ok;

    if (c == NULL)
        return false;
    ok = ops_null(c) == RES_OK;
    conexion_liberar(c);
    return ok;
}

static void
hijo(const struct servidor_propio *s, int fd_log, int fd_err)
{
    char prog[32];
    int devnull = open("/dev/null", O_RDONLY);

    /* Our own process group: a Ctrl-C at the terminal is the tool's to
     * handle, not the server's.  And no server outlives the tool. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(127);
    snprintf(prog, sizeof prog, "%lu", (unsigned long)s->programa);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(fd_log, 1);
    dup2(fd_log, 2);
    execl(s->binario, s->binario, "--db", s->db, "--program", prog, (char *)NULL);
    /* Tell the parent why through the close-on-exec pipe. */
    {
        int e = errno;

        if (write(fd_err, &e, sizeof e) < 0)
            e = 0;
    }
    _exit(127);
}

/* Waits for the child until 'fin' (reloj_ns); true if it exited, with its
 * status in *st. */
static bool
esperar(pid_t pid, uint64_t fin, int *st)
{
    for (;;) {
        pid_t r = waitpid(pid, st, WNOHANG);

        if (r == pid || (r < 0 && errno != EINTR))
            return true;
        if (reloj_ns() >= fin)
            return false;
        dormir_ns(20000000u);
    }
}

/* Starts the server under s->programa; 1 ready, 0 program taken (try the
 * next), -1 failed. */
static int
lanzar(struct servidor_propio *s, double plazo_s, char *err, size_t errlen)
{
    int fd_log = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int p[2] = { -1, -1 }, e = 0, st = 0, rc = -1;
    uint64_t fin = reloj_ns() + (uint64_t)(plazo_s * 1e9);
    char cola[1024];
    ssize_t n;

    if (fd_log < 0 || pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "no se pudo crear %s: %s", s->log, strerror(errno));
        goto out;
    }
    fflush(NULL);
    if ((s->pid = fork()) < 0) {
        snprintf(err, errlen, "no se pudo crear un proceso (fork): %s", strerror(errno));
        s->pid = 0;
        goto out;
    }
    if (s->pid == 0)
        hijo(s, fd_log, p[1]);
    close(p[1]);
    p[1] = -1;
    while ((n = read(p[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof e) {
        snprintf(err, errlen, "no se pudo ejecutar %s: %s", s->binario, strerror(e));
        esperar(s->pid, UINT64_MAX, &st);
        s->pid = 0;
        goto out;
    }
    while (!responde(s->programa)) {
        if (esperar(s->pid, 0, &st)) {
            s->pid = 0;
            cola_log(s->log, cola, sizeof cola);
            /* Exit 1 at start-up: most often the program is taken by a
             * live server (it says so); the caller tries the next one. */
            rc = WIFEXITED(st) && WEXITSTATUS(st) == 1 ? 0 : -1;
            snprintf(err, errlen, "el servidor propio (%s) terminó al arrancar: %s",
                     s->binario, cola);
            goto out;
        }
        if (reloj_ns() >= fin) {
            snprintf(err, errlen, "el servidor propio no respondió en %.0f s", plazo_s);
            kill(s->pid, SIGKILL);
            esperar(s->pid, UINT64_MAX, &st);
            s->pid = 0;
            goto out;
        }
        dormir_ns(20000000u);
    }
    rc = 1;
out:
    if (fd_log >= 0)
        close(fd_log);
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    return rc;
}

bool
servidor_arrancar(struct servidor_propio *s, const char *binario, const char *base,
                  double plazo_s, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    int r = 0;

    memset(s, 0, sizeof *s);
    if (binario != NULL)
        snprintf(s->binario, sizeof s->binario, "%s", binario);
    else if (!buscar_binario(s->binario, sizeof s->binario)) {
        snprintf(err, errlen, "no se encuentra inventario-server (ni junto a esta "
                 "herramienta ni en PATH); indíquelo con --servidor=RUTA, o use "
                 "--program para probar otro servidor");
        return false;
    }
    if (base == NULL)
        base = tmp != NULL && *tmp != '\0' ? tmp : "/tmp";
    snprintf(s->dir, sizeof s->dir, "%s/inventario-stress-XXXXXX", base);
    if (mkdtemp(s->dir) == NULL) {
        snprintf(err, errlen, "no se pudo crear una carpeta temporal en %s: %s", base,
                 strerror(errno));
        s->dir[0] = '\0';
        return false;
    }
    snprintf(s->db, sizeof s->db, "%s/inventario.db", s->dir);
    snprintf(s->log, sizeof s->log, "%s/servidor.log", s->dir);
    s->programa = PROGRAMA_BASE + (rpcprog_t)((unsigned)getpid() % PROGRAMA_TRAMO);
    for (int i = 0; i < INTENTOS_PROGRAMA && r == 0; i++, s->programa++)
        if ((r = lanzar(s, plazo_s, err, errlen)) == 1)
            return true;
    borrar_dir(s->dir);
    s->dir[0] = '\0';
    return false;
}

bool
servidor_parar(struct servidor_propio *s, bool conservar, char *err, size_t errlen)
{
    bool ok = true;
    int st = 0;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (!esperar(s->pid, reloj_ns() + PARAR_PLAZO_NS, &st)) {
            kill(s->pid, SIGKILL);
            esperar(s->pid, UINT64_MAX, &st);
            snprintf(err, errlen, "el servidor propio no terminó en 10 s tras "
                     "SIGTERM; se le envió SIGKILL");
            ok = false;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            char cola[1024];

            cola_log(s->log, cola, sizeof cola);
            snprintf(err, errlen, "el servidor propio terminó con %s %d: %s",
                     WIFEXITED(st) ? "estado" : "la señal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), cola);
            ok = false;
        }
        s->pid = 0;
    }
    if (s->dir[0] != '\0' && !conservar) {
        borrar_dir(s->dir);
        s->dir[0] = '\0';
    }
    return ok;
}
