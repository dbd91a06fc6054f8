/* conexion.h - finding the inventory service, connecting, failing over, reconnecting.
 *
 * A conexion is one TCP connection to the service on one host of a list,
 * made on demand.  Several hosts are several servers that share one
 * inventory (a PostgreSQL database): a new connection tries them in
 * order, from the one in use, and takes the first that answers; after a
 * call failed on one (its connection lost, or no answer in time) the next
 * connection starts at the following host, so that a dead or hung server
 * costs one timeout, not one per call.  Taking another host than the one
 * of the last connection is announced (opts.aviso), at connect time too.
 *
 * The program number comes from the alias "inventario.servicio" in
 * /etc/rpc (getrpcbyname), or is the contract's 541675094 where that line
 * is missing, unless the caller gives one.  Each new connection asks the
 * host's rpcbind for the port (TCP, over IPv6 when the host is an IPv6
 * address), so a server restarted on a new port is found again, and
 * speaks the highest protocol version the server offers (3, 2 or 1).
 *
 * Every wait is bounded by the caller's timeout: the host name's lookup
 * (resolver.h), reaching rpcbind, the rpcbind query, the connect, and each
 * call as a whole, however its reply trickles in.  A call that finds its
 * connection closed by the server while idle (its idle timeout, a
 * restart) reconnects without a word; one that loses it, or times out,
 * drops it, and the next call connects afresh.  Every failure becomes an
 * outcome (resultado.h) and one Spanish sentence, kept for conexion_error,
 * that names the host and says what to check.
 *
 * With TLS (opts.tls), each new connection first sends the AUTH_TLS probe,
 * then makes the TLS handshake (RFC 9289), and only then its calls.
 *
 * The procedures themselves are in operaciones.h.  Not thread-safe: one
 * thread owns a conexion (threads or processes that call at once each
 * have their own).
 */
#ifndef INVENTARIO_LIB_CONEXION_H
#define INVENTARIO_LIB_CONEXION_H

#include <stdbool.h>
#include <stdint.h>

#include "resultado.h"

struct conexion_opts {
    const char   *host;         /* a name or an IPv4/IPv6 address, or
                                   several separated by commas */
    unsigned long programa;     /* 0: the alias, or the contract's number */
    unsigned      espera_ms;    /* the bound on every wait, > 0 */
    /* Called with a sentence when the conexion does something on its own
     * that a person should hear of (took another host, repeating a call
     * that was lost).  May be NULL. */
    void        (*aviso)(const char *frase);
    /* Never repeat a call, whatever its kind: each call is sent once (the
     * stress tool counts calls, and decides on retries itself). */
    bool          sin_repetir;
    /* RPC-with-TLS (tls_ajustes.h): with credentials, every connection
     * asks for TLS and makes its calls inside it, and one that cannot is a
     * failure (RES_SIN_TLS), never clear text.  NULL: clear text.  Must
     * outlive the conexion; may be shared by several. */
    const struct tls_client *tls;
};

/* How many times, in all, a write with an idempotency key is sent. */
#define CONEXION_INTENTOS 3

/* The service's name in /etc/rpc (getrpcbyname); where the line is
 * missing, the contract's number INVENTARIO_PROG (541675094) is used. */
#define CONEXION_ALIAS "inventario.servicio"

struct conexion;
struct tls_client;

/* The program number the alias gives, or the contract's.  getrpcbyname
 * is not thread-safe: call it before starting threads. */
unsigned long conexion_programa_defecto(void);

/* A conexion to o->host, not connected yet (no I/O happens here).  The
 * options are copied.  NULL if memory ran out or the list has no host. */
struct conexion *conexion_nueva(const struct conexion_opts *o);

/* Closes the connection, if any, and frees c.  c may be NULL. */
void conexion_liberar(struct conexion *c);

/* Connects now unless connected: RES_OK, or RES_SIN_SERVIDOR,
 * RES_TIEMPO_AGOTADO, RES_NO_OFRECIDO or RES_CANCELADO with the sentence
 * set (with several hosts, how the last one tried failed). */
enum resultado conexion_conectar(struct conexion *c);

/* Drops the connection now, if any (the next call connects again); c
 * stays usable. */
void conexion_cerrar(struct conexion *c);

/*
 * The cancel hook: from now on every wait of c (connecting, each call)
 * also watches fd, and gives up as soon as it is readable, within
 * milliseconds, with RES_CANCELADO (the connection is then dropped: a
 * reply may still be on its way, and the next call connects again without
 * a word).  For stdin, to stop a watch on Enter.  -1 removes the hook.
 * Ctrl-C does not need it: every wait also watches the interruptor
 * (interruptor.h), which the program's SIGINT handler fires.
 */
void conexion_cancelable(struct conexion *c, int fd);

/* The sentence of the last failure: "" when the last call or connection
 * succeeded, or failed only by the server's estado. */
const char *conexion_error(const struct conexion *c);

/* True if the last failed call was a write that was sent and got no answer:
 * it may or may not have been applied. */
bool conexion_incierta(const struct conexion *c);

/* The protocol version of the current connection: 1, 2, 3, or 0 if none. */
unsigned conexion_version(const struct conexion *c);

/* The host in use, or the last one tried. */
const char *conexion_host(const struct conexion *c);
unsigned long conexion_programa(const struct conexion *c);
unsigned conexion_espera_ms(const struct conexion *c);

/* Connections c made successfully, the first included. */
uint64_t conexion_aperturas(const struct conexion *c);

/* Connections of this process open now, all conexiones together (a leak
 * check for the programs' exit). */
unsigned conexion_abiertas(void);

#endif
