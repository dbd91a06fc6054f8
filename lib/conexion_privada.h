/* conexion_privada.h - the inside of a conexion, shared by the library's own files only.
 *
 * conexion.c owns the struct and the host list (connecting, failing
 * over); descubrir.c finds and opens the service on one host (rpcbind,
 * then the server); llamada.c runs one call and decides on repeating it.
 * Nothing outside lib/ includes this header.
 */
#ifndef INVENTARIO_LIB_CONEXION_PRIVADA_H
#define INVENTARIO_LIB_CONEXION_PRIVADA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rpc/rpc.h>

#include "conexion.h"

struct conexion {
    char     **hosts;           /* the list, in the order given */
    size_t     nhosts;
    size_t     actual;          /* index of the host in use or last tried */
    size_t     bueno;           /* of the last good connection; nhosts: none */
    bool       saltar;          /* a call failed on 'actual': start past it */
    const char *host;           /* hosts[actual] */
    rpcprog_t  prog;
    unsigned   espera_ms;
    void     (*aviso)(const char *frase);
    bool       sin_repetir;
    const struct tls_client *tls;  /* see conexion_opts.tls */
    int        cancelar_fd;     /* see conexion_cancelable; -1: none */
    CLIENT    *clnt;            /* NULL while not connected */
    rpcvers_t  vers;            /* of clnt; 0 when there is none */
    uint64_t   aperturas;       /* successful connections */
    int64_t    ultima_ms;       /* when the last call ended (reloj_ms) */
    bool       perdida;         /* a failure since the last good connection */
    bool       incierta;        /* see conexion_incierta */
    char       error[768];
};

/* Keeps the sentence of the last failure / adds to it (cut where full). */
void conexion_fallo(struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conexion_fallo_mas(struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Passes a sentence to the caller's aviso, if any. */
void conexion_avisar(const struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "5 s", "1,5 s": a time in ms as a person reads it, into buf. */
const char *conexion_segundos(char *buf, size_t len, unsigned ms);

/* The descriptors every wait of c watches to give up (conexion_cancelable,
 * and the interruptor): -1 where there is none. */
void conexion_cancelar_fds(const struct conexion *c, int fds[2]);

/* Connected, on a connection that is still open, or why not (the
 * sentence set).  A connection the server closed while idle is replaced
 * without a word. */
enum resultado conexion_preparar(struct conexion *c);

/* A new connection to c->host (rpcbind, then the server at the highest
 * version both speak): sets c->clnt and c->vers, or the sentence. */
enum resultado descubrir_host(struct conexion *c);

/* With TLS (c->tls): the probe, the handshake and a NULL call over a new
 * connection fd to the server, at version vers; sets c->clnt and c->vers.
 * Takes fd (closed on failure).  Returns the clnt_stat of the step that
 * failed, *err its errno, *alta the highest version on PROG_MISMATCH;
 * RPC_AUTHERROR means TLS itself failed, with the sentence already set
 * (conexion_tls.c). */
enum clnt_stat conexion_tls_abrir(struct conexion *c, int fd, rpcvers_t vers,
                                  int *err, rpcvers_t *alta);

/* Destroys a CLIENT and the credentials it carries. */
void descubrir_destruir(CLIENT *cl);

#endif
