/* operaciones.c - the contract's procedures as C calls; see operaciones.h. */
#include "operaciones.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "validar.h"
#include "xdrproc.h"

/* A call whose answer is a bare estado. */
static enum resultado
llamar_estado(struct conexion *c, rpcproc_t proc, xdrproc_t xa, void *arg)
{
    estado e = OK;
    enum resultado r;

    r = conexion_llamar(c, proc, LLAMADA_ESCRITURA, xa, arg,
                        XDRPROC(xdr_estado), &e);
    return r == RES_OK ? resultado_de_estado(e) : r;
}

/* A call whose answer starts with an estado (*e, a field of res): on any
 * answer but OK the result is freed, so the caller frees it only after OK. */
static enum resultado
llamar_con_estado(struct conexion *c, rpcproc_t proc, enum llamada_tipo tipo,
                  xdrproc_t xa, void *arg, xdrproc_t xr, void *res, const estado *e)
{
    enum resultado r = conexion_llamar(c, proc, tipo, xa, arg, xr, res);

    if (r != RES_OK)
        return r;
    if ((r = resultado_de_estado(*e)) != RES_OK)
        xdr_free(xr, res);
    return r;
}

enum resultado
ops_agregar(struct conexion *c, const char *id, const char *nombre, int32_t stock)
{
    producto p = { .id = ops_prestado(id), .nombre = ops_prestado(nombre), .stock = stock };

    return llamar_estado(c, AGREGAR_PRODUCTO, XDRPROC(xdr_producto), &p);
}

enum resultado
ops_obtener(struct conexion *c, const char *id, producto_res *res)
{
    id_arg a = ops_prestado(id);

    memset(res, 0, sizeof *res);
    return llamar_con_estado(c, OBTENER_PRODUCTO, LLAMADA_LECTURA, XDRPROC(xdr_id_arg),
                             &a, XDRPROC(xdr_producto_res), res, &res->e);
}

enum resultado
ops_actualizar(struct conexion *c, const char *id, int32_t stock)
{
    stock_args a = { .id = ops_prestado(id), .valor = stock };

    return llamar_estado(c, ACTUALIZAR_STOCK, XDRPROC(xdr_stock_args), &a);
}

enum resultado
ops_eliminar(struct conexion *c, const char *id)
{
    id_arg a = ops_prestado(id);

    return llamar_estado(c, ELIMINAR_PRODUCTO, XDRPROC(xdr_id_arg), &a);
}

void
ops_lista_liberar(struct ops_lista *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].id);
        free(l->v[i].nombre);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Appends copies of n products; false if memory ran out. */
static bool
anadir(struct ops_lista *l, const producto *v, size_t n)
{
    if (l->n + n > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        producto *nv;

        while (cap < l->n + n)
            cap *= 2;
        if ((nv = realloc(l->v, cap * sizeof *nv)) == NULL)
            return false;
        l->v = nv;
        l->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        producto *d = &l->v[l->n];

        d->id = strdup(v[i].id);
        d->nombre = strdup(v[i].nombre);
        d->stock = v[i].stock;
        if (d->id == NULL || d->nombre == NULL) {
            free(d->id);
            free(d->nombre);
            return false;
        }
        l->n++;
    }
    return true;
}

static enum resultado
listar_v1(struct conexion *c, struct ops_lista *out)
{
    lista_res res;
    enum resultado r;

    memset(&res, 0, sizeof res);
    r = conexion_llamar(c, LISTAR_PRODUCTOS, LLAMADA_LECTURA, XDRPROC(xdr_void),
                        NULL, XDRPROC(xdr_lista_res), &res);
    if (r != RES_OK)
        return r;
    if ((r = resultado_de_estado(res.e)) == RES_OK &&
        !anadir(out, res.lista_res_u.productos.productos_val,
                res.lista_res_u.productos.productos_len))
        r = RES_ERROR_INTERNO;
    xdr_free(XDRPROC(xdr_lista_res), &res);
    return r;
}

