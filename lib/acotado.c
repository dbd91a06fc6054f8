/* acotado.c - the contract's result arrays decoded with a bound; see acotado.h. */
#include "acotado.h"

#include "inventario.h"
#include "xdrproc.h"

/* Each function below decodes exactly what the generated routine of the
 * same name (inventario_xdr.c, from inventario.x) does, with max in place
 * of its ~0.  A change to those types in the .x changes these too. */

static bool_t
productos(XDR *x, producto **v, u_int *n, u_int max)
{
    return xdr_array(x, (char **)v, n, max, sizeof(producto), XDRPROC(xdr_producto));
}

static bool_t
lista_res_acotada(XDR *x, lista_res *o, u_int max)
{
    if (!xdr_estado(x, &o->e))
        return FALSE;
    if (o->e != OK)
        return TRUE;
    return productos(x, &o->lista_res_u.productos.productos_val,
                     &o->lista_res_u.productos.productos_len, max);
}

static bool_t
pagina_res_acotada(XDR *x, pagina_res *o, u_int max)
{
    pagina_ok *ok = &o->pagina_res_u.ok;

    if (!xdr_estado(x, &o->e))
        return FALSE;
    if (o->e != OK)
        return TRUE;
    return productos(x, &ok->productos.productos_val, &ok->productos.productos_len,
                     max) && xdr_bool(x, &ok->hay_mas);
}

static bool_t
movimientos_res_acotada(XDR *x, movimientos_res *o, u_int max)
{
    movimientos_ok *ok = &o->movimientos_res_u.ok;

    if (!xdr_estado(x, &o->e))
        return FALSE;
    if (o->e != OK)
        return TRUE;
    return xdr_array(x, (char **)&ok->movimientos.movimientos_val,
                     &ok->movimientos.movimientos_len, max, sizeof(movimiento),
                     XDRPROC(xdr_movimiento)) &&
           xdr_u_quad_t(x, &ok->ultimo_seq);
}

bool_t
acotado_decodificar(XDR *xdrs, xdrproc_t xres, void *res, void *ctx)
{
    u_int max = *(const u_int *)ctx;

    if (xres == XDRPROC(xdr_lista_res))
        return lista_res_acotada(xdrs, res, max);
    if (xres == XDRPROC(xdr_pagina_res))
        return pagina_res_acotada(xdrs, res, max);
    if (xres == XDRPROC(xdr_movimientos_res))
        return movimientos_res_acotada(xdrs, res, max);
    return xres(xdrs, res);
}
