/* descubrir.c - finding and opening the service on one host: rpcbind, then the server. */
#include "conexion_privada.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpcb_prot.h>

#include "inventario.h"
#include "reloj.h"
#include "resolver.h"
#include "rpcclient.h"
#include "xdr_cadena.h"
#include "xdrproc.h"

#define RPCBIND_PUERTO "111"

/* The highest protocol version this library speaks. */
#define VERSION_MAX INVENTARIO_V3

static struct timeval
plazo(const struct conexion *c)
{
    return (struct timeval){ .tv_sec = (time_t)(c->espera_ms / 1000),
                             .tv_usec = (suseconds_t)(c->espera_ms % 1000) * 1000 };
}

void
descubrir_destruir(CLIENT *cl)
{
    if (cl->cl_auth != NULL)
        auth_destroy(cl->cl_auth);
    clnt_destroy(cl);
}

/* -- finding the service: rpcbind, then the server ---------------------------
 *
 * Done by hand rather than with clnt_create_timed, for three reasons: its
 * connects wait as long as the kernel does (minutes, for a host that drops
 * packets), so a timeout would not bound them; it cannot tell "rpcbind is
 * not there" from "the service is not registered" from "registered, but
 * nobody listens"; and on a failed lookup libtirpc 1.3 leaks what it
 * decoded.  Each step here waits at most the timeout, the host name's
 * lookup included.
 */

/* Where rpcbind answered: the host's address, and a connection to it. */
struct rpcbind {
    struct sockaddr_storage dir;
    socklen_t               len;
    int                     fd;
};

/* A TCP connection to sa made within ms, blocking again, or -1 with errno
 * (ETIMEDOUT when the time ran out, ECANCELED when one of the cancel
 * descriptors became readable first). */
