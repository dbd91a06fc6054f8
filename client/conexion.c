/* conexion.c - finding the service, connecting, calling, reconnecting; see conexion.h. */
#include "conexion.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpcb_prot.h>

#include "inventario.h"
#include "resolver.h"
#include "xdrproc.h"

#define RPCBIND_PUERTO "111"

/* Pause before repeating a call whose connection was lost, so that a server
 * being restarted has a moment to register again. */
#define PAUSA_REINTENTO_MS 300

struct conexion {
    char     **hosts;           /* the list, in the order given */
    size_t     nhosts;
    size_t     actual;          /* index of the host in use or last tried */
    size_t     bueno;           /* of the last good connection; nhosts: none */
    bool       saltar;          /* a call failed on 'actual': start past it */
    const char *host;           /* hosts[actual] */
    rpcprog_t  prog;
    unsigned   espera_ms;
    void     (*aviso)(const char *frase);
    CLIENT    *clnt;            /* NULL while not connected */
    rpcvers_t  vers;            /* of clnt; 0 when there is none */
    bool       hubo_conexion;   /* some connection ever succeeded */
    bool       perdida;         /* a failure since the last good connection */
    bool       incierta;        /* see conexion_incierta */
    char       error[768];
};

static void fallo(struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Keeps the sentence of the last failure. */
static void
fallo(struct conexion *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
}

static void fallo_mas(struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds to the sentence of the last failure (cut where it is full). */
static void
fallo_mas(struct conexion *c, const char *fmt, ...)
{
    size_t n = strlen(c->error);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->error + n, sizeof c->error - n, fmt, ap);
    va_end(ap);
}

static void
avisar(const struct conexion *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
avisar(const struct conexion *c, const char *fmt, ...)
{
    char frase[1024];
    va_list ap;

    if (c->aviso == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(frase, sizeof frase, fmt, ap);
    va_end(ap);
    c->aviso(frase);
}

static struct timeval
plazo(const struct conexion *c)
{
    return (struct timeval){ .tv_sec = (time_t)(c->espera_ms / 1000),
                             .tv_usec = (suseconds_t)(c->espera_ms % 1000) * 1000 };
}

/* "5 s", "1,5 s": the timeout as a person reads it. */
static const char *
segundos(char *buf, size_t len, unsigned ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, len, "%u s", ms / 1000);
    else
        snprintf(buf, len, "%u,%u s", ms / 1000, (ms % 1000) / 100);
    return buf;
}

static int64_t
ahora_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rpcprog_t
programa_por_alias(void)
{
    struct rpcent *e = getrpcbyname(CONEXION_ALIAS);

    return e != NULL ? (rpcprog_t)e->r_number : (rpcprog_t)INVENTARIO_PROG;
}

static void
liberar_hosts(struct conexion *c)
{
    for (size_t i = 0; i < c->nhosts; i++)
        free(c->hosts[i]);
    free(c->hosts);
}

/* Splits "a,b,c" into c->hosts, leaving out empty names. */
static bool
partir_hosts(struct conexion *c, const char *lista)
{
    size_t cap = 1;

    for (const char *p = lista; *p != '\0'; p++)
        cap += *p == ',';
    if ((c->hosts = calloc(cap, sizeof *c->hosts)) == NULL)
        return false;
    for (const char *p = lista; ; ) {
        size_t n = strcspn(p, ",");

        if (n > 0 && (c->hosts[c->nhosts++] = strndup(p, n)) == NULL)
            return false;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return c->nhosts > 0;
}

struct conexion *
conexion_nueva(const struct conexion_opts *o)
{
    struct conexion *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    if (!partir_hosts(c, o->host)) {
        liberar_hosts(c);
        free(c);
        return NULL;
    }
    c->host = c->hosts[0];
    c->bueno = c->nhosts;
    c->prog = o->programa != 0 ? (rpcprog_t)o->programa : programa_por_alias();
    c->espera_ms = o->espera_ms > 0 ? o->espera_ms : 1;
    c->aviso = o->aviso;
    return c;
}

/* Destroys a CLIENT and its credentials, which clnt_destroy leaves to us. */
static void
destruir(CLIENT *cl)
{
    auth_destroy(cl->cl_auth);
    clnt_destroy(cl);
}

static void
cerrar(struct conexion *c)
{
    if (c->clnt != NULL)
        destruir(c->clnt);
    c->clnt = NULL;
    c->vers = 0;
}

void
conexion_liberar(struct conexion *c)
{
    if (c == NULL)
        return;
    cerrar(c);
    liberar_hosts(c);
    free(c);
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

/* A TCP connection to sa made within ms, blocking again (as libtirpc
 * expects), or -1 with errno (ETIMEDOUT when the time ran out). */
static int
conectar_tcp(const struct sockaddr *sa, socklen_t len, unsigned ms)
{
    int64_t fin = ahora_ms() + ms;
    socklen_t elen = sizeof(int);
    int fd, fl, err = 0, n;

    if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, sa, len) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
            goto out;
        }
        do {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int64_t queda = fin - ahora_ms();

            n = queda > 0 ? poll(&p, 1, (int)queda) : 0;
        } while (n < 0 && errno == EINTR);
        if (n == 0)
            err = ETIMEDOUT;
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
        fallo(c, "No se pudo resolver el nombre %s en %s: el servidor de "
              "nombres (DNS) no contesta. Compruebe la red, o indique una "
              "dirección IP con --host.", c->host,
              segundos(seg, sizeof seg, c->espera_ms));
    else if (rc == EAI_AGAIN)
        fallo(c, "No se pudo resolver el nombre %s: el servidor de nombres "
              "(DNS) no contesta (%s). Compruebe la red, o indique una "
              "dirección IP con --host.", c->host, gai_strerror(rc));
    else
        fallo(c, "No se encuentra el host %s (%s). Compruebe el nombre, o "
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
    int rc, err = ENOENT;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = familia;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = resolver_buscar(c->host, RPCBIND_PUERTO, &hints, c->espera_ms,
                              &ai)) != 0)
        return fallo_nombre(c, rc);
    rb->fd = -1;
    for (const struct addrinfo *a = ai; a != NULL && rb->fd < 0; a = a->ai_next) {
        if ((rb->fd = conectar_tcp(a->ai_addr, a->ai_addrlen, c->espera_ms)) < 0) {
            err = errno;
            continue;
        }
        memcpy(&rb->dir, a->ai_addr, a->ai_addrlen);
        rb->len = a->ai_addrlen;
    }
    freeaddrinfo(ai);
    if (rb->fd >= 0)
        return RES_OK;
    if (err == ETIMEDOUT)
        fallo(c, "rpcbind no respondió en %s (puerto 111) en %s. ¿Está %s "
              "encendido y accesible por la red? ¿Está rpcbind en marcha? "
              "Compruébelo con: rpcinfo -p %s", c->host,
              segundos(seg, sizeof seg, c->espera_ms), c->host, c->host);
    else
        fallo(c, "No se pudo contactar con rpcbind en %s (puerto 111: %s). "
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
                   XDRPROC(xdr_wrapstring), (char *)&ua, plazo(c));
    if (st == RPC_SUCCESS) {
        *puerto = puerto_de(ua);
    } else {
        clnt_geterr(cl, &re);
        *err = re.re_errno;
    }
    xdr_free(XDRPROC(xdr_wrapstring), (char *)&ua);
    destruir(cl);                   /* not the descriptor: it is rb's */
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
 * clnt_stat of the step that failed, *err its errno. */
static enum clnt_stat
abrir_version(struct conexion *c, const struct rpcbind *rb, unsigned puerto,
              rpcvers_t vers, int *err)
{
    struct sockaddr_storage dir = rb->dir;
    struct netbuf nb = { .maxlen = rb->len, .len = rb->len, .buf = &dir };
    struct timeval tv = plazo(c);
    struct rpc_err re;
    enum clnt_stat st;
    CLIENT *cl;
    int fd;

    *err = 0;
    poner_puerto(&dir, puerto);
    if ((fd = conectar_tcp((struct sockaddr *)&dir, rb->len, c->espera_ms)) < 0) {
        *err = errno;
        return errno == ETIMEDOUT ? RPC_TIMEDOUT : RPC_SYSTEMERROR;
    }
    if ((cl = clnt_vc_create(fd, &nb, c->prog, vers, 0, 0)) == NULL) {
        *err = rpc_createerr.cf_error.re_errno;
        close(fd);
        return rpc_createerr.cf_stat;
    }
    (void)clnt_control(cl, CLSET_FD_CLOSE, NULL);
    /* rpcgen's stubs would wait 25 s; every call waits what was asked. */
    (void)clnt_control(cl, CLSET_TIMEOUT, (char *)&tv);
    credenciales(cl);
    st = clnt_call(cl, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void), NULL, tv);
    if (st != RPC_SUCCESS) {
        clnt_geterr(cl, &re);
        *err = re.re_errno;
        destruir(cl);
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
        fallo(c, "rpcbind de %s no respondió en %s. ¿Funciona rpcbind? "
              "Compruébelo con: rpcinfo -p %s", c->host,
              segundos(seg, sizeof seg, c->espera_ms), c->host);
        return RES_TIEMPO_AGOTADO;
    }
    fallo(c, "rpcbind de %s no pudo responder (%s). ¿Funciona rpcbind? "
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
        fallo(c, "El servicio de inventario (programa %lu) no está registrado "
              "en rpcbind de %s. ¿Está arrancado inventario-server? "
              "Compruébelo con: rpcinfo -p %s", p, c->host, c->host);
        return RES_SIN_SERVIDOR;
    case RPC_PROGVERSMISMATCH:
        fallo(c, "El servidor del programa %lu en %s no ofrece la versión 1 "
              "ni la 2 del protocolo del inventario.", p, c->host);
        return RES_NO_OFRECIDO;
    case RPC_TIMEDOUT:
        fallo(c, "El servidor del programa %lu en %s no respondió en %s al "
              "conectar: puede estar sobrecargado o detenido. Compruébelo con: "
              "rpcinfo -t %s %lu", p, c->host,
              segundos(seg, sizeof seg, c->espera_ms), c->host, p);
        return RES_TIEMPO_AGOTADO;
    default:
        fallo(c, "rpcbind de %s tiene registrado el servicio de inventario "
              "(programa %lu), pero el servidor no acepta conexiones (%s): "
              "puede que se haya detenido sin darse de baja. Arránquelo de "
              "nuevo y compruébelo con: rpcinfo -p %s", c->host, p,
              detalle(st, err), c->host);
        return RES_SIN_SERVIDOR;
    }
}

/* A new connection to c->host: rpcbind, then version 2, else version 1. */
static enum resultado
conectar_host(struct conexion *c)
{
    bool v6 = strchr(c->host, ':') != NULL;
    rpcvers_t vers = INVENTARIO_V2;
    struct rpcbind rb;
    unsigned puerto;
    enum clnt_stat st;
    enum resultado r;
    int err;

    if ((r = abrir_rpcbind(c, v6 ? AF_INET6 : AF_INET, &rb)) != RES_OK)
        return r;
    st = buscar_puerto(c, &rb, vers, v6, &puerto, &err);
    /* An rpcbind that matched versions exactly may know only version 1. */
    if (st == RPC_SUCCESS && puerto == 0) {
        vers = INVENTARIO_V1;
        st = buscar_puerto(c, &rb, vers, v6, &puerto, &err);
    }
    close(rb.fd);
    if (st != RPC_SUCCESS)
        return fallo_rpcbind(c, st, err);
    if (puerto == 0)
        return fallo_al_conectar(c, RPC_PROGNOTREGISTERED, 0);
    st = abrir_version(c, &rb, puerto, vers, &err);
    /* A version 1 server answers version 2 with PROG_MISMATCH. */
    if (st == RPC_PROGVERSMISMATCH && vers == INVENTARIO_V2)
        st = abrir_version(c, &rb, puerto, INVENTARIO_V1, &err);
    return st == RPC_SUCCESS ? RES_OK : fallo_al_conectar(c, st, err);
}

/*
 * A new connection to the first host of the list that answers, starting at
 * the one in use (past it, if a call just failed there) and going round
 * once.  With one host, its own sentence; with several, that none answered
 * and how the last one failed.
 */
static enum resultado
conectar(struct conexion *c)
{
    size_t desde = c->actual;
    enum resultado r = RES_SIN_SERVIDOR;
    char ultimo[sizeof c->error];

    if (c->saltar)
        desde = (desde + 1) % c->nhosts;
    c->saltar = false;
    for (size_t i = 0; i < c->nhosts; i++) {
        c->actual = (desde + i) % c->nhosts;
        c->host = c->hosts[c->actual];
        if ((r = conectar_host(c)) == RES_OK)
            return RES_OK;
    }
    if (c->nhosts == 1)
        return r;
    memcpy(ultimo, c->error, sizeof ultimo);
    fallo(c, "No respondió ningún servidor de la lista (");
    for (size_t i = 0; i < c->nhosts; i++)
        fallo_mas(c, "%s%s", i > 0 ? ", " : "", c->hosts[i]);
    fallo_mas(c, "). Con %s: %s", c->host, ultimo);
    return r;
}

/* True if the server has closed our idle connection (it stopped, restarted
 * or dropped us as idle).  Between calls nothing may arrive on it, so a
 * readable or hung-up socket can only mean end of file or a reset. */
static bool
caida(const struct conexion *c)
{
    struct pollfd p = { .fd = -1, .events = POLLIN };

    if (!clnt_control(c->clnt, CLGET_FD, (char *)&p.fd))
        return false;
    return poll(&p, 1, 0) != 0;
}

/* Connected, on a connection that is still open, or why not. */
static enum resultado
preparar(struct conexion *c)
{
    enum resultado r;

    if (c->clnt != NULL && caida(c)) {
        cerrar(c);
        c->perdida = true;
    }
    if (c->clnt != NULL)
        return RES_OK;
    if ((r = conectar(c)) != RES_OK) {
        c->perdida = true;
        return r;
    }
    if (c->hubo_conexion && c->bueno != c->actual)
        avisar(c, "El servidor en %s no responde; se sigue con el servidor en "
               "%s (protocolo versión %lu).", c->hosts[c->bueno], c->host,
               (unsigned long)c->vers);
    else if (c->perdida && c->hubo_conexion)
        avisar(c, "Conexión restablecida con el servidor en %s (protocolo "
               "versión %lu).", c->host, (unsigned long)c->vers);
    c->perdida = false;
    c->hubo_conexion = true;
    c->bueno = c->actual;
    return RES_OK;
}

enum resultado
conexion_conectar(struct conexion *c)
{
    c->error[0] = '\0';
    return preparar(c);
}

/* The outcome and sentence of a failed call; drops the connection when it
 * can no longer be trusted (dead, or a reply may still be on its way). */
static enum resultado
fallo_en_llamada(struct conexion *c, enum clnt_stat st, enum llamada_tipo tipo)
{
    struct rpc_err re;
    char seg[24];

    clnt_geterr(c->clnt, &re);
    switch (st) {
    case RPC_TIMEDOUT:
        fallo(c, "El servidor en %s no respondió en %s (tiempo agotado): puede "
              "estar sobrecargado o detenido. Puede esperar más con --timeout.",
              c->host, segundos(seg, sizeof seg, c->espera_ms));
        c->incierta |= tipo != LLAMADA_LECTURA;
        cerrar(c);
        c->saltar = true;
        return RES_TIEMPO_AGOTADO;
    case RPC_CANTRECV:
        c->incierta |= tipo != LLAMADA_LECTURA;
        /* FALLTHROUGH */
    case RPC_CANTSEND:
    case RPC_SYSTEMERROR:
        fallo(c, "Se perdió la conexión con el servidor en %s (%s). La próxima "
              "operación volverá a conectar.", c->host, detalle(st, re.re_errno));
        cerrar(c);
        c->perdida = true;
        c->saltar = true;
        return RES_SIN_SERVIDOR;
    case RPC_PROCUNAVAIL:
    case RPC_PROGVERSMISMATCH:
    case RPC_PROGUNAVAIL:
        fallo(c, "El servidor en %s no ofrece esta operación (%s).", c->host,
              clnt_sperrno(st));
        if (st != RPC_PROCUNAVAIL) {
            cerrar(c);
            c->saltar = true;
        }
        return RES_NO_OFRECIDO;
    case RPC_AUTHERROR:
        fallo(c, "El servidor en %s no permite %s desde esta máquina: su red "
              "no está entre las autorizadas (opciones --allow-write y "
              "--allow-read del servidor).", c->host,
              tipo == LLAMADA_LECTURA ? "consultar" : "hacer cambios");
        return RES_SIN_PERMISO;
    case RPC_CANTDECODEARGS:
        fallo(c, "El servidor en %s no pudo leer los datos enviados: algún "
              "texto es más largo de lo que admite el protocolo.", c->host);
        return RES_INVALIDO;
    default:
        fallo(c, "Error de RPC inesperado con el servidor en %s: %s.", c->host,
              clnt_sperrno(st));
        cerrar(c);
        c->saltar = true;
        return RES_ERROR_INTERNO;
    }
}

/* Whether a call that ended in st is sent again: on another host, where
 * there are several ('otro'). */
static bool
se_repite(enum clnt_stat st, enum llamada_tipo tipo, bool otro)
{
    bool perdida = st == RPC_CANTSEND || st == RPC_CANTRECV ||
                   st == RPC_SYSTEMERROR;

    switch (tipo) {
    case LLAMADA_LECTURA:   return perdida || (otro && st == RPC_TIMEDOUT);
    case LLAMADA_REPETIBLE: return perdida || st == RPC_TIMEDOUT;
    case LLAMADA_ESCRITURA: return false;
    }
    return false;
}

static void
pausa_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (long)(ms % 1000) * 1000000 };

    (void)nanosleep(&ts, NULL);
}

