/* rpcreg.c - listeners and rpcbind registration; see rpcreg.h. */
#include "rpcreg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netconfig.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rpc/rpcb_clnt.h>

#include "xdrproc.h"

const char *
rpcreg_netid(const char *addr)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, addr, &a4) == 1)
        return "tcp";
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return "tcp6";
    return NULL;
}

/* A bound, listening, non-blocking socket on addr:port, or -1 with err. */
static int
listen_socket(const char *addr, unsigned port, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = -1, one = 1, family;

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        family = s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr,
                         &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        family = s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        len = sizeof *s6;
    } else {
        snprintf(err, errlen, "'%s' no es una dirección IPv4 ni IPv6", addr);
        return -1;
    }
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    /* '::' means IPv6 only; '0.0.0.0' is given separately for IPv4. */
    if (family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        goto fail;
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0)
        goto fail;
    return fd;
fail:
    snprintf(err, errlen, "no se puede escuchar en %s puerto %u: %s", addr,
             port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int
rpcreg_listen(const char *addr, unsigned port, char *err, size_t errlen)
{
    return listen_socket(addr, port, err, errlen);
}

bool
rpcreg_set(int fd, rpcprog_t prog, const rpcvers_t *vers, size_t nvers,
           char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    struct netconfig *nconf = NULL;
    struct netbuf nb;
    const char *netid;
    bool ok = false;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        return false;
    }
    netid = ss.ss_family == AF_INET6 ? "tcp6" : "tcp";
    if ((nconf = getnetconfigent(netid)) == NULL) {
        snprintf(err, errlen, "netid %s desconocido en /etc/netconfig", netid);
        return false;
    }
    nb.buf = &ss;
    nb.len = nb.maxlen = len;
    for (size_t i = 0; i < nvers; i++) {
        if (!rpcb_set(prog, vers[i], nconf, &nb)) {
            snprintf(err, errlen, "rpcbind no aceptó el registro del programa "
                     "%lu versión %lu en %s (¿funciona rpcbind? ¿lo registró "
                     "otro proceso?)", (unsigned long)prog,
                     (unsigned long)vers[i], netid);
            goto out;
        }
    }
    ok = true;
out:
    freenetconfigent(nconf);
    return ok;
}

unsigned
rpcreg_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* A NULL call to prog/vers at one universal address from rpcbind. */
static bool
answers_at(rpcprog_t prog, rpcvers_t vers, const char *netid, const char *uaddr)
{
    struct netconfig *nconf = getnetconfigent(netid);
    struct timeval tv = { 2, 0 };
    struct netbuf *nb = NULL;
    CLIENT *clnt = NULL;
    bool live = false;

    if (nconf == NULL || (nb = uaddr2taddr(nconf, uaddr)) == NULL)
        goto out;
    if ((clnt = clnt_tli_create(RPC_ANYFD, nconf, nb, prog, vers, 0, 0)) == NULL)
        goto out;
    live = clnt_call(clnt, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void),
                     NULL, tv) == RPC_SUCCESS;
out:
    if (clnt != NULL)
        clnt_destroy(clnt);
    if (nb != NULL) {
        free(nb->buf);
        free(nb);
    }
    if (nconf != NULL)
        freenetconfigent(nconf);
    return live;
}

/*
 * Walks rpcbind's whole table (RPCBPROC_DUMP) rather than asking for one
 * address: libtirpc's lookup of an unregistered program (clnt_tp_create,
 * rpcb_getaddr) leaks a little on every miss, and a miss is the usual case.
 */
bool
rpcreg_live(rpcprog_t prog, rpcvers_t vers)
{
    struct netconfig *nconf = getnetconfigent("tcp");
    rpcblist_ptr head, e;
    bool live = false;

    if (nconf == NULL)
        return false;
    head = rpcb_getmaps(nconf, "127.0.0.1");
    for (e = head; e != NULL && !live; e = e->rpcb_next) {
        const rpcb *r = &e->rpcb_map;

        if (r->r_prog == prog && r->r_vers == vers && r->r_netid != NULL &&
            (strcmp(r->r_netid, "tcp") == 0 || strcmp(r->r_netid, "tcp6") == 0))
            live = answers_at(prog, vers, r->r_netid, r->r_addr);
    }
    xdr_free(XDRPROC(xdr_rpcblist_ptr), (char *)&head);
    freenetconfigent(nconf);
    return live;
}

void
rpcreg_unset(rpcprog_t prog, rpcvers_t vers)
{
    /* A NULL netconfig removes the entries of every netid. */
    (void)rpcb_unset(prog, vers, NULL);
}
