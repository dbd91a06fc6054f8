/* conn.c - connection state, references and the output buffer; see conn.h. */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t
tcp_recv(struct conn *c, void *buf, size_t len)
{
    return recv(c->fd, buf, len, 0);
}

/* write(2) rather than send(MSG_NOSIGNAL): the server ignores SIGPIPE
 * (main.c), and the replies then go out through the same system call as
 * every other write, which fault-injection tests (strace inject=write)
 * rely on. */
static ssize_t
tcp_send(struct conn *c, const void *buf, size_t len)
{
    return write(c->fd, buf, len);
}

static void
tcp_close(struct conn *c)
{
    close(c->fd);
}

const struct conn_io conn_io_tcp = { tcp_recv, tcp_send, tcp_close };

struct conn *
conn_new(int fd, const struct sockaddr *peer, socklen_t len, uint32_t rec_max,
         uint64_t now_ms)
{
    struct conn *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->fd = fd;
    c->io = &conn_io_tcp;
    if (len > sizeof c->peer)
        len = sizeof c->peer;
    memcpy(&c->peer, peer, len);
    c->peerlen = len;
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)peer;

        c->addr16[10] = c->addr16[11] = 0xFF;
        memcpy(c->addr16 + 12, &s4->sin_addr, 4);
        inet_ntop(AF_INET, &s4->sin_addr, c->addr, sizeof c->addr);
    } else if (peer->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)peer;

        memcpy(c->addr16, &s6->sin6_addr, 16);
        inet_ntop(AF_INET6, &s6->sin6_addr, c->addr, sizeof c->addr);
    } else {
        snprintf(c->addr, sizeof c->addr, "?");
    }
    recmark_init(&c->rm, rec_max);
    pthread_mutex_init(&c->mu, NULL);
    c->refs = 1;
    c->t_active_ms = now_ms;
    return c;
}

void
conn_ref(struct conn *c)
{
    pthread_mutex_lock(&c->mu);
    c->refs++;
    pthread_mutex_unlock(&c->mu);
}

void
conn_unref(struct conn *c)
{
    unsigned left;

    pthread_mutex_lock(&c->mu);
    left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left > 0)
        return;
    c->io->close(c);
    recmark_free(&c->rm);
    free(c->pend);
    free(c->out);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Sends out[out_off..out_len) until done or the socket is full; mu held.
 * Frees the buffer once empty, so an idle connection holds none. */
static int
flush_locked(struct conn *c, uint64_t now_ms)
{
    while (c->out_off < c->out_len) {
        ssize_t n = c->io->send(c, c->out + c->out_off, c->out_len - c->out_off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->out_off += (size_t)n;
        c->t_out_ms = now_ms;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = c->out_cap = 0;
    return 0;
}

bool
conn_send(struct conn *c, const char *buf, size_t len, uint64_t now_ms)
{
    bool ok = true;
    size_t sent = 0;

    pthread_mutex_lock(&c->mu);
    if (c->dead)
        goto out;
    if (c->out_len == c->out_off) {
        while (sent < len) {
            ssize_t n = c->io->send(c, buf + sent, len - sent);

            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    ok = false;
                break;
            }
            sent += (size_t)n;
        }
        if (!ok || sent == len)
            goto out;
        c->t_out_ms = now_ms;       /* the clock for --send-timeout starts */
    }
    /* Keep the rest, after whatever is already waiting: the buffer grows
     * geometrically, and what was sent is dropped from its front first. */
    {
        size_t keep = c->out_len - c->out_off, more = len - sent;

        if (c->out_off > 0 && keep > 0)
            memmove(c->out, c->out + c->out_off, keep);
        c->out_off = 0;
        c->out_len = keep;
        if (keep + more > c->out_cap) {
            size_t cap = c->out_cap ? c->out_cap : 4096;
            char *nb;

            while (cap < keep + more)
                cap *= 2;
            if ((nb = realloc(c->out, cap)) == NULL) {
                ok = false;
                goto out;
            }
            c->out = nb;
            c->out_cap = cap;
        }
        memcpy(c->out + keep, buf + sent, more);
        c->out_len = keep + more;
    }
out:
    pthread_mutex_unlock(&c->mu);
    return ok;
}

ssize_t
conn_flush(struct conn *c, uint64_t now_ms)
{
    ssize_t left;

    pthread_mutex_lock(&c->mu);
    if (c->dead || flush_locked(c, now_ms) < 0)
        left = -1;
    else
        left = (ssize_t)(c->out_len - c->out_off);
    pthread_mutex_unlock(&c->mu);
    return left;
}

size_t
conn_pending(struct conn *c)
{
    size_t n;

    pthread_mutex_lock(&c->mu);
    n = c->out_len - c->out_off;
    pthread_mutex_unlock(&c->mu);
    return n;
}