/* Says that call number 'intento' is a repetition, and why: r is how the
 * one before ended. */
static void
avisar_repeticion(struct conexion *c, enum llamada_tipo tipo, enum resultado r,
                  unsigned intento, unsigned intentos)
{
    char seg[24];

    if (tipo == LLAMADA_LECTURA) {
        if (r == RES_TIEMPO_AGOTADO)
            avisar(c, "El servidor en %s no respondió en %s; se pregunta a otro.",
                   c->host, segundos(seg, sizeof seg, c->espera_ms));
        else
            avisar(c, "Se perdió la conexión con el servidor en %s; se vuelve a "
                   "conectar.", c->host);
        return;
    }
    if (r == RES_TIEMPO_AGOTADO)
        avisar(c, "El servidor en %s no respondió en %s; se repite con la misma "
               "clave, sin riesgo de aplicarlo dos veces (intento %u de %u).",
               c->host, segundos(seg, sizeof seg, c->espera_ms), intento, intentos);
    else
        avisar(c, "Sin conexión con el servidor en %s; se repite con la misma "
               "clave, sin riesgo de aplicarlo dos veces (intento %u de %u).",
               c->host, intento, intentos);
    pausa_ms(PAUSA_REINTENTO_MS);
}

enum resultado
conexion_llamar(struct conexion *c, rpcproc_t proc, enum llamada_tipo tipo,
                xdrproc_t xa, void *arg, xdrproc_t xr, void *res)
{
    unsigned intentos = tipo == LLAMADA_REPETIBLE ? CONEXION_INTENTOS
                        : tipo == LLAMADA_LECTURA ? 2 : 1;
    enum resultado r = RES_ERROR_INTERNO;

    c->error[0] = '\0';
    c->incierta = false;
    for (unsigned i = 1; i <= intentos; i++) {
        enum clnt_stat st;

        if (i > 1)
            avisar_repeticion(c, tipo, r, i, intentos);
        if ((r = preparar(c)) != RES_OK) {
            /* A safe-to-repeat write tries again even when the server did
             * not answer the connection itself: it may be restarting. */
            if (tipo == LLAMADA_REPETIBLE &&
                (r == RES_TIEMPO_AGOTADO || r == RES_SIN_SERVIDOR))
                continue;
            goto out;
        }
        if (proc >= AJUSTAR_STOCK && c->vers < INVENTARIO_V2) {
            fallo(c, "El servidor en %s solo ofrece la versión 1 del "
                  "protocolo; esta operación necesita la versión 2.", c->host);
            r = RES_NO_OFRECIDO;
            goto out;
        }
        st = clnt_call(c->clnt, proc, xa, arg, xr, res, plazo(c));
        if (st == RPC_SUCCESS) {
            c->incierta = false;
            return RES_OK;
        }
        /* Whatever a failed decode left half-built. */
        xdr_free(xr, res);
        r = fallo_en_llamada(c, st, tipo);
        if (!se_repite(st, tipo, c->nhosts > 1))
            break;
    }
out:
    if (c->incierta) {
        size_t n = strlen(c->error);

        snprintf(c->error + n, sizeof c->error - n, " No se sabe si el cambio "
                 "llegó a aplicarse: compruébelo antes de repetirlo.");
    }
    return r;
}

const char *
conexion_error(const struct conexion *c)
{
    return c->error;
}

bool
conexion_incierta(const struct conexion *c)
{
    return c->incierta;
}

unsigned
conexion_version(const struct conexion *c)
{
    return (unsigned)c->vers;
}

const char *
conexion_host(const struct conexion *c)
{
    return c->host;
}

unsigned long
conexion_programa(const struct conexion *c)
{
    return (unsigned long)c->prog;
}
