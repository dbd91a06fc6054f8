/* entrada.c - prompts, lines, Enter and Ctrl-C; see entrada.h. */
#include "entrada.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "interruptor.h"

/* The signal seen (SIGINT or SIGTERM), 0 if none: set by the handler,
 * read and cleared by the main flow only. */
static volatile sig_atomic_t interrumpido;

static bool terminal;

static void
al_interrumpir(int sig)
{
    interrumpido = sig;
    interruptor_disparar();     /* a call in progress gives up (interruptor.h) */
}

void
entrada_iniciar(bool menu)
{
    struct sigaction sa;

    /* Without it Ctrl-C is only seen between calls: not a failure. */
    (void)interruptor_iniciar();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = al_interrumpir;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* no SA_RESTART: a blocked read must return */
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    if (!menu)
        return;
    terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (terminal) {
        rl_readline_name = "inventario-client";
        using_history();
    } else {
        (void)setvbuf(stdin, NULL, _IONBF, 0);
    }
}

void
entrada_terminar(void)
{
    if (terminal)
        clear_history();
}

void
entrada_olvidar(void)
{
    interrumpido = 0;
    interruptor_rearmar();
}

int
entrada_senal(void)
{
    return interrumpido;
}

/* Cuts the end of line and turns NUL bytes into DEL; len is the length. */
static void
limpiar(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0')
            s[i] = 0x7F;
    if (len > 0 && s[len - 1] == '\n')
        s[--len] = '\0';
    if (len > 0 && s[len - 1] == '\r')
        s[--len] = '\0';
}

static enum entrada
linea_terminal(const char *prompt, char **linea)
{
    char *l;

    fflush(stdout);
    l = readline(prompt);
    if (l == NULL) {
        fputc('\n', stdout);
        return interrumpido ? ENTRADA_INTERRUMPIDA : ENTRADA_FIN;
    }
    if (interrumpido) {
        free(l);
        fputc('\n', stdout);
        return ENTRADA_INTERRUMPIDA;
    }
    limpiar(l, strlen(l));
    if (l[0] != '\0')
        add_history(l);
    *linea = l;
    return ENTRADA_LINEA;
}

static enum entrada
linea_tuberia(const char *prompt, char **linea)
{
    char *l = NULL;
    size_t cap = 0;
    ssize_t n;

    fputs(prompt, stdout);
    fflush(stdout);
    n = getline(&l, &cap, stdin);
    if (n < 0) {
        free(l);
        fputc('\n', stdout);
        return interrumpido ? ENTRADA_INTERRUMPIDA : ENTRADA_FIN;
    }
    limpiar(l, (size_t)n);
    /* The echo: a transcript of a scripted menu shows what was answered. */
    fputs(l, stdout);
    fputc('\n', stdout);
    *linea = l;
    return ENTRADA_LINEA;
}

enum entrada
entrada_linea(const char *prompt, char **linea)
{
    *linea = NULL;
    if (interrumpido) {
        fputc('\n', stdout);
        return ENTRADA_INTERRUMPIDA;
    }
    return terminal ? linea_terminal(prompt, linea) : linea_tuberia(prompt, linea);
}

/* Reads and drops the rest of one line from stdin, a byte at a time so as
 * not to take anything that belongs to the next one. */
static enum espera
consumir_linea(void)
{
    bool algo = false;

    for (;;) {
        char ch;
        ssize_t n = read(STDIN_FILENO, &ch, 1);

        if (n < 0 && errno == EINTR)
            return ESPERA_INTERRUMPIDA;
        if (n <= 0)
            return algo ? ESPERA_ENTER : ESPERA_FIN;
        if (ch == '\n')
            return ESPERA_ENTER;
        algo = true;
    }
}

enum espera
entrada_esperar(unsigned ms, bool mirar_stdin)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    int n;

    if (interrumpido)
        return ESPERA_INTERRUMPIDA;
    n = poll(&p, mirar_stdin ? 1 : 0, (int)ms);
    if (n < 0)
        return errno == EINTR && interrumpido ? ESPERA_INTERRUMPIDA : ESPERA_NADA;
    if (n == 0)
        return ESPERA_NADA;
    return consumir_linea();
}
