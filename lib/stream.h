/* stream.h - the byte I/O under the library's CLIENT: a small vtable per connection.
 *
 * rpcclient.c speaks RFC 5531 record marking over a stream and never
 * touches a socket itself: plain TCP is stream_tcp below, and RPC-with-TLS
 * (RFC 9289) is another stream (a GnuTLS session over the same socket)
 * behind the same CLIENT.  Every operation is non-blocking: the CLIENT
 * polls the descriptor, with its one deadline for the whole call and its
 * cancel descriptor, and calls read or write again when it is ready.
 */
#ifndef INVENTARIO_LIB_STREAM_H
#define INVENTARIO_LIB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct stream_ops {
    /* As read(2) and write(2) on a non-blocking descriptor: the bytes
     * moved (read: 0 at the end of the stream), or -1 with errno, EAGAIN
     * when nothing can move now. */
    ssize_t (*read)(void *h, void *buf, size_t len);
    ssize_t (*write)(void *h, const void *buf, size_t len);
    /* Bytes already decrypted or buffered, that read returns without
     * waiting (a TLS record read whole): the CLIENT does not poll while
     * there are some.  NULL: never any. */
    size_t  (*pending)(void *h);
    /* The poll(2) events to wait for before the operation that just
     * failed with EAGAIN can go on: 'want' is POLLIN after a read and
     * POLLOUT after a write (TLS may need the other one).  NULL: want. */
    short   (*events)(void *h, short want);
    /* The descriptor to poll. */
    int     (*fd)(void *h);
    /* Ends the stream (for TLS, its close_notify too) and frees h, the
     * descriptor included. */
    void    (*close)(void *h);
};

struct stream {
    const struct stream_ops *ops;
    void                    *h;
};

/* Plain TCP over the connected socket fd, made non-blocking here; the
 * stream owns fd from now on (close closes it).  False, with errno, if
 * memory ran out or fcntl failed: fd is then still the caller's. */
bool stream_tcp(int fd, struct stream *out);

#endif
