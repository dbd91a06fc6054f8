/* tabla.h - a hash table from product id to its state in the movement log.
 *
 * Used by the counter check to follow every id's chain of movements.  Open
 * addressing, keys copied in, grows as needed; no removal (an id deleted in
 * the log keeps its entry, marked absent).  Not thread safe: one checker.
 */
#ifndef STRESS_TABLA_H
#define STRESS_TABLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tabla_valor {
    bool    presente;       /* an ALTA not yet followed by a BAJA */
    int32_t stock;          /* stock_despues of its newest movement */
};

struct tabla;

struct tabla *tabla_nueva(void);
void tabla_libre(struct tabla *t);
/* The entry for id, created absent with stock 0 if new; NULL if out of memory. */
struct tabla_valor *tabla_entrada(struct tabla *t, const char *id);
/* The entry for id, or NULL if it was never seen. */
struct tabla_valor *tabla_buscar(const struct tabla *t, const char *id);

#endif
