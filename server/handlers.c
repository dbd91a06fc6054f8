/* handlers.c - the contract's procedures; see handlers.h. */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#include "validar.h"

/*
 * Set once by handlers_init, before the transport starts its threads, and
 * only read afterwards.  They are file-scope because libtirpc's dispatch
 * functions take no user pointer to carry them.
 */
static struct store *store;
static struct servicio_info info;

_Static_assert((int)STORE_OK == (int)OK && (int)STORE_EXISTS == (int)YA_EXISTE &&
               (int)STORE_NOT_FOUND == (int)NO_ENCONTRADO &&
               (int)STORE_INVALID == (int)INVALIDO &&
               (int)STORE_ERROR == (int)ERROR_INTERNO &&
               (int)STORE_INSUFFICIENT == (int)STOCK_INSUFICIENTE,
               "store_rc mirrors the contract's estado");
_Static_assert((int)STORE_ALTA == (int)ALTA && (int)STORE_STOCK == (int)STOCK &&
               (int)STORE_BAJA == (int)BAJA, "store_tipo mirrors tipo_movimiento");

void
handlers_init(struct store *s, const struct servicio_info *i)
{
    store = s;
    info = *i;
}

static bool
id_ok(const char *s)
{
    return validar_id(s, strlen(s)) == VALIDO;
}

static void
producto_de(producto *p, struct store_producto *sp)
{
    p->id = sp->id;
    p->nombre = sp->nombre;
    p->stock = sp->stock;
}

/* The writes answer what the store answered, or STORE_PENDING when the
 * store will answer through c->fin; their results are filled by
 * h_escrito / h_ajustado once the answer is known. */
enum store_rc
h_agregar(const producto *a, struct llamada *c)
{
    if (!id_ok(a->id) || validar_nombre(a->nombre, strlen(a->nombre)) != VALIDO ||
        validar_stock(a->stock) != VALIDO)
        return STORE_INVALID;
    return store_agregar(store, a->id, a->nombre, a->stock, c->origen, c->fin);
}

void
h_obtener(const id_arg *a, producto_res *r, struct llamada *c)
{
    if (!id_ok(*a)) {
        r->e = INVALIDO;
        return;
    }
    r->e = (estado)store_obtener(store, *a, &c->prod);
    if (r->e == OK)
        producto_de(&r->producto_res_u.p, &c->prod);
}

enum store_rc
h_actualizar(const stock_args *a, struct llamada *c)
{
    if (!id_ok(a->id) || validar_stock(a->valor) != VALIDO)
        return STORE_INVALID;
    return store_actualizar(store, a->id, a->valor, c->origen, c->fin);
}

enum store_rc
h_eliminar(const id_arg *a, struct llamada *c)
{
    if (!id_ok(*a))
        return STORE_INVALID;
    return store_eliminar(store, *a, c->origen, c->fin);
}

enum store_rc
h_ajustar(const ajustar_args *a, struct llamada *c)
{
    if (!id_ok(a->id) || validar_texto(a->motivo, strlen(a->motivo)) != VALIDO ||
        validar_texto(a->clave, strlen(a->clave)) != VALIDO)
        return STORE_INVALID;
    return store_ajustar(store, a->id, a->delta, a->motivo, a->clave,
                         c->origen, &c->prod, c->fin);
}

void
h_escrito(estado *r, struct llamada *c, enum store_rc rc)
{
    (void)c;
    *r = (estado)rc;
}

void
h_ajustado(producto_res *r, struct llamada *c, enum store_rc rc)
{
    r->e = (estado)rc;
    if (r->e == OK)
        producto_de(&r->producto_res_u.p, &c->prod);
}

/* Points an XDR product array at a store listing; the array is the call's. */
static estado
vector_de(struct llamada *c, u_int *len, producto **val)
{
    if (c->lista.n > 0) {
        c->vec = calloc(c->lista.n, sizeof *c->vec);
        if (c->vec == NULL)
            return ERROR_INTERNO;
    }
    for (size_t i = 0; i < c->lista.n; i++)
        producto_de(&c->vec[i], &c->lista.items[i]);
    *len = (u_int)c->lista.n;
    *val = c->vec;
    return OK;
}

void
h_listar(const void *a, lista_res *r, struct llamada *c)
{
    (void)a;
    r->e = (estado)store_listar(store, "", 0, &c->lista);
    if (r->e == OK)
        r->e = vector_de(c, &r->lista_res_u.productos.productos_len,
                         &r->lista_res_u.productos.productos_val);
}

static size_t
pagina(u_int max)
{
    if (max == 0)
        return HANDLERS_PAGINA_DEFECTO;
    return max > HANDLERS_PAGINA_MAX ? HANDLERS_PAGINA_MAX : max;
}

void
h_pagina(const pagina_args *a, pagina_res *r, struct llamada *c)
{
    pagina_ok *ok = &r->pagina_res_u.ok;

    if (validar_id_opcional(a->desde_id, strlen(a->desde_id)) != VALIDO) {
        r->e = INVALIDO;
        return;
    }
    r->e = (estado)store_listar(store, a->desde_id, pagina(a->max), &c->lista);
    if (r->e != OK)
        return;
    r->e = vector_de(c, &ok->productos.productos_len, &ok->productos.productos_val);
    ok->hay_mas = c->lista.hay_mas;
}

void
h_movimientos(const movimientos_args *a, movimientos_res *r, struct llamada *c)
{
    movimientos_ok *ok = &r->movimientos_res_u.ok;
    struct store_movs *m = &c->movs;

    if (validar_id_opcional(a->id, strlen(a->id)) != VALIDO) {
        r->e = INVALIDO;
        return;
    }
    r->e = (estado)store_movimientos(store, a->desde_seq, a->id, pagina(a->max), m);
    if (r->e != OK)
        return;
    if (m->n > 0 && (c->mvec = calloc(m->n, sizeof *c->mvec)) == NULL) {
        r->e = ERROR_INTERNO;
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        struct store_movimiento *sm = &m->items[i];
        movimiento *x = &c->mvec[i];

        x->seq = sm->seq;
        x->cuando_ms = sm->cuando_ms;
        x->tipo = (tipo_movimiento)sm->tipo;
        x->id = sm->id;
        x->stock_antes = sm->stock_antes;
        x->stock_despues = sm->stock_despues;
        x->motivo = sm->motivo;
        x->origen = sm->origen;
    }
    ok->movimientos.movimientos_len = (u_int)m->n;
    ok->movimientos.movimientos_val = c->mvec;
    ok->ultimo_seq = m->ultimo_seq;
}

void
h_estado(const void *a, estado_servidor *r, struct llamada *c)
{
    uint64_t productos = 0, seq = 0;

    (void)a;
    r->release = (char *)INVENTARIO_VERSION;
    r->arranque_ms = info.arranque_ms;
    r->almacen_ok = store_contar(store, &productos, &seq) == STORE_OK;
    r->productos = productos;
    r->ultimo_seq = seq;
    r->llamadas = c->llamadas_antes;
    r->conexiones = info.conexiones ? info.conexiones() : 0;
    r->hilos = info.hilos;
}

void
handlers_fin(struct llamada *c)
{
    store_lista_free(&c->lista);
    store_movs_free(&c->movs);
    free(c->vec);
    free(c->mvec);
    c->vec = NULL;
    c->mvec = NULL;
}