static int
conectar_tcp(const struct sockaddr *sa, socklen_t len, unsigned ms,
             const int cancelar[2])
{
    int64_t fin = reloj_ms() + ms;
    socklen_t elen = sizeof(int);
    int fd, fl, err = 0, n;
    struct pollfd p[3];

    if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, sa, len) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
            goto out;
        }
        do {
            int64_t queda = fin - reloj_ms();

            p[0] = (struct pollfd){ .fd = fd, .events = POLLOUT };
            p[1] = (struct pollfd){ .fd = cancelar[0], .events = POLLIN };
            p[2] = (struct pollfd){ .fd = cancelar[1], .events = POLLIN };
            n = queda > 0 ? poll(p, 3, (int)queda) : 0;
        } while (n < 0 && errno == EINTR);
        if (n == 0)
            err = ETIMEDOUT;
        else if (n > 0 && (p[1].revents != 0 || p[2].revents != 0))
            err = ECANCELED;
        else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
            err = errno;
    }
    if (err == 0 && ((fl = fcntl(fd, F_GETFL)) < 0 ||
                     fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
        err = errno;
out:
    if (err != 0) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* The sentence for a host name that gave no addresses; rc is
 * resolver_buscar's. */
static enum resultado
fallo_nombre(struct conexion *c, int rc)
{
    char seg[24];

    if (rc == EAI_INPROGRESS)
        conexion_fallo(c, "No se pudo resolver el nombre %s en %s: el servidor de "
              "nombres (DNS) no contesta. Compruebe la red, o indique una "
              "dirección IP con --host.", c->host,
              conexion_segundos(seg, sizeof seg, c->espera_ms));
    else if (rc == EAI_AGAIN)
        conexion_fallo(c, "No se pudo resolver el nombre %s: el servidor de nombres "
              "(DNS) no contesta (%s). Compruebe la red, o indique una "
              "dirección IP con --host.", c->host, gai_strerror(rc));
    else
        conexion_fallo(c, "No se encuentra el host %s (%s). Compruebe el nombre, o "
              "indique una dirección IP con --host.", c->host,
              rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return RES_SIN_SERVIDOR;
}

/* Connects to rpcbind (TCP port 111) at the first address of the host that
 * accepts.  Finding the addresses of a name waits at most the timeout too
 * (resolver.h). */
static enum resultado
abrir_rpcbind(struct conexion *c, int familia, struct rpcbind *rb)
{
    struct addrinfo hints, *ai = NULL;
    char seg[24];
    int rc, err = ENOENT, cancelar[2];

    conexion_cancelar_fds(c, cancelar);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = familia;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = resolver_buscar(c->host, RPCBIND_PUERTO, &hints, c->espera_ms,
                              &ai)) != 0)
        return fallo_nombre(c, rc);
    rb->fd = -1;
    for (const struct addrinfo *a = ai; a != NULL && rb->fd < 0; a = a->ai_next) {
        if ((rb->fd = conectar_tcp(a->ai_addr, a->ai_addrlen, c->espera_ms,
                                   cancelar)) < 0) {
            err = errno;
            continue;
        }
        memcpy(&rb->dir, a->ai_addr, a->ai_addrlen);
        rb->len = a->ai_addrlen;
    }
    freeaddrinfo(ai);
    if (rb->fd >= 0)
        return RES_OK;
    if (err == ECANCELED) {
        conexion_fallo(c, "Se canceló la conexión con %s.", c->host);
        return RES_CANCELADO;
    }
    if (err == ETIMEDOUT)
        conexion_fallo(c, "rpcbind no respondió en %s (puerto 111) en %s. ¿Está %s "
              "encendido y accesible por la red? ¿Está rpcbind en marcha? "
              "Compruébelo con: rpcinfo -p %s", c->host,
              conexion_segundos(seg, sizeof seg, c->espera_ms), c->host, c->host);
    else
        conexion_fallo(c, "No se pudo contactar con rpcbind en %s (puerto 111: %s). "
              "¿Está rpcbind en marcha en %s? Compruébelo con: rpcinfo -p %s",
              c->host, strerror(err), c->host, c->host);
    return RES_SIN_SERVIDOR;
}

/* The port of a universal address "h1.h2.h3.h4.p1.p2" (or IPv6 "...p1.p2"),
 * 0 if there is none. */
static unsigned
puerto_de(const char *ua)
{
    const char *lo = ua != NULL ? strrchr(ua, '.') : NULL, *hi;
    unsigned long alto, bajo;
    char *end;

    if (lo == NULL || lo == ua)
        return 0;
    for (hi = lo - 1; hi > ua && *hi != '.'; hi--)
        ;
    if (*hi != '.')
        return 0;
    alto = strtoul(hi + 1, &end, 10);
    if (end != lo || alto > 255)
        return 0;
    bajo = strtoul(lo + 1, &end, 10);
    if (*end != '\0' || bajo > 255)
        return 0;
    return (unsigned)(alto * 256 + bajo);
}

/*
 * The TCP port rpcbind has for the program at version vers (RPCBPROC_GETADDR,
 * rpcbind version 3), 0 if none.  Where it lacks that version rpcbind gives
 * the address of another one, so that the server itself says PROG_MISMATCH.
 * Only the port is used: a server listening on 0.0.0.0 registers that
 * address, and it is reached where rpcbind was.
 */
/* rpcbind's answer, a universal address (RFC 5665: at most a few dozen
 * bytes), decoded with a bound and without libtirpc's shared padding buffer. */
static bool_t
xdr_uaddr(XDR *x, char **ua)
{
    return inv_xdr_string(x, ua, 256);
}

static enum clnt_stat
buscar_puerto(struct conexion *c, const struct rpcbind *rb, rpcvers_t vers,
              bool v6, unsigned *puerto, int *err)
{
    static char tcp[] = "tcp", tcp6[] = "tcp6", vacio[] = "";
    struct sockaddr_storage dir = rb->dir;
    struct netbuf nb = { .maxlen = rb->len, .len = rb->len, .buf = &dir };
    rpcb args = { .r_prog = c->prog, .r_vers = vers, .r_netid = v6 ? tcp6 : tcp,
                  .r_addr = vacio, .r_owner = vacio };
    struct rpc_err re;
    enum clnt_stat st;
    char *ua = NULL;
    CLIENT *cl;

    *puerto = 0;
    *err = 0;
    if ((cl = clnt_vc_create(rb->fd, &nb, RPCBPROG, RPCBVERS, 0, 0)) == NULL) {
        *err = rpc_createerr.cf_error.re_errno;
        return rpc_createerr.cf_stat;
    }
    st = clnt_call(cl, RPCBPROC_GETADDR, XDRPROC(xdr_rpcb), (char *)&args,
                   XDRPROC(xdr_uaddr), (char *)&ua, plazo(c));
    if (st == RPC_SUCCESS) {
        *puerto = puerto_de(ua);
    } else {
        clnt_geterr(cl, &re);
        *err = re.re_errno;
    }
    xdr_free(XDRPROC(xdr_uaddr), (char *)&ua);
    descubrir_destruir(cl);                   /* not the descriptor: it is rb's */
    return st;
}

/* AUTH_SYS credentials, so that the movement log's origen names this
 * machine and user (asserted, not proven: the contract says so).  Without
 * them the calls work all the same, so a failure here is not one. */
static void
credenciales(CLIENT *cl)
{
    AUTH *a = authsys_create_default();

    if (a != NULL) {
        auth_destroy(cl->cl_auth);
        cl->cl_auth = a;
    }
}

static void
poner_puerto(struct sockaddr_storage *dir, unsigned puerto)
{
    if (dir->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)dir)->sin6_port = htons((uint16_t)puerto);
    else
        ((struct sockaddr_in *)dir)->sin_port = htons((uint16_t)puerto);
}

