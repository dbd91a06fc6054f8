/* destino.h - where the server under test is, and a conexion to it for each client.
 *
 * Each client (thread or process) owns one conexion (lib/conexion.h): its
 * own TCP connection, never shared, so no lock is needed.  The tool's
 * conexiones never repeat a call on their own (opts.sin_repetir): every
 * call counted is one call sent, and where a retry is safe the tool's
 * checks decide it.
 */
#ifndef STRESS_DESTINO_H
#define STRESS_DESTINO_H

#include <rpc/types.h>

#include "conexion.h"
#include "operaciones.h"

/* Where the server is; fixed for the whole run. */
struct destino {
    const char   *host;
    unsigned long programa;
    double        plazo_s;    /* per call, and to connect */
    /* --tls: every connection RPC-with-TLS (conexion_opts.tls); NULL:
     * clear text.  Loaded once, shared by every client. */
    struct tls_client *tls;     /* freed by main at the end */
};

/* A conexion to d, not connected yet; NULL if memory ran out (said on
 * stderr). */
struct conexion *destino_conexion(const struct destino *d);

#endif
