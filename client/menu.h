/* menu.h - the interactive menu: the mission's options 0 to 5, and 6 to 9 of v2.
 *
 * Asks for each field, checks it before sending (campos.h) and asks again,
 * saying what is wrong, until it is acceptable; shows every answer in
 * Spanish through the same actions as the one-shot orders (comandos.h).
 * If the server goes away the menu says so and stays; the next operation
 * reconnects by itself.  End of input (Ctrl-D) or Ctrl-C at a prompt
 * leaves cleanly.
 */
#ifndef INVENTARIO_CLIENTE_MENU_H
#define INVENTARIO_CLIENTE_MENU_H

#include "acciones.h"

/* Connects, then runs the menu until the user leaves.  Returns the exit
 * status: 0, or the outcome of the first connection if it failed (the
 * sentence, naming the host and what to check, on stderr). */
int menu_ejecutar(struct salida *s);

#endif
