/* conexion.c - a client's connection and its calls; see conexion.h. */
#include "conexion.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "xdrproc.h"

#define PROGRAMA_CONTRATO 541675094u

/* CLIENT handles open now, in this process: every conexion_abrir that
 * succeeded and has not been closed.  Only counted, so that a handle we
 * forget to destroy shows up at exit (main checks it) even where a leak
 * checker has to be told to ignore libtirpc's own allocations. */
static _Atomic unsigned vivas;

unsigned
conexion_vivas(void)
{
    return atomic_load(&vivas);
}

/* Serialises the creation of CLIENT handles (conexion_abrir) across the
 * clients' threads.  Creating one asks rpcbind for the port, and libtirpc
 * decodes that answer partly into static storage of its own (xdr's
 * buffer for padding bytes), with no lock TSan can see: harmless, since
 * nothing reads those bytes, but reported as a race whenever clients
 * connect at once.  Connecting is never measured, so one at a time costs
 * nothing that counts. */
static pthread_mutex_t crear = PTHREAD_MUTEX_INITIALIZER;

rpcprog_t
conexion_programa_defecto(void)
{
    struct rpcent *r = getrpcbyname("inventario.servicio");

    return r != NULL && r->r_number > 0 ? (rpcprog_t)r->r_number
                                        : (rpcprog_t)PROGRAMA_CONTRATO;
}

static struct timeval
plazo(const struct destino *d)
{
    struct timeval tv;

    tv.tv_sec = (time_t)d->plazo_s;
    tv.tv_usec = (suseconds_t)((d->plazo_s - (double)tv.tv_sec) * 1e6);
    return tv;
}

void
conexion_init(struct conexion *c, const struct destino *d, rpcvers_t version)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    c->version = version;
}

enum res
conexion_abrir(struct conexion *c)
{
    struct timeval tv = plazo(c->d);
    /* An IPv6 literal needs the tcp6 transport; names and IPv4 use tcp.
     * (clnt_create's nettype knows "tcp" but not "tcp6": hence the
     * netconfig entry and clnt_tp_create.) */
    const char *netid = strchr(c->d->host, ':') != NULL ? "tcp6" : "tcp";
    struct netconfig *nc;
    enum clnt_stat st;
    int en;

    if (c->clnt != NULL)
        return RES_OK;
    pthread_mutex_lock(&crear);
    if ((nc = getnetconfigent(netid)) == NULL) {
        pthread_mutex_unlock(&crear);
        snprintf(c->error, sizeof c->error, "no hay transporte %s en /etc/netconfig",
                 netid);
        return RES_CONEXION;
    }
    c->clnt = clnt_tp_create_timed(c->d->host, c->d->programa, c->version, nc, &tv);
    freenetconfigent(nc);
    pthread_mutex_unlock(&crear);
    if (c->clnt == NULL) {
        /* rpc_createerr is per thread in libtirpc. */
        st = rpc_createerr.cf_stat;
        en = rpc_createerr.cf_error.re_errno;
        snprintf(c->error, sizeof c->error, "no se puede conectar con %s: %s%s%s",
                 c->d->host, clnt_sperrno(st), en ? ": " : "", en ? strerror(en) : "");
        return st == RPC_TIMEDOUT ? RES_TIMEOUT : RES_CONEXION;
    }
    atomic_fetch_add(&vivas, 1);
    /* Overrides the stubs' 25 s default for every later call. */
    if (!clnt_control(c->clnt, CLSET_TIMEOUT, (char *)&tv)) {
        snprintf(c->error, sizeof c->error, "clnt_control(CLSET_TIMEOUT) falló");
        conexion_cerrar(c);
        return RES_CONEXION;
    }
    c->aperturas++;
    return RES_OK;
}

void
conexion_cerrar(struct conexion *c)
{
    if (c->clnt == NULL)
        return;
    if (c->clnt->cl_auth != NULL)
        auth_destroy(c->clnt->cl_auth);
    clnt_destroy(c->clnt);
    c->clnt = NULL;
    atomic_fetch_sub(&vivas, 1);
}

/* How a failed clnt_call ended; closes the connection when its stream can
 * no longer be trusted. */
static enum res
fallo(struct conexion *c, enum clnt_stat st)
{
    struct rpc_err e;

    clnt_geterr(c->clnt, &e);
    snprintf(c->error, sizeof c->error, "%s%s%s", clnt_sperrno(st),
             e.re_errno ? ": " : "", e.re_errno ? strerror(e.re_errno) : "");
    switch (st) {
    case RPC_TIMEDOUT:
        conexion_cerrar(c);
        return RES_TIMEOUT;
    case RPC_CANTSEND:
    case RPC_CANTRECV:
    case RPC_CANTCONNECT:
    case RPC_CANTDECODERES:
    case RPC_CANTENCODEARGS:
        conexion_cerrar(c);
        return RES_CONEXION;
    case RPC_AUTHERROR:         /* the server refused the caller */
    case RPC_PROGUNAVAIL:
    case RPC_PROGVERSMISMATCH:
    case RPC_PROCUNAVAIL:
    case RPC_CANTDECODEARGS:    /* the server could not read the arguments */
        return RES_RECHAZADA;
    default:
        return RES_RPC;
    }
}

/* One call on c, connecting first if needed.  RES_OK means the call was
 * answered (the result's own estado is the caller's to read). */