/* Keyset pagination: each page starts after the last id of the one before,
 * so a listing of any size never travels in one message. */
static enum resultado
listar_v2(struct conexion *c, struct ops_lista *out)
{
    char desde[VALIDAR_ID_MAX + 1] = "";
    bool hay_mas = true;
    enum resultado r = RES_OK;

    while (hay_mas && r == RES_OK) {
        pagina_args a = { .desde_id = desde, .max = 0 };
        pagina_res res;
        u_int n;

        memset(&res, 0, sizeof res);
        r = conexion_llamar(c, LISTAR_PAGINA, LLAMADA_LECTURA,
                            XDRPROC(xdr_pagina_args), &a,
                            XDRPROC(xdr_pagina_res), &res);
        if (r != RES_OK)
            break;
        n = res.pagina_res_u.ok.productos.productos_len;
        if ((r = resultado_de_estado(res.e)) == RES_OK) {
            const producto *v = res.pagina_res_u.ok.productos.productos_val;

            if (!anadir(out, v, n))
                r = RES_ERROR_INTERNO;
            /* An empty page that claims more would loop for ever. */
            hay_mas = res.pagina_res_u.ok.hay_mas && n > 0;
            if (n > 0)
                snprintf(desde, sizeof desde, "%s", v[n - 1].id);
        }
        xdr_free(XDRPROC(xdr_pagina_res), &res);
    }
    return r;
}

enum resultado
ops_listar(struct conexion *c, struct ops_lista *out)
{
    enum resultado r;

    memset(out, 0, sizeof *out);
    /* The version is known once connected. */
    if ((r = conexion_conectar(c)) != RES_OK)
        return r;
    r = conexion_version(c) >= INVENTARIO_V2 ? listar_v2(c, out) : listar_v1(c, out);
    if (r != RES_OK)
        ops_lista_liberar(out);
    return r;
}

bool
ops_clave_nueva(char clave[OPS_CLAVE_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[OPS_CLAVE_LEN / 2];
    size_t got = 0;

    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof b; i++) {
        clave[2 * i] = hex[b[i] >> 4];
        clave[2 * i + 1] = hex[b[i] & 0x0F];
    }
    clave[OPS_CLAVE_LEN] = '\0';
    return true;
}

enum resultado
ops_ajustar(struct conexion *c, const char *id, int32_t delta, const char *motivo,
            const char *clave, producto_res *res)
{
    ajustar_args a = { .id = ops_prestado(id), .delta = delta,
                       .motivo = ops_prestado(motivo), .clave = ops_prestado(clave) };

    memset(res, 0, sizeof *res);
    return llamar_con_estado(c, AJUSTAR_STOCK, LLAMADA_REPETIBLE,
                             XDRPROC(xdr_ajustar_args), &a,
                             XDRPROC(xdr_producto_res), res, &res->e);
}

enum resultado
ops_movimientos(struct conexion *c, uint64_t desde, const char *id, unsigned max,
                movimientos_res *res)
{
    movimientos_args a = { .desde_seq = desde, .id = ops_prestado(id), .max = max };

    memset(res, 0, sizeof *res);
    return llamar_con_estado(c, MOVIMIENTOS, LLAMADA_LECTURA,
                             XDRPROC(xdr_movimientos_args), &a,
                             XDRPROC(xdr_movimientos_res), res, &res->e);
}

enum resultado
ops_estado(struct conexion *c, estado_servidor *res)
{
    memset(res, 0, sizeof *res);
    return conexion_llamar(c, ESTADO, LLAMADA_LECTURA, XDRPROC(xdr_void), NULL,
                           XDRPROC(xdr_estado_servidor), res);
}

void
ops_producto_liberar(producto_res *res)
{
    xdr_free(XDRPROC(xdr_producto_res), res);
}

void
ops_movimientos_liberar(movimientos_res *res)
{
    xdr_free(XDRPROC(xdr_movimientos_res), res);
}

void
ops_estado_liberar(estado_servidor *res)
{
    xdr_free(XDRPROC(xdr_estado_servidor), res);
}
