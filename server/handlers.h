/* handlers.h - the contract's procedures: XDR structs in, store calls, XDR structs out.
 *
 * Each handler validates its arguments exactly as docs/protocolo.md says (before
 * anything else, so a malformed id answers INVALIDO, never NO_ENCONTRADO),
 * calls the store and fills its result.  Results may point into memory the
 * call owns ('struct llamada'); handlers_fin releases it after the reply has
 * been sent.  Handlers do no network I/O and hold no lock of their own: the
 * store takes its mutex inside each call.
 */
#ifndef INVENTARIO_HANDLERS_H
#define INVENTARIO_HANDLERS_H

#include <stdint.h>

#include "inventario.h"
#include "store.h"

/* What ESTADO reports about the process, fixed at start-up but for the
 * connection count, which the transport keeps. */
struct servicio_info {
    uint64_t arranque_ms;
    unsigned hilos;
    unsigned (*conexiones)(void);
};

/* One call in progress: who made it, and what its result points into. */
struct llamada {
    char                  origen[STORE_ORIGEN_MAX + 1];
    uint64_t              llamadas_antes;   /* calls answered before this one */
    struct store_producto prod;
    struct store_lista    lista;
    struct store_movs     movs;
    producto             *vec;
    movimiento           *mvec;
};

/* Page sizes for LISTAR_PAGINA and MOVIMIENTOS: max of 0 asks for the
 * default; anything above the cap is cut to it (the contract asks for a cap
 * of at least 100). */
#define HANDLERS_PAGINA_DEFECTO 200
#define HANDLERS_PAGINA_MAX     1000

/* Gives the handlers their store and the process figures.  Called once,
 * before the first call is served. */
void handlers_init(struct store *s, const struct servicio_info *info);

void h_agregar(const producto *a, estado *r, struct llamada *c);
void h_obtener(const id_arg *a, producto_res *r, struct llamada *c);
void h_actualizar(const stock_args *a, estado *r, struct llamada *c);
void h_listar(const void *a, lista_res *r, struct llamada *c);
void h_eliminar(const id_arg *a, estado *r, struct llamada *c);
void h_ajustar(const ajustar_args *a, producto_res *r, struct llamada *c);
void h_movimientos(const movimientos_args *a, movimientos_res *r, struct llamada *c);
void h_pagina(const pagina_args *a, pagina_res *r, struct llamada *c);
void h_estado(const void *a, estado_servidor *r, struct llamada *c);

/* Frees what the call's result pointed into. */
void handlers_fin(struct llamada *c);

#endif
