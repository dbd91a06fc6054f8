/* operaciones.c - the contract's procedures as C calls, through the generated stubs; see operaciones.h. */
#include "operaciones.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conexion_privada.h"
#include "llamada.h"
#include "validar.h"
#include "xdrproc.h"

/*
 * The generated client stubs (rpcgen -M), seen as llamada_stub.  Version
 * 3's stubs serve every call: each version repeats the procedures of the
 * one before under the same numbers, and the version on the wire is the
 * CLIENT's, chosen when connecting (conexion.h), whatever the stub's
 * name; struct llamada's 'version' keeps a newer procedure from being
 * sent to an older server.
 */
#define STUB(proc, targ, tres)                                                \
    static enum clnt_stat                                                     \
    stub_##proc(CLIENT *cl, void *a, void *r)                                 \
    {                                                                         \
        return proc##_3((targ *)a, (tres *)r, cl);                            \
    }

STUB(agregar_producto, producto, estado)
STUB(obtener_producto, id_arg, producto_res)
STUB(actualizar_stock, stock_args, estado)
STUB(listar_productos, void, lista_res)
STUB(eliminar_producto, id_arg, estado)
STUB(ajustar_stock, ajustar_args, producto_res)
STUB(movimientos, movimientos_args, movimientos_res)
STUB(listar_pagina, pagina_args, pagina_res)
STUB(estado, void, estado_servidor)
STUB(esperar_movimientos, esperar_args, movimientos_res)

/* rpcgen makes no stub for procedure 0, NULL, which every program has. */
static enum clnt_stat
stub_null(CLIENT *cl, void *a, void *r)
{
    static struct timeval nunca = { 25, 0 };   /* CLSET_TIMEOUT wins */

    (void)a;
    (void)r;
    return clnt_call(cl, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void),
                     NULL, nunca);
}

static enum resultado
llamar_max(struct conexion *c, llamada_stub stub, unsigned version,
           enum llamada_tipo tipo, void *arg, xdrproc_t xr, void *res, u_int max)
{
    struct llamada l = { .stub = stub, .version = version, .tipo = tipo,
                         .arg = arg, .xr = xr, .res = res, .max_elementos = max };

    return conexion_llamar(c, &l);
}

/* A call whose answer has no array. */
static enum resultado
llamar(struct conexion *c, llamada_stub stub, unsigned version,
       enum llamada_tipo tipo, void *arg, xdrproc_t xr, void *res)
{
    return llamar_max(c, stub, version, tipo, arg, xr, res, 0);
}

/* A call whose answer is a bare estado. */
static enum resultado
llamar_estado(struct conexion *c, llamada_stub stub, void *arg)
{
    estado e = OK;
    enum resultado r;

    r = llamar(c, stub, INVENTARIO_V1, LLAMADA_ESCRITURA, arg,
               XDRPROC(xdr_estado), &e);
    return r == RES_OK ? resultado_de_estado(e) : r;
}

/* The answer of a call whose result starts with an estado (*e, a field of
 * res): on any answer but OK the result is freed, so the caller frees it
 * only after OK. */
static enum resultado
con_estado(enum resultado r, xdrproc_t xr, void *res, const estado *e)
{
    if (r != RES_OK)
        return r;
    if ((r = resultado_de_estado(*e)) != RES_OK)
        xdr_free(xr, res);
    return r;
}

static unsigned
pagina(unsigned max)
{
    return max == 0 ? OPS_PAGINA : max > OPS_PAGINA_MAX ? OPS_PAGINA_MAX : max;
}

enum resultado
ops_null(struct conexion *c)
{
    return llamar(c, stub_null, INVENTARIO_V1, LLAMADA_LECTURA, NULL,
                  XDRPROC(xdr_void), NULL);
}

enum resultado
ops_agregar(struct conexion *c, const char *id, const char *nombre, int32_t stock)
{
    producto p = { .id = ops_prestado(id), .nombre = ops_prestado(nombre), .stock = stock };

    return llamar_estado(c, stub_agregar_producto, &p);
}

