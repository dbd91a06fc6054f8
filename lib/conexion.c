/* conexion.c - a conexion's host list: connecting, failing over, what it says; see conexion.h. */
#include "conexion_privada.h"

#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interruptor.h"
#include "inventario.h"
#include "reloj.h"

/* After how long idle a connection is checked for a close by the server
 * before it is used. */
#define PAUSA_MIRAR_MS 500

/* Connections open now in this process, all conexiones together: only
 * counted, so that a program can check at exit that it closed them all
 * (conexion_abiertas). */
static _Atomic unsigned abiertas;

void
conexion_fallo(struct conexion *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
}

void
conexion_fallo_mas(struct conexion *c, const char *fmt, ...)
{
    size_t n = strlen(c->error);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->error + n, sizeof c->error - n, fmt, ap);
    va_end(ap);
}

void
conexion_avisar(const struct conexion *c, const char *fmt, ...)
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

const char *
conexion_segundos(char *buf, size_t len, unsigned ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, len, "%u s", ms / 1000);
    else
        snprintf(buf, len, "%u,%u s", ms / 1000, (ms % 1000) / 100);
    return buf;
}

unsigned long
conexion_programa_defecto(void)
{
    struct rpcent *e = getrpcbyname(CONEXION_ALIAS);

    return e != NULL && e->r_number > 0 ? (unsigned long)e->r_number
                                        : (unsigned long)INVENTARIO_PROG;
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
    if (o->host == NULL || !partir_hosts(c, o->host)) {
        liberar_hosts(c);
        free(c);
        return NULL;
    }
    c->host = c->hosts[0];
    c->bueno = c->nhosts;
    c->prog = o->programa != 0 ? (rpcprog_t)o->programa
                               : (rpcprog_t)conexion_programa_defecto();
    c->espera_ms = o->espera_ms > 0 ? o->espera_ms : 1;
    c->aviso = o->aviso;
    c->tls = o->tls;
    c->sin_repetir = o->sin_repetir;
    c->cancelar_fd = -1;
    return c;
}

void
conexion_cerrar(struct conexion *c)
{
    if (c->clnt != NULL) {
        descubrir_destruir(c->clnt);
        atomic_fetch_sub(&abiertas, 1);
    }
    c->clnt = NULL;
    c->vers = 0;
}

void
conexion_liberar(struct conexion *c)
{
    if (c == NULL)
        return;
    conexion_cerrar(c);
    liberar_hosts(c);
    free(c);
}

/*
 * A new connection to the first host of the list that answers, starting at
 * the one in use (past it, if a call just failed there) and going round
 * once.  With one host, its own sentence; with several, that none answered
 * and how the last one failed.  Taking another host than the last good
 * one (or, on the first connection, than the first of the list) is
 * announced with why the one before did not do.
 */
static enum resultado
conectar(struct conexion *c)
{
    size_t desde = c->actual, antes = c->bueno < c->nhosts ? c->bueno : 0;
    enum resultado r = RES_SIN_SERVIDOR;
    char ultimo[sizeof c->error];

    if (c->saltar)
        desde = (desde + 1) % c->nhosts;
    c->saltar = false;
    ultimo[0] = '\0';
    for (size_t i = 0; i < c->nhosts; i++) {
        c->actual = (desde + i) % c->nhosts;
        c->host = c->hosts[c->actual];
        c->error[0] = '\0';
        if ((r = descubrir_host(c)) == RES_OK)
            break;
        if (r == RES_CANCELADO)
            return r;
        memcpy(ultimo, c->error, sizeof ultimo);
    }
    if (r == RES_OK) {
        atomic_fetch_add(&abiertas, 1);
        c->aperturas++;
        if (c->actual != antes)
            conexion_avisar(c, "El servidor en %s no responde; se sigue con el "
                            "servidor en %s (protocolo versión %lu).%s%s",
                            c->hosts[antes], c->host, (unsigned long)c->vers,
                            ultimo[0] != '\0' ? " " : "", ultimo);
        return RES_OK;
    }
    if (c->nhosts == 1)
        return r;
    conexion_fallo(c, "No respondió ningún servidor de la lista (");
    for (size_t i = 0; i < c->nhosts; i++)
        conexion_fallo_mas(c, "%s%s", i > 0 ? ", " : "", c->hosts[i]);
    conexion_fallo_mas(c, "). Con %s: %s", c->host, ultimo);
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

enum resultado
conexion_preparar(struct conexion *c)
{
    enum resultado r;

    /* Closed by the server while we were idle (its idle timeout, most
     * often): nothing was lost, so nothing is said, and a write is not sent
     * into a dead connection (where it would look uncertain).  A
     * conexion that never repeats a call (the stress tool's, back to back)
     * looks only after a pause, saving a system call per call; a
     * connection lost between two of its calls fails the second as lost. */
    if (c->clnt != NULL &&
        (!c->sin_repetir || reloj_ms() - c->ultima_ms >= PAUSA_MIRAR_MS) && caida(c))
        conexion_cerrar(c);
    if (c->clnt != NULL)
        return RES_OK;
    if ((r = conectar(c)) != RES_OK) {
        c->perdida = true;
        return r;
    }
    if (c->perdida && c->bueno == c->actual)
        conexion_avisar(c, "Conexión restablecida con el servidor en %s (protocolo "
                        "versión %lu).", c->host, (unsigned long)c->vers);
    c->perdida = false;
    c->bueno = c->actual;
    return RES_OK;
}

enum resultado
conexion_conectar(struct conexion *c)
{
    c->error[0] = '\0';
    return conexion_preparar(c);
}

void
conexion_cancelable(struct conexion *c, int fd)
{
    c->cancelar_fd = fd;
}

void
conexion_cancelar_fds(const struct conexion *c, int fds[2])
{
    fds[0] = c->cancelar_fd;
    fds[1] = interruptor_fd();
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

unsigned
conexion_espera_ms(const struct conexion *c)
{
    return c->espera_ms;
}

uint64_t
conexion_aperturas(const struct conexion *c)
{
    return c->aperturas;
}

unsigned
conexion_abiertas(void)
{
    return atomic_load(&abiertas);
}
