/* stream.c - plain TCP as a stream; see stream.h. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct tcp {
    int fd;
};

static ssize_t
tcp_read(void *h, void *buf, size_t len)
{
    return read(((struct tcp *)h)->fd, buf, len);
}

static ssize_t
tcp_write(void *h, const void *buf, size_t len)
{
    /* MSG_NOSIGNAL: a peer that closed gives EPIPE, not SIGPIPE. */
    return send(((struct tcp *)h)->fd, buf, len, MSG_NOSIGNAL);
}

static int
tcp_fd(void *h)
{
    return ((struct tcp *)h)->fd;
}

static void
tcp_close(void *h)
{
    struct tcp *t = h;

    (void)close(t->fd);
    free(t);
}

static const struct stream_ops tcp_ops = {
    .read = tcp_read, .write = tcp_write, .pending = NULL, .events = NULL,
    .fd = tcp_fd, .close = tcp_close,
};

bool
stream_tcp(int fd, struct stream *out)
{
    struct tcp *t;
    int fl;

    if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return false;
    if ((t = malloc(sizeof *t)) == NULL) {
        errno = ENOMEM;
        return false;
    }
    t->fd = fd;
    out->ops = &tcp_ops;
    out->h = t;
    return true;
}