static enum res
llamar(struct conexion *c, rpcproc_t proc, xdrproc_t xa, void *a,
       xdrproc_t xr, void *r)
{
    enum clnt_stat st;
    enum res rc;

    if (c->clnt == NULL && (rc = conexion_abrir(c)) != RES_OK)
        return rc;
    st = clnt_call(c->clnt, proc, xa, (caddr_t)a, xr, (caddr_t)r, plazo(c->d));
    return st == RPC_SUCCESS ? RES_OK : fallo(c, st);
}

static enum res
de_estado(estado e)
{
    return (unsigned)e <= RES_STOCK_INSUFICIENTE ? (enum res)e : RES_RPC;
}

void
conexion_liberar(xdrproc_t xdr, void *res)
{
    xdr_free(xdr, (char *)res);
}

enum res
con_null(struct conexion *c)
{
    return llamar(c, 0, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void), NULL);
}

/* A call whose result is a bare estado. */
static enum res
llamar_estado(struct conexion *c, rpcproc_t proc, xdrproc_t xa, void *a)
{
    estado e = OK;
    enum res rc = llamar(c, proc, xa, a, XDRPROC(xdr_estado), &e);

    return rc == RES_OK ? de_estado(e) : rc;
}

enum res
con_agregar(struct conexion *c, char *id, char *nombre, int32_t stock)
{
    producto p = { id, nombre, stock };

    return llamar_estado(c, AGREGAR_PRODUCTO, XDRPROC(xdr_producto), &p);
}

enum res
con_actualizar(struct conexion *c, char *id, int32_t valor)
{
    stock_args a = { id, valor };

    return llamar_estado(c, ACTUALIZAR_STOCK, XDRPROC(xdr_stock_args), &a);
}

enum res
con_eliminar(struct conexion *c, char *id)
{
    id_arg a = id;

    return llamar_estado(c, ELIMINAR_PRODUCTO, XDRPROC(xdr_id_arg), &a);
}

/* Copies what a producto_res carries to the caller's outputs. */
static enum res
de_producto(const producto_res *r, int32_t *stock, char *nombre, size_t len)
{
    if (r->e != OK)
        return de_estado(r->e);
    if (stock != NULL)
        *stock = r->producto_res_u.p.stock;
    if (nombre != NULL && len > 0)
        snprintf(nombre, len, "%s", r->producto_res_u.p.nombre);
    return RES_OK;
}

enum res
con_obtener(struct conexion *c, char *id, int32_t *stock, char *nombre,
            size_t nombre_len)
{
    id_arg a = id;
    producto_res r;
    enum res rc;

    memset(&r, 0, sizeof r);
    rc = llamar(c, OBTENER_PRODUCTO, XDRPROC(xdr_id_arg), &a,
                XDRPROC(xdr_producto_res), &r);
    if (rc == RES_OK)
        rc = de_producto(&r, stock, nombre, nombre_len);
    conexion_liberar(XDRPROC(xdr_producto_res), &r);
    return rc;
}

enum res
con_ajustar(struct conexion *c, char *id, int32_t delta, char *motivo,
            char *clave, int32_t *stock)
{
    ajustar_args a = { id, delta, motivo, clave };
    producto_res r;
    enum res rc;

    memset(&r, 0, sizeof r);
    rc = llamar(c, AJUSTAR_STOCK, XDRPROC(xdr_ajustar_args), &a,
                XDRPROC(xdr_producto_res), &r);
    if (rc == RES_OK)
        rc = de_producto(&r, stock, NULL, 0);
    conexion_liberar(XDRPROC(xdr_producto_res), &r);
    return rc;
}

enum res
con_listar(struct conexion *c, uint64_t *n)
{
    lista_res r;
    enum res rc;

    memset(&r, 0, sizeof r);
    rc = llamar(c, LISTAR_PRODUCTOS, XDRPROC(xdr_void), NULL,
                XDRPROC(xdr_lista_res), &r);
    if (rc == RES_OK) {
        rc = de_estado(r.e);
        if (rc == RES_OK && n != NULL)
            *n = r.lista_res_u.productos.productos_len;
    }
    conexion_liberar(XDRPROC(xdr_lista_res), &r);
    return rc;
}

enum res
con_movimientos(struct conexion *c, uint64_t desde, char *id, unsigned max,
                movimientos_res *out)
{
    movimientos_args a = { desde, id, max };
    enum res rc;

    memset(out, 0, sizeof *out);
    rc = llamar(c, MOVIMIENTOS, XDRPROC(xdr_movimientos_args), &a,
                XDRPROC(xdr_movimientos_res), out);
    return rc == RES_OK ? de_estado(out->e) : rc;
}

enum res
con_pagina(struct conexion *c, char *desde, unsigned max, pagina_res *out)
{
    pagina_args a = { desde, max };
    enum res rc;

    memset(out, 0, sizeof *out);
    rc = llamar(c, LISTAR_PAGINA, XDRPROC(xdr_pagina_args), &a,
                XDRPROC(xdr_pagina_res), out);
    return rc == RES_OK ? de_estado(out->e) : rc;
}

enum res
con_estado(struct conexion *c, estado_servidor *out)
{
    memset(out, 0, sizeof *out);
    return llamar(c, ESTADO, XDRPROC(xdr_void), NULL,
                  XDRPROC(xdr_estado_servidor), out);
}
