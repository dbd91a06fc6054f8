/* conexion.h - finding the inventory service, connecting, calling, reconnecting.
 *
 * A conexion is one TCP connection (a libtirpc CLIENT) to the service on
 * one host of a list, made on demand.  Several hosts are several servers
 * that share one inventory (a PostgreSQL database): a new connection tries
 * them in order, from the one in use, and takes the first that answers;
 * after a call failed on one (its connection lost, or no answer in time)
 * the next connection starts at the following host, so that a dead or
 * hung server costs one timeout, not one per call.
 *
 * The program number comes from the alias "inventario.servicio" in
 * /etc/rpc (getrpcbyname), or is the contract's 541675094 where that line
 * is missing, unless the caller gives one.  Each new connection asks the
 * host's rpcbind for the port (TCP, over IPv6 when the host is an IPv6
 * address), so a server restarted on a new port is found again; it prefers
 * protocol version 2 and falls back to 1 when the server answers version 2
 * with PROG_MISMATCH.
 *
 * Every wait is bounded by the caller's timeout: the host name's lookup
 * (resolver.h), reaching rpcbind, the rpcbind query, the connect, and each
 * call (CLSET_TIMEOUT).  A call that finds its connection dead, or loses
 * it, or times out, destroys the CLIENT; the next call connects afresh.
 * Every failure becomes an outcome (resultado.h) and one Spanish sentence,
 * kept for conexion_error, that names the host and says what to check.
 *
 * Not thread-safe: one thread owns a conexion.
 */
#ifndef INVENTARIO_CLIENTE_CONEXION_H
#define INVENTARIO_CLIENTE_CONEXION_H

#include <stdbool.h>

#include <rpc/rpc.h>

#include "resultado.h"

struct conexion_opts {
    const char   *host;         /* a name or an IPv4/IPv6 address, or
                                   several separated by commas */
    unsigned long programa;     /* 0: the alias, or the contract's number */
    unsigned      espera_ms;    /* the bound on every wait, > 0 */
    /* Called with a sentence when the conexion does something on its own
     * that a person should hear of (reconnected, repeating a call).  May
     * be NULL. */
    void        (*aviso)(const char *frase);
};

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

#define CONEXION_INTENTOS 3

/* The service's name in /etc/rpc (getrpcbyname); where the line is
 * missing, the contract's number INVENTARIO_PROG (541675094) is used. */
#define CONEXION_ALIAS "inventario.servicio"

struct conexion;

/* A conexion to o->host, not connected yet (no I/O happens here).  The
 * options are copied.  NULL if memory ran out. */
struct conexion *conexion_nueva(const struct conexion_opts *o);

/* Closes the connection, if any, and frees c.  c may be NULL. */
void conexion_liberar(struct conexion *c);

/* Connects now unless connected: RES_OK, or RES_SIN_SERVIDOR,
 * RES_TIEMPO_AGOTADO or RES_NO_OFRECIDO with the sentence set (with
 * several hosts, how the last one tried failed). */
enum resultado conexion_conectar(struct conexion *c);

/*
 * Calls procedure proc with *arg (encoded by xa) and decodes the answer into
 * *res (by xr), which the caller zeroed.  Connects first if needed, or if
 * the connection was found closed by the other end.  Procedures 6 to 9 need
 * protocol version 2: on a version 1 server they answer RES_NO_OFRECIDO
 * without sending anything.
 *
 * RES_OK: *res holds the answer; the caller frees it with xdr_free(xr, res).
 * Otherwise *res holds nothing to free, conexion_error says what happened,
 * and the outcome is RES_SIN_SERVIDOR, RES_TIEMPO_AGOTADO, RES_NO_OFRECIDO,
 * RES_INVALIDO (the server could not decode the arguments) or
 * RES_ERROR_INTERNO (any other RPC failure).
 */
enum resultado conexion_llamar(struct conexion *c, rpcproc_t proc,
                               enum llamada_tipo tipo, xdrproc_t xa, void *arg,
                               xdrproc_t xr, void *res);

/* The sentence of the last failure: "" when the last call or connection
 * succeeded, or failed only by the server's estado. */
const char *conexion_error(const struct conexion *c);

/* True if the last failed call was a write that was sent and got no answer:
 * it may or may not have been applied. */
bool conexion_incierta(const struct conexion *c);

/* The protocol version of the current connection: 1, 2, or 0 if none. */
unsigned conexion_version(const struct conexion *c);

/* The host in use, or the last one tried. */
const char *conexion_host(const struct conexion *c);
unsigned long conexion_programa(const struct conexion *c);

#endif
