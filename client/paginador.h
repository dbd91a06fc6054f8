/* paginador.h - long listings through a pager when a person reads them on a terminal.
 *
 * When stdout is a terminal and the answer is text, a listing goes to
 * $PAGER (by default less when it is installed, with LESS=FRX unless LESS
 * is set: it quits at once if the listing fits on the screen and leaves it
 * there); otherwise, or when PAGER is empty or "cat", straight to stdout.  While the pager
 * runs, Ctrl-C is the pager's: this process only notes it and carries on.
 */
#ifndef INVENTARIO_CLIENTE_PAGINADOR_H
#define INVENTARIO_CLIENTE_PAGINADOR_H

#include <stdbool.h>
#include <stdio.h>

struct paginador;

/* Where to write the listing: a pager's pipe, or stdout (json, or not a
 * terminal, or the pager cannot be started).  Never NULL. */
FILE *paginador_abrir(struct paginador **p, bool json);

/* Waits for the pager to finish (the person quits it), or flushes stdout. */
void paginador_cerrar(struct paginador *p, FILE *f);

#endif
