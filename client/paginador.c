/* paginador.c - long listings through $PAGER on a terminal; see paginador.h. */
#include "paginador.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct paginador {
    FILE            *tubo;
    struct sigaction int_antes, quit_antes;
};

/* True if an executable named nombre is on PATH: popen would start a
 * shell that cannot find it, and the listing would be lost. */
static bool
en_path(const char *nombre)
{
    const char *path = getenv("PATH");
    char ruta[4096];

    if (path == NULL)
        path = "/usr/bin:/bin";
    while (*path != '\0') {
        size_t n = strcspn(path, ":");

        if (snprintf(ruta, sizeof ruta, "%.*s/%s", (int)n, n ? path : ".", nombre) <
                (int)sizeof ruta && access(ruta, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* While the pager runs, Ctrl-C reaches it and us: ours must not end the
 * client (the pager decides what Ctrl-C means there).  A handler, not
 * SIG_IGN, so that the pager does not inherit an ignored signal. */
static void
nada(int sig)
{
    (void)sig;
}

FILE *
paginador_abrir(struct paginador **pp, bool json)
{
    const char *pager = getenv("PAGER");
    struct paginador *p;
    struct sigaction sa;

    *pp = NULL;
    if (json || !isatty(STDOUT_FILENO))
        return stdout;
    /* No PAGER: less, if it is installed (it is not a dependency). */
    if (pager == NULL)
        pager = en_path("less") ? "less" : "";
    if (pager[0] == '\0' || strcmp(pager, "cat") == 0)
        return stdout;
    if ((p = calloc(1, sizeof *p)) == NULL)
        return stdout;
    /* F: quit if it fits on one screen; R: colours as they are; X: leave
     * the text on the screen when it quits. */
    if (getenv("LESS") == NULL)
        (void)setenv("LESS", "FRX", 0);
    fflush(stdout);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nada;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &p->int_antes);
    (void)sigaction(SIGQUIT, &sa, &p->quit_antes);
    if ((p->tubo = popen(pager, "w")) == NULL) {
        (void)sigaction(SIGINT, &p->int_antes, NULL);
        (void)sigaction(SIGQUIT, &p->quit_antes, NULL);
        free(p);
        return stdout;
    }
    *pp = p;
    return p->tubo;
}

void
paginador_cerrar(struct paginador *p, FILE *f)
{
    if (p == NULL) {
        fflush(f);
        return;
    }
    /* A pager quit early makes our writes fail with EPIPE (SIGPIPE is
     * ignored): nothing to say, the person chose to stop reading. */
    (void)pclose(p->tubo);
    (void)sigaction(SIGINT, &p->int_antes, NULL);
    (void)sigaction(SIGQUIT, &p->quit_antes, NULL);
    free(p);
}
