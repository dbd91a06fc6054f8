/* tls_eco.c - drives the server's TLS sessions (server/tls_server.c) the way the
 * transport does, for tests with an independent TLS peer (test_sesiones.py).
 *
 *   tls_eco CERT KEY CA [CRL]
 *
 * Listens on 127.0.0.1, prints "puerto N", and serves each connection with
 * one non-blocking poll loop: it reads the 8 clear-text bytes "STARTTLS"
 * (standing in for the AUTH_TLS probe), hands whatever came after them to
 * the session as bytes already read, steps the handshake on readiness,
 * sends "identidad NAME\n" and then echoes every byte back inside TLS.
 * The log (rejections) goes to stderr.  Ends when stdin closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "tls_server.h"

#define MAXCONN 128
#define OUTCAP  65536

enum estado { PREFIJO, SALUDO, ABIERTA };

struct conn {
    int                 fd;
    enum estado         st;
    unsigned char       pre[4096];
    size_t              npre;
    struct tls_session *s;
    char                peer[64];
    unsigned char       out[OUTCAP];
    size_t              nout;
    bool                want_write;
};

static struct conn conns[MAXCONN];
static struct tls_server *srv;

static void
cerrar(struct conn *c)
{
    tls_session_free(c->s);
    close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Sends what is queued; false if the connection broke. */
static bool
vaciar(struct conn *c)
{
    while (c->nout > 0) {
        ssize_t r = tls_session_write(c->s, c->out, c->nout);

        if (r < 0 && errno == EAGAIN) {
            c->want_write = true;
            return true;
        }
        if (r < 0)
            return false;
        memmove(c->out, c->out + r, c->nout - (size_t)r);
        c->nout -= (size_t)r;
    }
    c->want_write = false;
    return true;
}

static bool
saludo(struct conn *c)
{
    enum tls_step st = tls_session_handshake(c->s);
    int n;

    if (st == TLS_STEP_FAILED)
        return false;
    if (st != TLS_STEP_DONE) {
        c->want_write = st == TLS_STEP_WRITE;
        return true;
    }
    c->st = ABIERTA;
    n = snprintf((char *)c->out, OUTCAP, "identidad %s\n", tls_session_identity(c->s));
    c->nout = (size_t)n;
    return vaciar(c);
}

/* Reads and echoes while the socket and the session have bytes, as long as
 * there is room to queue the echo (the back-pressure of the transport). */
static bool
eco(struct conn *c)
{
    if (!vaciar(c))
        return false;
    while (c->nout < OUTCAP && !c->want_write) {
        ssize_t r = tls_session_read(c->s, c->out + c->nout, OUTCAP - c->nout);

        if (r == 0)
            return false;
        if (r < 0) {
            if (errno != EAGAIN)
                return false;
            c->want_write = tls_session_wants_write(c->s);
            return true;
        }
        c->nout += (size_t)r;
        if (!vaciar(c))
            return false;
    }
    return true;
}

static bool
prefijo(struct conn *c)
{
    ssize_t r = recv(c->fd, c->pre + c->npre, sizeof c->pre - c->npre, 0);

    if (r < 0)
        return errno == EAGAIN;
    if (r == 0)
        return false;
    c->npre += (size_t)r;
    if (c->npre < 8)
        return true;
    if (memcmp(c->pre, "STARTTLS", 8) != 0)
        return false;
    c->s = tls_session_new(srv, c->fd, c->peer, c->pre + 8, c->npre - 8);
    if (c->s == NULL)
        return false;
    c->st = SALUDO;
    return saludo(c);
}

static void
servir(struct conn *c)
{
    bool ok;

    switch (c->st) {
    case PREFIJO:
        ok = prefijo(c);
        break;
    case SALUDO:
        ok = saludo(c);
        if (ok && c->st == ABIERTA)
            ok = eco(c);
        break;
    default:
        ok = eco(c);
        break;
    }
    if (!ok)
        cerrar(c);
}

static void
aceptar(int lfd)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = accept4(lfd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    char ip[INET_ADDRSTRLEN];

    if (fd < 0)
        return;
    for (size_t i = 0; i < MAXCONN; i++)
        if (conns[i].fd < 0) {
            conns[i].fd = fd;
            inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
            snprintf(conns[i].peer, sizeof conns[i].peer, "%s", ip);
            return;
        }
    close(fd);
}

int
main(int argc, char **argv)
{
    struct tls_files f;
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    char err[512];
    int lfd;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "uso: tls_eco CERT KEY CA [CRL]\n");
        return 2;
    }
    log_init(true);
    f = (struct tls_files){ argv[1], argv[2], argv[3], argc == 5 ? argv[4] : NULL };
    if ((srv = tls_server_new(&f, err, sizeof err)) == NULL) {
        fprintf(stderr, "tls_eco: %s\n", err);
        return 1;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(lfd, 128) < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
        perror("tls_eco");
        return 1;
    }
    printf("puerto %u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (size_t i = 0; i < MAXCONN; i++)
        conns[i].fd = -1;
    for (;;) {
        struct pollfd p[MAXCONN + 2];
        struct conn *who[MAXCONN + 2];
        nfds_t n = 0;

        p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
        p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        for (size_t i = 0; i < MAXCONN; i++) {
            if (conns[i].fd < 0)
                continue;
            who[n] = &conns[i];
            p[n++] = (struct pollfd){ .fd = conns[i].fd,
                .events = conns[i].want_write ? POLLOUT : POLLIN };
        }
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("poll");
            return 1;
        }
        if (p[0].revents) {
            char b[64];

            if (read(STDIN_FILENO, b, sizeof b) <= 0)
                break;
        }
        if (p[1].revents & POLLIN)
            aceptar(lfd);
        for (nfds_t i = 2; i < n; i++) {
            if (!p[i].revents)
                continue;
            servir(who[i]);
            /* Bytes GnuTLS already decrypted will not wake poll again. */
            while (who[i]->fd >= 0 && who[i]->st == ABIERTA &&
                   !who[i]->want_write && who[i]->nout < OUTCAP &&
                   tls_session_pending(who[i]->s))
                servir(who[i]);
        }
    }
    for (size_t i = 0; i < MAXCONN; i++)
        if (conns[i].fd >= 0)
            cerrar(&conns[i]);
    tls_server_free(srv);
    close(lfd);
    return 0;
}
