/* tls_client.h - RPC-with-TLS on the client: the AUTH_TLS probe, then a TLS
 * stream on the same connected socket, for the RPC records to travel in.
 *
 * The order on a new connection: tls_probe (clear text: a NULL call with
 * an AUTH_TLS credential, answered "STARTTLS" by a server that can
 * upgrade), then tls_stream_open (the TLS 1.3 handshake, ALPN "sunrpc",
 * our certificate presented, the server's checked against the CA and the
 * host name asked for), then only tls_stream_read and tls_stream_write.
 * Nothing here falls back to clear text: every failure is reported, with a
 * Spanish sentence, and the caller closes the socket.
 *
 * A stream is used by one thread at a time; the credentials may be shared
 * by many streams on many threads, and outlive them.  Nothing here closes
 * the socket.
 */
#ifndef INVENTARIO_TLS_CLIENT_H
#define INVENTARIO_TLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tls_client_files {
    const char *cert;   /* our certificate (PEM) */
    const char *key;    /* its private key (PEM) */
    const char *ca;     /* the CA that signed the server's certificate (PEM) */
};

struct tls_client;

/* Loads the files.  NULL with a Spanish sentence in err if one is missing,
 * unreadable or not PEM, if the key does not match the certificate, or if
 * the CA file holds no certificate. */
struct tls_client *tls_client_new(const struct tls_client_files *f, char *err,
                                  size_t errlen);
void tls_client_free(struct tls_client *c);

/*
 * The AUTH_TLS probe on fd, a connected socket with nothing sent yet:
 * a NULL call to prog/vers, and its reply, within timeout_ms.
 * 1: the server answered STARTTLS, start the handshake now.
 * 0: the server answered, but does not offer TLS (err says how it answered).
 * -1: no answer (err says why: timeout, closed, not RPC).
 */
int tls_probe(int fd, uint32_t prog, uint32_t vers, int timeout_ms, char *err,
              size_t errlen);

struct tls_stream;

/*
 * The handshake on fd, made non-blocking here, within timeout_ms.  'host'
 * is the name (or address) asked for: the server's certificate must carry
 * it.  NULL with a Spanish sentence in err if the handshake fails, the
 * server's certificate does not verify or is for another name, or ALPN
 * "sunrpc" is not agreed.
 */
struct tls_stream *tls_stream_open(struct tls_client *c, int fd, const char *host,
                                   int timeout_ms, char *err, size_t errlen);

/* Reads up to len bytes, waiting at most timeout_ms (-1: no limit) for the
 * first.  > 0: bytes read; 0: the server ended the stream; -1 with errno
 * ETIMEDOUT, ECONNRESET or EPROTO (a broken TLS stream). */
ssize_t tls_stream_read(struct tls_stream *t, void *buf, size_t len, int timeout_ms);

/* Writes all len bytes within timeout_ms (-1: no limit).  len, or -1 with
 * errno ETIMEDOUT, EPIPE or EPROTO.  After -1 from either call the stream
 * is unusable: close it. */
ssize_t tls_stream_write(struct tls_stream *t, const void *buf, size_t len,
                         int timeout_ms);

/* Sends close_notify if the socket takes it at once, and frees the stream.
 * NULL is allowed. */
void tls_stream_close(struct tls_stream *t);

#endif