/* Connects to the server on rpcbind's host at puerto, speaking version
 * vers, and checks it with a NULL call; sets c->clnt.  Returns the
 * clnt_stat of the step that failed, *err its errno; on PROG_MISMATCH,
 * *alta is the highest version the server offers. */
static enum clnt_stat
abrir_version(struct conexion *c, const struct rpcbind *rb, unsigned puerto,
              rpcvers_t vers, int *err, rpcvers_t *alta)
{
    struct sockaddr_storage dir = rb->dir;
    struct timeval tv = plazo(c);
    struct stream st_tcp;
    struct rpc_err re;
    enum clnt_stat st;
    CLIENT *cl;
    int fd, cancelar[2];

    *err = 0;
    *alta = 0;
    conexion_cancelar_fds(c, cancelar);
    poner_puerto(&dir, puerto);
    if ((fd = conectar_tcp((struct sockaddr *)&dir, rb->len, c->espera_ms,
                           cancelar)) < 0) {
        *err = errno;
        return errno == ETIMEDOUT ? RPC_TIMEDOUT
               : errno == ECANCELED ? RPC_INTR : RPC_SYSTEMERROR;
    }
    if (c->tls != NULL)                 /* RPC-with-TLS: conexion_tls.c */
        return conexion_tls_abrir(c, fd, vers, err, alta);
    /* The library's own CLIENT (rpcclient.h): one deadline per call. */
    if (!stream_tcp(fd, &st_tcp)) {
        *err = errno;
        close(fd);
        return RPC_SYSTEMERROR;
    }
    if ((cl = rpcclient_create(st_tcp, c->prog, vers)) == NULL) {
        *err = rpc_createerr.cf_error.re_errno;
        return rpc_createerr.cf_stat;
    }
    (void)clnt_control(cl, RPCCLIENT_SET_CANCEL_FDS, cancelar);
    /* rpcgen's stubs would wait 25 s; every call waits what was asked. */
    (void)clnt_control(cl, CLSET_TIMEOUT, &tv);
    credenciales(cl);
    st = clnt_call(cl, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void), NULL, tv);
    if (st != RPC_SUCCESS) {
        clnt_geterr(cl, &re);
        *err = re.re_errno;
        if (st == RPC_PROGVERSMISMATCH)
            *alta = re.re_vers.high;
        descubrir_destruir(cl);
        return st;
    }
    c->clnt = cl;
    c->vers = vers;
    return RPC_SUCCESS;
}

static const char *
detalle(enum clnt_stat st, int err)
{
    return err != 0 ? strerror(err) : clnt_sperrno(st);
}

/* The sentence for an rpcbind that took the connection but did not answer
 * the lookup. */
