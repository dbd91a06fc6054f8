/* ajuste.h - adjusting a stock once: the key, the retry, and what the log says.
 *
 * AJUSTAR_STOCK answers the same thing to a call and to a repeat of an
 * earlier call with the same key, so a person who repeats an adjustment
 * with --clave cannot tell from the answer alone whether it was applied
 * now.  The client tells by the movement log: it notes the newest seq
 * before the call, and after an OK looks for the movement this call wrote
 * (a STOCK movement of that id, from stock - delta to stock, after that
 * seq).  None there: a replay, said as "ya aplicado antes con esta clave:
 * no se ha repetido", with the motivo the log recorded then (the earlier
 * movement is looked up, within a bound), not the one typed now.  This
 * costs a few calls, and only when the key was given by hand: a fresh
 * random key cannot have been used before.
 *
 * An INVALIDO answer, with every field already checked here, means the
 * stock would pass 2147483647 or the key was used for another adjustment;
 * the client reads the product to tell which, and names only that one.
 */
#ifndef INVENTARIO_CLIENTE_AJUSTE_H
#define INVENTARIO_CLIENTE_AJUSTE_H

#include <stdint.h>

#include "acciones.h"

/* clave NULL: a fresh random key.  After a failure that may or may not
 * have applied the change, the sentence names the key, so that the
 * adjustment can be repeated by hand without applying it twice. */
enum resultado accion_ajustar(const struct salida *s, const char *id,
                              int32_t delta, const char *motivo,
                              const char *clave);

#endif
