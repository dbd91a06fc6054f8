/* dispatch.c - decode, handle, reply, free: one RPC call; see dispatch.h. */
#include "dispatch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acceso.h"
#include "espera.h"
#include "handlers.h"
#include "inventario.h"
#include "log.h"
#include "origen.h"
#include "store.h"
#include "svcx.h"
#include "uniones.h"
#include "validar.h"
#include "xdrproc.h"

typedef void (*handler_fn)(const void *arg, void *res, struct llamada *c);

struct proc {
    const char *name;
    xdrproc_t   xdr_arg;
    xdrproc_t   xdr_res;
    handler_fn  run;
    bool        write;      /* needs 'origen' for the movement log */
    rpcvers_t   since;      /* first version that has it */
};

#define P(name, xa, xr, fn, w, v) \
    { name, XDRPROC(xa), XDRPROC(xr), (handler_fn)(void (*)(void))(fn), w, v }

/* Indexed by procedure number; the contract's table. */
static const struct proc procs[] = {
    [0]                 = P("NULL", xdr_void, xdr_void, NULL, false, 1),
    [AGREGAR_PRODUCTO]  = P("AGREGAR_PRODUCTO", xdr_producto, xdr_estado, h_agregar, true, 1),
    [OBTENER_PRODUCTO]  = P("OBTENER_PRODUCTO", xdr_id_arg, xdr_producto_res, h_obtener, false, 1),
    [ACTUALIZAR_STOCK]  = P("ACTUALIZAR_STOCK", xdr_stock_args, xdr_estado, h_actualizar, true, 1),
    [LISTAR_PRODUCTOS]  = P("LISTAR_PRODUCTOS", xdr_void, xdr_lista_res, h_listar, false, 1),
    [ELIMINAR_PRODUCTO] = P("ELIMINAR_PRODUCTO", xdr_id_arg, xdr_estado, h_eliminar, true, 1),
    [AJUSTAR_STOCK]     = P("AJUSTAR_STOCK", xdr_ajustar_args, xdr_producto_res, h_ajustar, true, 2),
    [MOVIMIENTOS]       = P("MOVIMIENTOS", xdr_movimientos_args, xdr_movimientos_res, h_movimientos, false, 2),
    [LISTAR_PAGINA]     = P("LISTAR_PAGINA", xdr_pagina_args, xdr_pagina_res, h_pagina, false, 2),
    [ESTADO]            = P("ESTADO", xdr_void, xdr_estado_servidor, h_estado, false, 2),
    /* Answered by espera.c, now or later: see dispatch_inventario. */
    [ESPERAR_MOVIMIENTOS] = P("ESPERAR_MOVIMIENTOS", xdr_esperar_args, xdr_movimientos_res,
                              NULL, false, 3),
};
#define NPROCS (sizeof procs / sizeof procs[0])

/* Calls answered since start; any thread adds, ESTADO reads. */
static _Atomic uint64_t llamadas;

/* Set once by dispatch_init before the workers start; read-only after. */
static const struct acceso_lista *escritura, *lectura;

/* Set once by dispatch_tls_required before the workers start. */
static bool tls_required;

void
dispatch_tls_required(bool required)
{
    tls_required = required;
}

void
dispatch_init(const struct acceso_lista *e, const struct acceso_lista *l)
{
    escritura = e;
    lectura = l;
}

/* Whether the caller's network, or its connection's TLS identity, may
 * make this call; NULL always may. */
static bool
permitido(const struct proc *p, rpcproc_t proc, SVCXPRT *xprt)
{
    const struct netbuf *nb = svc_getrpccaller(xprt);
    const struct sockaddr *sa = nb ? (const struct sockaddr *)nb->buf : NULL;
    size_t len = nb ? nb->len : 0;
    const char *id = svcx_identity(xprt);

    if (proc == 0 || escritura == NULL)
        return true;
    if (p->write)
        return acceso_permite_llamada(acceso_vacia(escritura) ? lectura : escritura,
                                      sa, len, id);
    if (acceso_vacia(lectura))
        return true;
    return acceso_permite_llamada(lectura, sa, len, id) ||
           (!acceso_vacia(escritura) && acceso_permite_llamada(escritura, sa, len, id));
}

uint64_t
dispatch_llamadas(void)
{
    return atomic_load(&llamadas);
}

void
dispatch_contar(void)
{
    atomic_fetch_add(&llamadas, 1);
}

/* The caller's address as text, "?" if it cannot be told. */
static void
caller_addr(SVCXPRT *xprt, char *buf, size_t len)
{
    struct netbuf *nb = svc_getrpccaller(xprt);
    const struct sockaddr *sa = nb ? (const struct sockaddr *)nb->buf : NULL;
    const void *a = NULL;

    snprintf(buf, len, "?");
    if (sa == NULL || nb->len < sizeof(sa_family_t))
        return;
    if (sa->sa_family == AF_INET && nb->len >= sizeof(struct sockaddr_in))
        a = &((const struct sockaddr_in *)nb->buf)->sin_addr;
    else if (sa->sa_family == AF_INET6 && nb->len >= sizeof(struct sockaddr_in6))
        a = &((const struct sockaddr_in6 *)nb->buf)->sin6_addr;
    if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
}