static enum resultado
fallo_rpcbind(struct conexion *c, enum clnt_stat st, int err)
{
    char seg[24];

    if (st == RPC_TIMEDOUT) {
        conexion_fallo(c, "rpcbind de %s no respondió en %s. ¿Funciona rpcbind? "
              "Compruébelo con: rpcinfo -p %s", c->host,
              conexion_segundos(seg, sizeof seg, c->espera_ms), c->host);
        return RES_TIEMPO_AGOTADO;
    }
    conexion_fallo(c, "rpcbind de %s no pudo responder (%s). ¿Funciona rpcbind? "
          "Compruébelo con: rpcinfo -p %s", c->host, detalle(st, err), c->host);
    return RES_SIN_SERVIDOR;
}

/* The sentence and outcome for a server that rpcbind did not know, or that
 * could not be reached where rpcbind said. */
static enum resultado
fallo_al_conectar(struct conexion *c, enum clnt_stat st, int err)
{
    unsigned long p = (unsigned long)c->prog;
    char seg[24];

    switch (st) {
    case RPC_PROGNOTREGISTERED:
        conexion_fallo(c, "El servicio de inventario (programa %lu) no está registrado "
              "en rpcbind de %s. ¿Está arrancado inventario-server? "
              "Compruébelo con: rpcinfo -p %s", p, c->host, c->host);
        return RES_SIN_SERVIDOR;
    case RPC_PROGVERSMISMATCH:
        conexion_fallo(c, "El servidor del programa %lu en %s no ofrece ninguna "
              "versión del protocolo del inventario que este programa hable "
              "(de la 1 a la %u).", p, c->host, (unsigned)VERSION_MAX);
        return RES_NO_OFRECIDO;
    case RPC_INTR:
        conexion_fallo(c, "Se canceló la conexión con %s.", c->host);
        return RES_CANCELADO;
    case RPC_AUTHERROR:                 /* TLS failed: the sentence is set */
        return RES_SIN_TLS;
    case RPC_TIMEDOUT:
        conexion_fallo(c, "El servidor del programa %lu en %s no respondió en %s al "
              "conectar: puede estar sobrecargado o detenido. Compruébelo con: "
              "rpcinfo -t %s %lu", p, c->host,
              conexion_segundos(seg, sizeof seg, c->espera_ms), c->host, p);
        return RES_TIEMPO_AGOTADO;
    default:
        conexion_fallo(c, "rpcbind de %s tiene registrado el servicio de inventario "
              "(programa %lu), pero el servidor no acepta conexiones (%s): "
              "puede que se haya detenido sin darse de baja. Arránquelo de "
              "nuevo y compruébelo con: rpcinfo -p %s", c->host, p,
              detalle(st, err), c->host);
        return RES_SIN_SERVIDOR;
    }
}

/*
 * A new connection to c->host: rpcbind, then the server at the highest
 * version both sides speak.  rpcbind is asked for the port of version 3
 * and then of each lower one until it knows one; the server itself then
 * answers a version it lacks with PROG_MISMATCH and its highest, which is
 * taken.
 */
enum resultado
descubrir_host(struct conexion *c)
{
    bool v6 = strchr(c->host, ':') != NULL;
    rpcvers_t vers = VERSION_MAX, alta;
    struct rpcbind rb;
    unsigned puerto = 0;
    enum clnt_stat st;
    enum resultado r;
    int err;

    if ((r = abrir_rpcbind(c, v6 ? AF_INET6 : AF_INET, &rb)) != RES_OK)
        return r;
    for (;;) {
        st = buscar_puerto(c, &rb, vers, v6, &puerto, &err);
        if (st != RPC_SUCCESS || puerto != 0 || vers == INVENTARIO_V1)
            break;
        vers--;
    }
    close(rb.fd);
    if (st != RPC_SUCCESS)
        return fallo_rpcbind(c, st, err);
    if (puerto == 0)
        return fallo_al_conectar(c, RPC_PROGNOTREGISTERED, 0);
    /* Every version is served on the same port (the contract), so the
     * newest is tried whatever rpcbind knew: a server still registering
     * its versions is not taken for an older one. */
    vers = VERSION_MAX;
    st = abrir_version(c, &rb, puerto, vers, &err, &alta);
    if (st == RPC_PROGVERSMISMATCH && alta >= INVENTARIO_V1 && alta < vers)
        st = abrir_version(c, &rb, puerto, alta, &err, &alta);
    return st == RPC_SUCCESS ? RES_OK : fallo_al_conectar(c, st, err);
}
