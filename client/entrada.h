/* entrada.h - what a person types: lines at the menu's prompts, Enter, Ctrl-C.
 *
 * With a terminal on stdin and stdout, lines are read with libedit's
 * readline, with editing and history.  Otherwise stdin is read with
 * getline, unbuffered, so that a script can drive the menu line by line and
 * nothing it wrote waits in a stdio buffer while entrada_esperar polls the
 * descriptor; each line read is echoed after its prompt, so the transcript
 * reads like a session.
 *
 * SIGINT and SIGTERM only set a flag and fire the client library's
 * interruptor (a self-pipe every wait of the library watches), so that
 * Ctrl-C also ends the wait for an answer at once.  Their handlers are
 * installed without SA_RESTART, so a read blocked at a prompt returns at
 * once and the caller can leave cleanly.
 */
#ifndef INVENTARIO_CLIENTE_ENTRADA_H
#define INVENTARIO_CLIENTE_ENTRADA_H

#include <stdbool.h>

enum entrada {
    ENTRADA_LINEA,          /* a line, without its end of line */
    ENTRADA_FIN,            /* end of input (Ctrl-D, or the pipe closed) */
    ENTRADA_INTERRUMPIDA    /* Ctrl-C or SIGTERM */
};

enum espera {
    ESPERA_NADA,            /* the time passed */
    ESPERA_ENTER,           /* a line was typed (and consumed) */
    ESPERA_FIN,
    ESPERA_INTERRUMPIDA
};

/* Installs the signal handlers and the interruptor.  For the menu
 * (menu true) it also chooses between libedit and getline, as above.
 * Call once, before any other. */
void entrada_iniciar(bool menu);

/* Forgets the history.  Safe to call if entrada_iniciar was not. */
void entrada_terminar(void);

/* Shows prompt and reads one line into *linea (malloc'd; the caller frees
 * it).  A NUL byte in the line becomes DEL, so that validation refuses it
 * instead of seeing a shorter string.  Returns at once with
 * ENTRADA_INTERRUMPIDA if the flag is already set. */
enum entrada entrada_linea(const char *prompt, char **linea);

/* Waits up to ms milliseconds for a line on stdin (when mirar_stdin) or for
 * a signal.  A line that arrives is read and thrown away: it was Enter. */
enum espera entrada_esperar(unsigned ms, bool mirar_stdin);

/* Forgets a SIGINT or SIGTERM already seen (Ctrl-C that ended a watch,
 * not the menu). */
void entrada_olvidar(void);

/* The signal seen and not forgotten (SIGINT, SIGTERM), or 0. */
int entrada_senal(void);

#endif
