/* conn.h - one client connection: its bytes in and out, shared by the loop and the workers.
 *
 * The event loop (loop.c) owns a connection's reading side: the record
 * reader, the bytes read past a record, its timers and its place in the
 * table.  A worker running the connection's call owns that call only, and
 * reaches the connection through conn_send (the reply) and conn_call_done.
 * What both sides touch is guarded by the connection's mutex 'mu' (see the
 * struct); 'mu' is held only for a few instructions and a non-blocking
 * send, never across a call, and no other lock is taken under it but the
 * loop's ready-list lock (conn_call_done), always in that order.
 *
 * The socket's bytes go through 'io' (conn_io), and only there: plain
 * recv/send today; a TLS layer replaces the vtable with its own that reads
 * and writes records of its own over the same fd.
 *
 * Lifetime: a reference count.  The loop's table holds one while the
 * connection is open, a call holds one until conn_call_done, the loop's
 * ready list holds one while the connection waits there.  The last
 * conn_unref closes the socket and frees everything, so no thread ever
 * writes to an fd that was closed and reused.
 */
#ifndef INVENTARIO_CONN_H
#define INVENTARIO_CONN_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "recmark.h"

struct conn;

/* The byte layer.  recv and send behave as recv(2) and send(2) on a
 * non-blocking socket (a count, 0 for end of stream on recv, or -1 with
 * errno, EAGAIN when it would block); close releases the fd and whatever
 * the layer holds.  Called by one thread at a time for each direction:
 * recv by the loop, send under conn.mu. */
struct conn_io {
    ssize_t (*recv)(struct conn *c, void *buf, size_t len);
    ssize_t (*send)(struct conn *c, const void *buf, size_t len);
    void    (*close)(struct conn *c);
};

/* Plain TCP (SIGPIPE must be ignored: a reply to a closed peer is EPIPE). */
extern const struct conn_io conn_io_tcp;

struct conn {
    int                   fd;
    const struct conn_io *io;
    void                 *io_ctx;       /* the byte layer's own state */
    struct sockaddr_in6   peer;         /* or a sockaddr_in: see peerlen */
    socklen_t             peerlen;
    uint8_t               addr16[16];   /* the peer's address, IPv4 mapped */
    char                  addr[46];     /* the same, as text for logs */

    /* loop only */
    struct recmark        rm;
    char                 *pend;         /* bytes read past the last record */
    size_t                pend_len, pend_off;
    uint64_t              t_first_ms;   /* first byte of the record in progress */
    uint32_t              slot;         /* index in the loop's table */
    bool                  hup;          /* epoll saw the peer close or fail */
    struct conn          *grave_next;   /* closed in this epoll batch */

    pthread_mutex_t       mu;
    /* guarded by mu */
    unsigned              refs;
    bool                  dead;         /* closed by the loop: send nothing */
    bool                  in_call;      /* a call of it is running or deferred */
    bool                  can_read;     /* the loop left bytes unread in the socket */
    bool                  has_pend;     /* pend holds bytes (set by the loop) */
    bool                  queued;       /* on the loop's ready list */
    bool                  want_close;   /* a call asked for it to be closed */
    bool                  tls_start;    /* the AUTH_TLS probe was answered: turn
                                           to TLS once out is empty (conn_tls.h) */
    char                 *out;          /* unsent reply bytes: out[out_off..out_len) */
    size_t                out_len, out_off, out_cap;
    uint64_t              t_active_ms;  /* last complete call or reply */
    uint64_t              t_out_ms;     /* last write progress while out held bytes */
    struct conn          *ready_next;   /* (the ready list's lock) */
};

/* A new connection on an accepted non-blocking fd, one reference held (the
 * table's).  NULL if out of memory (the fd is then left to the caller). */
struct conn *conn_new(int fd, const struct sockaddr *peer, socklen_t len,
                      uint32_t rec_max, uint64_t now_ms);

void conn_ref(struct conn *c);

/* Drops a reference; the last one closes and frees. */
void conn_unref(struct conn *c);

/*
 * Queues a reply record (bytes already framed) for the peer.  If nothing
 * else is waiting to go, sends what the socket takes at once, on the
 * calling thread, without blocking, and keeps only the rest.  Dropped if
 * the connection is dead.  Returns false if a send failed for good (the
 * loop then finds the connection dead on its next read) or memory ran out.
 */
bool conn_send(struct conn *c, const char *buf, size_t len, uint64_t now_ms);

/* Writes what it can of the pending output (the loop, on EPOLLOUT).
 * Returns the bytes still pending, or -1 if the connection failed. */
ssize_t conn_flush(struct conn *c, uint64_t now_ms);

/* Bytes of reply not yet sent. */
size_t conn_pending(struct conn *c);

#endif
