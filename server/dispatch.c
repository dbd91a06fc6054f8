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
typedef enum store_rc (*write_fn)(const void *arg, struct llamada *c);
typedef void (*end_fn)(void *res, struct llamada *c, enum store_rc rc);

struct proc {
    const char *name;
    xdrproc_t   xdr_arg;
    xdrproc_t   xdr_res;
    handler_fn  run;        /* a read: fills its result */
    write_fn    write;      /* a write: hands it to the store, */
    end_fn      end;        /* and fills its result from the answer */
    rpcvers_t   since;      /* first version that has it */
};

#define FN(type, fn) ((type)(void (*)(void))(fn))
#define R(name, xa, xr, fn, v) \
    { name, XDRPROC(xa), XDRPROC(xr), FN(handler_fn, fn), NULL, NULL, v }
#define W(name, xa, xr, fn, end, v) \
    { name, XDRPROC(xa), XDRPROC(xr), NULL, FN(write_fn, fn), FN(end_fn, end), v }

/* Indexed by procedure number; the contract's table. */
static const struct proc procs[] = {
    [0]                 = R("NULL", xdr_void, xdr_void, NULL, 1),
    [AGREGAR_PRODUCTO]  = W("AGREGAR_PRODUCTO", xdr_producto, xdr_estado, h_agregar, h_escrito, 1),
    [OBTENER_PRODUCTO]  = R("OBTENER_PRODUCTO", xdr_id_arg, xdr_producto_res, h_obtener, 1),
    [ACTUALIZAR_STOCK]  = W("ACTUALIZAR_STOCK", xdr_stock_args, xdr_estado, h_actualizar, h_escrito, 1),
    [LISTAR_PRODUCTOS]  = R("LISTAR_PRODUCTOS", xdr_void, xdr_lista_res, h_listar, 1),
    [ELIMINAR_PRODUCTO] = W("ELIMINAR_PRODUCTO", xdr_id_arg, xdr_estado, h_eliminar, h_escrito, 1),
    [AJUSTAR_STOCK]     = W("AJUSTAR_STOCK", xdr_ajustar_args, xdr_producto_res, h_ajustar, h_ajustado, 2),
    [MOVIMIENTOS]       = R("MOVIMIENTOS", xdr_movimientos_args, xdr_movimientos_res, h_movimientos, 2),
    [LISTAR_PAGINA]     = R("LISTAR_PAGINA", xdr_pagina_args, xdr_pagina_res, h_pagina, 2),
    [ESTADO]            = R("ESTADO", xdr_void, xdr_estado_servidor, h_estado, 2),
    /* Answered by espera.c, now or later: see dispatch_inventario. */
    [ESPERAR_MOVIMIENTOS] = R("ESPERAR_MOVIMIENTOS", xdr_esperar_args, xdr_movimientos_res,
                              NULL, 3),
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
    if (p->write != NULL)
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

/* The status a read's result carries, for the request log. */
static enum store_rc
result_status(rpcproc_t proc, const void *res)
{
    if (proc == 0 || proc == ESTADO)
        return STORE_OK;
    /* Every other read's result is a union whose first member is the estado. */
    return (enum store_rc)*(const estado *)res;
}

static void
log_llamada(SVCXPRT *xprt, rpcvers_t vers, const struct proc *p, enum store_rc rc)
{
    char addr[INET6_ADDRSTRLEN];

    if (!log_verbose())
        return;
    caller_addr(xprt, addr, sizeof addr);
    log_debug("llamada v%lu %s de %s: %s", (unsigned long)vers, p->name, addr,
              store_rc_nombre(rc));
}

/*
 * A write, from its decoded arguments to its reply, which leaves only once
 * its commit is durable.  The store answers it either at once (this
 * thread sends the reply) or, so that no worker waits for a sync, later:
 * the thread that leads its commit runs escritura_fin.  So the call is
 * deferred (svcx.h) and everything its reply needs lives here until then.
 */
struct escritura {
    struct store_fin      fin;      /* first: the store hands it back */
    struct svcx_call     *call;
    const struct proc    *p;
    rpcproc_t             proc;
    rpcvers_t             vers;
    union inventario_args arg;
    union inventario_res  res;
    struct llamada        c;
};

/* Replies to a write with the store's answer, and frees it; any thread. */
static void
responder_escritura(struct escritura *w, enum store_rc rc)
{
    SVCXPRT *xprt = svcx_xprt(w->call);
    const struct proc *p = w->p;

    p->end(&w->res, &w->c, rc);
    if (!svc_sendreply(xprt, p->xdr_res, (caddr_t)&w->res))
        log_debug("llamada v%lu %s: no se pudo enviar la respuesta",
                  (unsigned long)w->vers, p->name);
    atomic_fetch_add(&llamadas, 1);
    if (rc == STORE_OK)
        espera_notificar(written_id(w->proc, &w->arg));
    log_llamada(xprt, w->vers, p, rc);
    handlers_fin(&w->c);
    xdr_free(p->xdr_arg, (char *)&w->arg);
    svcx_done(w->call);
    free(w);
}

static void
escritura_fin(struct store_fin *f, enum store_rc rc)
{
    responder_escritura((struct escritura *)(void *)f, rc);
}

static void
escribir(struct svc_req *rq, SVCXPRT *xprt, const struct proc *p)
{
    struct escritura *w = calloc(1, sizeof *w);
    enum store_rc rc;

    if (w == NULL) {
        svcerr_systemerr(xprt);
        return;
    }
    if (!svc_getargs(xprt, p->xdr_arg, (caddr_t)&w->arg)) {
        svcerr_decode(xprt);
        log_debug("llamada v%lu %s: argumentos ilegibles", (unsigned long)rq->rq_vers,
                  p->name);
        xdr_free(p->xdr_arg, (char *)&w->arg);
        free(w);
        return;
    }
    w->fin.fin = escritura_fin;
    w->p = p;
    w->proc = rq->rq_proc;
    w->vers = rq->rq_vers;
    w->c.fin = &w->fin;
    make_origen(rq, xprt, w->c.origen, sizeof w->c.origen);
    w->call = svcx_defer(xprt);
    rc = p->write(&w->arg, &w->c);
    if (rc != STORE_PENDING)
        responder_escritura(w, rc);
    /* else w is the store's until escritura_fin: not one more look at it */
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
    if (tls_required && proc != 0 && svcx_identity(xprt) == NULL) {
        char addr[INET6_ADDRSTRLEN];

        caller_addr(xprt, addr, sizeof addr);
        svcerr_auth(xprt, AUTH_TOOWEAK);
        log_limitado("sin-tls", addr, "llamada %s de %s rechazada: sin TLS, y el "
                     "servidor lo exige (--tls required)", p->name, addr);
        return;
    }
    if (!permitido(p, proc, xprt)) {
        char addr[INET6_ADDRSTRLEN];
        bool w = p->write != NULL;

        caller_addr(xprt, addr, sizeof addr);
        svcerr_auth(xprt, AUTH_TOOWEAK);
        log_limitado(w ? "rechazo-escritura" : "rechazo-lectura", addr,
                     "llamada %s de %s rechazada: esa red no puede %s "
                     "(--allow-write, --allow-read)", p->name, addr,
                     w ? "escribir" : "leer");
        return;
    }
    if (p->write != NULL) {
        escribir(rq, xprt, p);
        return;
    }
    memset(&arg, 0, sizeof arg);
    memset(&res, 0, sizeof res);
    memset(&c, 0, sizeof c);
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
    c.llamadas_antes = atomic_load(&llamadas);
    if (p->run != NULL)
        p->run(&arg, &res, &c);
    if (!svc_sendreply(xprt, p->xdr_res, (caddr_t)&res))
        log_debug("llamada v%lu %s: no se pudo enviar la respuesta",
                  (unsigned long)rq->rq_vers, p->name);
    atomic_fetch_add(&llamadas, 1);
    log_llamada(xprt, rq->rq_vers, p, result_status(proc, &res));
    handlers_fin(&c);
free_args:
    /* Frees what a complete or partial decode allocated.  xdr_free, not
     * svc_freeargs: a deferred call's xprt may be gone already. */
    xdr_free(p->xdr_arg, (char *)&arg);
}