/* 'origen' for the movement log (origen.h): the caller's address, then
 * the AUTH_SYS uid and machine name where it sent them; over TLS,
 * "tls:NAME ADDR", the name its certificate proves, and AUTH_SYS's
 * asserted one counts for nothing. */
static void
make_origen(struct svc_req *rq, SVCXPRT *xprt, char *out, size_t cap)
{
    char addr[INET6_ADDRSTRLEN];
    const struct authunix_parms *au = NULL;
    const char *id = svcx_identity(xprt);

    caller_addr(xprt, addr, sizeof addr);
    if (id != NULL) {
        /* Visible ASCII of at most 64 bytes (tls_server.h): it fits whole. */
        snprintf(out, cap, "tls:%s %s", id, addr);
        return;
    }
    if (rq->rq_cred.oa_flavor == AUTH_SYS && rq->rq_clntcred != NULL)
        au = (const struct authunix_parms *)rq->rq_clntcred;
    origen_formatear(out, cap, addr, au != NULL, au ? (uint32_t)au->aup_uid : 0,
                     au && au->aup_machname ? au->aup_machname : "");
}

/* The product a write touched, for the long polls waiting on it. */
static const char *
written_id(rpcproc_t proc, const union inventario_args *a)
{
    switch (proc) {
    case AGREGAR_PRODUCTO:
        return a->producto.id;
    case ACTUALIZAR_STOCK:
        return a->stock.id;
    case ELIMINAR_PRODUCTO:
        return a->id;
    case AJUSTAR_STOCK:
        return a->ajustar.id;
    default:
        return "";
    }
}

/* The status a result carries, for the request log. */
static int
result_status(rpcproc_t proc, const void *res)
{
    switch (proc) {
    case AGREGAR_PRODUCTO:
    case ACTUALIZAR_STOCK:
    case ELIMINAR_PRODUCTO:
        return *(const estado *)res;
    case 0:
    case ESTADO:
        return OK;
    default:
        /* Every other result is a union whose first member is the estado. */
        return *(const estado *)res;
    }
}

void
dispatch_inventario(struct svc_req *rq, SVCXPRT *xprt)
{
    union inventario_args arg;
    union inventario_res res;
    struct llamada c;
    const struct proc *p;
    rpcproc_t proc = rq->rq_proc;

    if (proc >= NPROCS || procs[proc].since > rq->rq_vers) {
        svcerr_noproc(xprt);
        return;
    }
    p = &procs[proc];
    memset(&arg, 0, sizeof arg);
    memset(&res, 0, sizeof res);
    memset(&c, 0, sizeof c);
    if (tls_required && proc != 0 && svcx_identity(xprt) == NULL) {
        char addr[INET6_ADDRSTRLEN];

        caller_addr(xprt, addr, sizeof addr);
        svcerr_auth(xprt, AUTH_TOOWEAK);
        log_limitado("sin-tls", addr, "llamada %s de %s rechazada: sin TLS, y el "
                     "servidor lo exige (--tls required)", p->name, addr);
        goto free_args;
    }
    if (!permitido(p, proc, xprt)) {
        char addr[INET6_ADDRSTRLEN];

        caller_addr(xprt, addr, sizeof addr);
        svcerr_auth(xprt, AUTH_TOOWEAK);
        log_limitado(p->write ? "rechazo-escritura" : "rechazo-lectura", addr,
                     "llamada %s de %s rechazada: esa red no puede %s "
                     "(--allow-write, --allow-read)", p->name, addr,
                     p->write ? "escribir" : "leer");
        goto free_args;
    }
    if (!svc_getargs(xprt, p->xdr_arg, (caddr_t)&arg)) {
        svcerr_decode(xprt);
        log_debug("llamada v%lu %s: argumentos ilegibles", (unsigned long)rq->rq_vers,
                  p->name);
        goto free_args;
    }
    if (proc == ESPERAR_MOVIMIENTOS) {
        espera_llamada(xprt, &arg.esperar);     /* answers now or later */
        goto free_args;
    }
    if (p->write)
        make_origen(rq, xprt, c.origen, sizeof c.origen);
    c.llamadas_antes = atomic_load(&llamadas);
    if (p->run != NULL)
        p->run(&arg, &res, &c);
    if (!svc_sendreply(xprt, p->xdr_res, (caddr_t)&res))
        log_debug("llamada v%lu %s: no se pudo enviar la respuesta",
                  (unsigned long)rq->rq_vers, p->name);
    atomic_fetch_add(&llamadas, 1);
    if (p->write && result_status(proc, &res) == OK)
        espera_notificar(written_id(proc, &arg));
    if (log_verbose()) {
        char addr[INET6_ADDRSTRLEN];

        caller_addr(xprt, addr, sizeof addr);
        log_debug("llamada v%lu %s de %s: %s", (unsigned long)rq->rq_vers,
                  p->name, addr,
                  store_rc_nombre((enum store_rc)result_status(proc, &res)));
    }
    handlers_fin(&c);
free_args:
    /* Frees what a complete or partial decode allocated; never exits. */
    if (!svc_freeargs(xprt, p->xdr_arg, (caddr_t)&arg))
        log_warnx("llamada %s: no se pudieron liberar los argumentos", p->name);
}
