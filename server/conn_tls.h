/* conn_tls.h - RPC-with-TLS on a server connection: the switch after STARTTLS,
 * and the byte layer (conn_io) that moves its records through TLS.
 *
 * The transport answers the AUTH_TLS probe in clear text (svcx.c); once
 * that reply has left the connection's output buffer, the loop calls
 * conn_tls_begin, and from then on every byte of the connection goes
 * through TLS (tls.h): its recv steps the handshake until it completes,
 * then reads records; its send writes them.  The handshake counts as a call
 * in progress for --call-timeout (conn_tls_handshaking).  The client's
 * certificate name is the connection's identity (conn_tls_identity).
 *
 * Threads: conn_tls_begin, recv and the handshake run on the loop thread;
 * send runs under conn.mu, from a worker or the loop, never during the
 * handshake (no call runs then) and never at the same time as recv on the
 * same connection (calls on a connection run one at a time, and the loop
 * does not read while one does).
 */
#ifndef INVENTARIO_CONN_TLS_H
#define INVENTARIO_CONN_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

struct tls_server;

/* The server's TLS credentials, or NULL for none (TLS off).  Set once by
 * main before the loop starts; read-only after. */
void conn_tls_init(struct tls_server *srv);

/* True if TLS is configured: the probe is answered with STARTTLS. */
bool conn_tls_offered(void);

/* True if c already speaks TLS (or is in its handshake). */
bool conn_tls_active(const struct conn *c);

/* Loop thread, once the STARTTLS reply has been sent whole: c's byte layer
 * becomes TLS, the bytes already read past the probe (c->pend) are handed
 * to the session, and the handshake's clock starts (c->t_first_ms = now).
 * False if memory ran out: close the connection. */
bool conn_tls_begin(struct conn *c, uint64_t now_ms);

/* True while c's handshake has not completed. */
bool conn_tls_handshaking(const struct conn *c);

/* True if c's TLS session waits for the socket to be writable (a
 * handshake flight the socket did not take at once): the loop reads it
 * again on EPOLLOUT. */
bool conn_tls_wants_write(const struct conn *c);

/* The client's certificate name once the handshake completed, NULL on a
 * connection without TLS or before. */
const char *conn_tls_identity(const struct conn *c);

#endif