enum resultado
ops_obtener(struct conexion *c, const char *id, producto_res *res)
{
    id_arg a = ops_prestado(id);

    memset(res, 0, sizeof *res);
    return con_estado(llamar(c, stub_obtener_producto, INVENTARIO_V1,
                             LLAMADA_LECTURA, &a, XDRPROC(xdr_producto_res), res),
                      XDRPROC(xdr_producto_res), res, &res->e);
}

enum resultado
ops_actualizar(struct conexion *c, const char *id, int32_t stock)
{
    stock_args a = { .id = ops_prestado(id), .valor = stock };

    return llamar_estado(c, stub_actualizar_stock, &a);
}

enum resultado
ops_eliminar(struct conexion *c, const char *id)
{
    id_arg a = ops_prestado(id);

    return llamar_estado(c, stub_eliminar_producto, &a);
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

enum resultado
ops_listar_productos(struct conexion *c, lista_res *res)
{
    memset(res, 0, sizeof *res);
    return con_estado(llamar_max(c, stub_listar_productos, INVENTARIO_V1,
                                 LLAMADA_LECTURA, NULL, XDRPROC(xdr_lista_res), res,
                                 OPS_LISTA_MAX),
                      XDRPROC(xdr_lista_res), res, &res->e);
}

void
ops_lista_res_liberar(lista_res *res)
{
    xdr_free(XDRPROC(xdr_lista_res), res);
}

enum resultado
ops_listar_pagina(struct conexion *c, const char *desde, unsigned max,
                  pagina_res *res)
{
    pagina_args a = { .desde_id = ops_prestado(desde), .max = pagina(max) };

    memset(res, 0, sizeof *res);
    return con_estado(llamar_max(c, stub_listar_pagina, INVENTARIO_V2,
                                 LLAMADA_LECTURA, &a, XDRPROC(xdr_pagina_res), res,
                                 a.max),
                      XDRPROC(xdr_pagina_res), res, &res->e);
}

void
ops_pagina_liberar(pagina_res *res)
{
    xdr_free(XDRPROC(xdr_pagina_res), res);
}

static enum resultado
listar_v1(struct conexion *c, struct ops_lista *out)
{
    lista_res res;
    enum resultado r;

    if ((r = ops_listar_productos(c, &res)) != RES_OK)
        return r;
    if (!anadir(out, res.lista_res_u.productos.productos_val,
                res.lista_res_u.productos.productos_len))
        r = RES_ERROR_INTERNO;
    ops_lista_res_liberar(&res);
    return r;
}

/* Checks one page of a listing that has n products so far: it must keep
 * within OPS_LISTA_MAX and move past desde, or the listing could go on
 * for ever.  RES_OK, or RES_PROTOCOLO with the sentence set. */
static enum resultado
pagina_valida(struct conexion *c, const pagina_ok *ok, const char *desde, size_t n)
{
    u_int k = ok->productos.productos_len;
    const producto *v = ok->productos.productos_val;

    if (n + k > OPS_LISTA_MAX) {
        conexion_fallo(c, "El listado del servidor en %s pasa de %u productos, "
                       "el límite de este programa; se interrumpe.", c->host,
                       OPS_LISTA_MAX);
        return RES_PROTOCOLO;
    }
    if (ok->hay_mas && (k == 0 || strcmp(v[k - 1].id, desde) <= 0)) {
        conexion_fallo(c, "El servidor en %s anuncia más productos tras \"%s\" "
                       "pero su página no avanza; se interrumpe el listado.",
                       c->host, desde);
        return RES_PROTOCOLO;
    }
    return RES_OK;
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
        pagina_res res;
        const pagina_ok *ok = &res.pagina_res_u.ok;
        u_int n;

        if ((r = ops_listar_pagina(c, desde, 0, &res)) != RES_OK)
            break;
        n = ok->productos.productos_len;
        if ((r = pagina_valida(c, ok, desde, out->n)) == RES_OK &&
            !anadir(out, ok->productos.productos_val, n))
            r = RES_ERROR_INTERNO;
        hay_mas = ok->hay_mas;
        if (r == RES_OK && n > 0)
            snprintf(desde, sizeof desde, "%s", ok->productos.productos_val[n - 1].id);
        ops_pagina_liberar(&res);
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
    const char *k = clave != NULL ? clave : "";
    ajustar_args a = { .id = ops_prestado(id), .delta = delta,
                       .motivo = ops_prestado(motivo), .clave = ops_prestado(k) };

    memset(res, 0, sizeof *res);
    /* Without a key a repeated adjustment could sell twice. */
    return con_estado(llamar(c, stub_ajustar_stock, INVENTARIO_V2,
                             k[0] != '\0' ? LLAMADA_REPETIBLE : LLAMADA_ESCRITURA,
                             &a, XDRPROC(xdr_producto_res), res),
                      XDRPROC(xdr_producto_res), res, &res->e);
}

enum resultado
ops_movimientos(struct conexion *c, uint64_t desde, const char *id, unsigned max,
                movimientos_res *res)
{
    movimientos_args a = { .desde_seq = desde, .id = ops_prestado(id),
                           .max = pagina(max) };

    memset(res, 0, sizeof *res);
    return con_estado(llamar_max(c, stub_movimientos, INVENTARIO_V2,
                                 LLAMADA_LECTURA, &a, XDRPROC(xdr_movimientos_res),
                                 res, a.max),
                      XDRPROC(xdr_movimientos_res), res, &res->e);
}

enum resultado
ops_esperar_movimientos(struct conexion *c, uint64_t desde, const char *id,
                        unsigned max, unsigned espera_ms, movimientos_res *res)
{
    esperar_args a = { .desde_seq = desde, .id = ops_prestado(id),
                       .max = pagina(max),
                       .espera_ms = espera_ms > INV_ESPERA_MAX_MS ? INV_ESPERA_MAX_MS
                                                                  : espera_ms };
    struct llamada l = { .stub = stub_esperar_movimientos, .version = INVENTARIO_V3,
                         .tipo = LLAMADA_LECTURA, .arg = &a,
                         .xr = XDRPROC(xdr_movimientos_res), .res = res,
                         .espera_extra_ms = a.espera_ms, .max_elementos = a.max };

    memset(res, 0, sizeof *res);
    return con_estado(conexion_llamar(c, &l), XDRPROC(xdr_movimientos_res), res,
                      &res->e);
}

enum resultado
ops_estado(struct conexion *c, estado_servidor *res)
{
    memset(res, 0, sizeof *res);
    return llamar(c, stub_estado, INVENTARIO_V2, LLAMADA_LECTURA, NULL,
                  XDRPROC(xdr_estado_servidor), res);
}

/* Copies a product's stock and name out, and frees the answer. */
static void
copiar(producto_res *res, int32_t *stock, char *nombre, size_t len)
{
    if (stock != NULL)
        *stock = res->producto_res_u.p.stock;
    if (nombre != NULL && len > 0)
        snprintf(nombre, len, "%s", res->producto_res_u.p.nombre);
    ops_producto_liberar(res);
}

enum resultado
ops_obtener_copia(struct conexion *c, const char *id, int32_t *stock,
                  char *nombre, size_t len)
{
    producto_res res;
    enum resultado r = ops_obtener(c, id, &res);

    if (r == RES_OK)
        copiar(&res, stock, nombre, len);
    return r;
}

enum resultado
ops_ajustar_copia(struct conexion *c, const char *id, int32_t delta,
                  const char *motivo, const char *clave, int32_t *stock)
{
    producto_res res;
    enum resultado r = ops_ajustar(c, id, delta, motivo, clave, &res);

    if (r == RES_OK)
        copiar(&res, stock, NULL, 0);
    return r;
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
