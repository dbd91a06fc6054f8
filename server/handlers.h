/* handlers.h - the contract's procedures: XDR structs in, store calls, XDR structs out.
 *
 * Each handler validates its arguments exactly as docs/protocolo.md says (before
 * anything else, so a malformed id answers INVALIDO, never NO_ENCONTRADO),
 * calls the store and fills its result.  A write is split in two: its
 * handler validates and hands it to the store, which may answer later
 * (STORE_PENDING, through the call's store_fin); its result is filled from
 * the answer by h_escrito or h_ajustado.  Results may point into memory the
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
    struct store_fin     *fin;              /* a write's, or NULL to wait */
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

/* Writes: the store's answer, or STORE_PENDING (see struct store_fin);
 * once STORE_PENDING is returned the call belongs to c->fin, and neither
 * 'a' nor 'c' may be touched by the caller again. */
enum store_rc h_agregar(const producto *a, struct llamada *c);
enum store_rc h_actualizar(const stock_args *a, struct llamada *c);
enum store_rc h_eliminar(const id_arg *a, struct llamada *c);
enum store_rc h_ajustar(const ajustar_args *a, struct llamada *c);

/* A write's result from its answer: an estado (AGREGAR, ACTUALIZAR,
 * ELIMINAR), or AJUSTAR's producto_res. */
void h_escrito(estado *r, struct llamada *c, enum store_rc rc);
void h_ajustado(producto_res *r, struct llamada *c, enum store_rc rc);

void h_obtener(const id_arg *a, producto_res *r, struct llamada *c);
void h_listar(const void *a, lista_res *r, struct llamada *c);
void h_movimientos(const movimientos_args *a, movimientos_res *r, struct llamada *c);
void h_pagina(const pagina_args *a, pagina_res *r, struct llamada *c);
void h_estado(const void *a, estado_servidor *r, struct llamada *c);

/* Frees what the call's result pointed into. */
void handlers_fin(struct llamada *c);

#endif
