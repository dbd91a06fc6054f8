/* tls_server.h - RPC-with-TLS on the server: its credentials, and one TLS session
 * per connection on a non-blocking socket that an event loop drives.
 *
 * The transport answers the AUTH_TLS probe (tls.h) in clear text;
 * once that reply is fully sent it creates a session on the connection and
 * steps the handshake each time the socket is ready, then moves every
 * record through tls_session_read and tls_session_write.  Only TLS 1.3,
 * ALPN "sunrpc" required, and the client must present a certificate that
 * the CA signed, that has not expired and that the CRL does not revoke; its
 * name (tls_session_identity) is who calls from then on.
 *
 * A session is used by one thread at a time (the loop's); the credentials
 * are shared read-only by all sessions and outlive them.  Nothing here
 * closes the socket: the transport owns it.
 */
#ifndef INVENTARIO_TLS_SERVER_H
#define INVENTARIO_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The longest identity kept; a longer name is refused. */
#define TLS_IDENTITY_MAX 64

struct tls_files {
    const char *cert;   /* the server's certificate chain (PEM) */
    const char *key;    /* its private key (PEM) */
    const char *ca;     /* the CA(s) that sign client certificates (PEM) */
    const char *crl;    /* revoked client certificates (PEM), or NULL */
};

struct tls_server;

/* Loads the files.  NULL with a Spanish sentence in err if one is missing,
 * unreadable, not PEM, if the key does not match the certificate, or if the
 * CA file holds no certificate. */
struct tls_server *tls_server_new(const struct tls_files *f, char *err,
                                  size_t errlen);
void tls_server_free(struct tls_server *srv);

struct tls_session;

/*
 * A server session on fd (non-blocking, connected).  'peer' names the
 * client in log lines (its address, also the throttling key).  'preread' holds n bytes the transport
 * already took from the socket after the probe's call, which belong to the
 * TLS stream (a client that did not wait for the reply); they are read
 * before the socket.  NULL if out of memory.
 */
struct tls_session *tls_session_new(struct tls_server *srv, int fd,
                                    const char *peer, const void *preread,
                                    size_t n);

enum tls_step {
    TLS_STEP_DONE,      /* handshake complete: records may flow */
    TLS_STEP_READ,      /* call again when the socket is readable */
    TLS_STEP_WRITE,     /* call again when the socket is writable */
    TLS_STEP_FAILED     /* refused or broken: close the connection */
};

/*
 * Advances the handshake as far as the socket allows.  On TLS_STEP_FAILED
 * one line says why (log_limitado: throttled per address and reason), and
 * a TLS alert has been sent where one applies.  The transport's call deadline bounds how long a
 * handshake may take; this module keeps no clock.
 */
enum tls_step tls_session_handshake(struct tls_session *s);

/*
 * After the handshake.  tls_session_read returns the bytes read (> 0), 0 at
 * the end of the stream (close_notify, or the peer closed the socket), or
 * -1 with errno EAGAIN (wait as tls_session_wants_write says) or another
 * errno (EPROTO: the stream is broken; close it).
 *
 * tls_session_write sends one TLS record from the start of buf (at most
 * 16 KiB) and returns how many bytes of buf it carries; or -1 with errno
 * EAGAIN when the socket is full, or another errno.  After EAGAIN the next
 * call must pass the same bytes again (they are already encrypted and
 * queued; the call only flushes them).
 */
ssize_t tls_session_read(struct tls_session *s, void *buf, size_t len);
ssize_t tls_session_write(struct tls_session *s, const void *buf, size_t len);

/* True if decrypted bytes are waiting inside the session: read them now,
 * since the socket may never become readable again for them. */
bool tls_session_pending(const struct tls_session *s);

/* After EAGAIN or TLS_STEP_*: true if the session waits for the socket to
 * be writable rather than readable. */
bool tls_session_wants_write(const struct tls_session *s);

/* The client's identity once the handshake is done: the first DNS or URI
 * subject alternative name of its certificate, else its CN; printable
 * ASCII, at most TLS_IDENTITY_MAX bytes.  "" before. */
const char *tls_session_identity(const struct tls_session *s);

/* Sends close_notify if the socket takes it at once, and frees the session.
 * NULL is allowed. */
void tls_session_free(struct tls_session *s);

#endif
