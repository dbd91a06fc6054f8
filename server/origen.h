/* origen.h - the 'origen' of a movement: who made the call, as the contract words it.
 *
 * "ADDR" alone, or with AUTH_SYS "ADDR uid=UID maquina=\"NAME\"": the
 * caller's IP address first (what the server saw), then what the client
 * asserts, its uid and then its machine name in double quotes with every
 * quote, backslash and control character escaped (\" \\ \xHH, and C1
 * controls as \u0080...), and any byte that is not UTF-8 as \xHH, so that
 * nothing a client sends can look like another field.  Cut at 'cap' - 1
 * bytes without splitting a character or an escape, and never inside the
 * address or the uid: the name is cut first, and its closing quote kept.
 */
#ifndef INVENTARIO_ORIGEN_H
#define INVENTARIO_ORIGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the origen to out (cap bytes, NUL included; cap >= 64), from the
 * address text, and with AUTH_SYS (have_sys) the uid and machine name.
 * Returns the length written. */
size_t origen_formatear(char *out, size_t cap, const char *addr, bool have_sys,
                        uint32_t uid, const char *maquina);

#endif
