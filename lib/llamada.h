/* llamada.h - one call over a conexion, through a generated stub, and when to repeat it.
 *
 * Private to the library: operaciones.c describes each procedure with a
 * struct llamada (its generated rpcgen stub, the version that has it,
 * whether it may be repeated) and conexion_llamar runs it: connects if
 * needed, sets the call's deadline, calls the stub, turns a failure into
 * an outcome and a sentence, and repeats the call where that is safe.
 */
#ifndef INVENTARIO_LIB_LLAMADA_H
#define INVENTARIO_LIB_LLAMADA_H

#include <rpc/rpc.h>

#include "conexion.h"

/* How a call may be repeated when its answer does not come. */
enum llamada_tipo {
    /* Changes nothing: repeated once, on a new connection, if the
     * connection died under it (or, with several hosts, if it timed out). */
    LLAMADA_LECTURA,
    /* A write: never repeated.  If it was sent but no answer came, the
     * sentence says that the change may have been applied. */
    LLAMADA_ESCRITURA,
    /* A write made safe to repeat by its idempotency key (AJUSTAR_STOCK
     * with a clave): repeated with the very same arguments after a timeout
     * or a lost connection, CONEXION_INTENTOS times in all, on the next
     * host of the list where there are several (the key is in the shared
     * database, so it is applied once wherever it lands). */
    LLAMADA_REPETIBLE
};

/* A generated client stub (rpcgen -M: obtener_producto_3(&arg, &res, clnt))
 * seen through void pointers, so that one loop can run any of them. */
typedef enum clnt_stat (*llamada_stub)(CLIENT *cl, void *arg, void *res);

struct llamada {
    llamada_stub      stub;
    unsigned          version;      /* the first protocol version that has it */
    enum llamada_tipo tipo;
    void             *arg;
    xdrproc_t         xr;           /* the result's routine, to free it */
    void             *res;          /* zeroed by the caller */
    unsigned          espera_extra_ms;  /* added to the deadline: the time
                                           the server may hold the reply */
    u_int             max_elementos;    /* the most items an array of the
                                           answer may hold (acotado.h) */
};

/*
 * Runs l on c: connects first if needed.  A procedure newer than the
 * connection's version answers RES_NO_OFRECIDO without sending anything.
 *
 * RES_OK: *l->res holds the answer; the caller frees it with l->xr.
 * Otherwise *l->res holds nothing to free, conexion_error says what
 * happened, and the outcome is RES_SIN_SERVIDOR, RES_TIEMPO_AGOTADO,
 * RES_NO_OFRECIDO, RES_SIN_PERMISO, RES_INVALIDO (the server could not
 * decode the arguments), RES_PROTOCOLO (an answer that breaks the
 * protocol or the library's bounds) or RES_CANCELADO.
 */
enum resultado conexion_llamar(struct conexion *c, const struct llamada *l);

#endif
