/* tls_client.h - RPC-with-TLS on the client: the AUTH_TLS probe, then a TLS
 * stream on the same connected socket, for the RPC records to travel in.
 *
 * The order on a new connection: tls_client_probe (clear text: a NULL call with
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

/* What the AUTH_TLS probe found (tls_client_probe). */
enum {
    TLS_CLIENT_PROBE_ERROR    = -1,    /* no answer: timeout, closed, not RPC */
    TLS_CLIENT_PROBE_NO_TLS   = 0,     /* answered, but the server offers no TLS */
    TLS_CLIENT_PROBE_STARTTLS = 1,     /* answered STARTTLS: start the handshake */
    TLS_CLIENT_PROBE_MISMATCH = 2      /* the server lacks that version: *high */
};

/*
 * The AUTH_TLS probe on fd, a connected socket with nothing sent yet: a
 * NULL call to prog/vers, and its reply, within timeout_ms; one of the
 * TLS_CLIENT_PROBE_* above.  Reads nothing past the reply.  Except for STARTTLS,
 * err says what the server answered or why there was no answer.
 */
int tls_client_probe(int fd, uint32_t prog, uint32_t vers, int timeout_ms, uint32_t *high,
              char *err, size_t errlen);

struct tls_stream;

/*
 * The handshake on fd, made non-blocking here, within timeout_ms.  'host'
 * is the name (or address) asked for: the server's certificate must carry
 * it.  NULL with a Spanish sentence in err if the handshake fails, the
 * server's certificate does not verify or is for another name, or ALPN
 * "sunrpc" is not agreed.
 */
struct tls_stream *tls_stream_open(const struct tls_client *c, int fd, const char *host,
                                   int timeout_ms, char *err, size_t errlen);

/*
 * Non-blocking, for a CLIENT that polls the socket itself (lib/stream.h):
 * as read(2) and write(2) on a non-blocking descriptor, 0 from recv at the
 * end of the stream, -1 with errno EAGAIN when the socket must be waited
 * for, in the direction tls_stream_events gives (POLLIN or POLLOUT: TLS may
 * need to write to read, or the reverse), or another errno (EPROTO,
 * ECONNRESET, EPIPE; tls_stream_error says why).  send moves at most one
 * record (16 KiB); after EAGAIN it must be given the same bytes again.
 * tls_stream_pending: bytes already decrypted, that recv returns at once
 * (poll would not see them).
 */
ssize_t tls_stream_recv(struct tls_stream *t, void *buf, size_t len);
ssize_t tls_stream_send(struct tls_stream *t, const void *buf, size_t len);
size_t tls_stream_pending(const struct tls_stream *t);
short tls_stream_events(const struct tls_stream *t);
int tls_stream_fd(const struct tls_stream *t);

/* Reads up to len bytes, waiting at most timeout_ms (-1: no limit) for the
 * first.  > 0: bytes read; 0: the server ended the stream; -1 with errno
 * ETIMEDOUT, ECONNRESET or EPROTO (a broken TLS stream). */
ssize_t tls_stream_read(struct tls_stream *t, void *buf, size_t len, int timeout_ms);

/* Writes all len bytes within timeout_ms (-1: no limit).  len, or -1 with
 * errno ETIMEDOUT, EPIPE or EPROTO.  After -1 from either call the stream
 * is unusable: close it. */
ssize_t tls_stream_write(struct tls_stream *t, const void *buf, size_t len,
                         int timeout_ms);

/* Why the last read or write failed, in Spanish (e.g. the server's alert
 * "el otro extremo lo rechaza: nuestro certificado está revocado", which
 * TLS 1.3 delivers on the first read after the handshake); "" if none. */
const char *tls_stream_error(const struct tls_stream *t);

/* Sends close_notify if the socket takes it at once, and frees the stream.
 * NULL is allowed. */
void tls_stream_close(struct tls_stream *t);

#endif
