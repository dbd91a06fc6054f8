/* menu.h - the interactive menu: the mission's options 0 to 5, and 6 to 9 of v2.
 *
 * Asks for each field, checks it before sending (campos.h) and asks again,
 * saying what is wrong, until it is acceptable; shows every answer in
 * Spanish through the same actions as the one-shot orders (comandos.h).
 * An id is checked with the server as soon as it is typed where the answer
 * is known (agregar: not taken; actualizar, ajustar, eliminar: exists), so
 * that no more fields are asked in vain, and a server that cannot be
 * reached is said before the next field.  Ctrl-C, Ctrl-D, an empty answer
 * (where the field cannot be empty) or the word "cancelar" leave the form
 * for the menu with nothing sent.  A deletion asks for confirmation.  If
 * the server goes away the menu says so and stays; the next operation
 * reconnects by itself.  At the menu's own prompt, Ctrl-D or 0 leaves, and
 * Ctrl-C (or SIGTERM) leaves with status 128 + the signal.
 */
#ifndef INVENTARIO_CLIENTE_MENU_H
#define INVENTARIO_CLIENTE_MENU_H

#include "acciones.h"

/* Connects, then runs the menu until the user leaves.  Returns the exit
 * status: the outcome of the first connection if it failed (the sentence,
 * naming the host and what to check, on stderr); else 130 after Ctrl-C at
 * the menu (143 after SIGTERM); else 0 if every operation went well, or
 * the outcome of the first that failed (a cancelled form is no failure). */
int menu_ejecutar(struct salida *s);

#endif
