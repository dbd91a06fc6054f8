/* llamada.c - one call through a generated stub, and the policy for repeating it; see llamada.h. */
#include "llamada.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acotado.h"
#include "conexion_privada.h"
#include "reloj.h"
#include "rpcclient.h"

/* Pause before repeating a call whose connection was lost, so that a server
 * being restarted has a moment to register again. */
#define PAUSA_REINTENTO_MS 300

static const char *
detalle(enum clnt_stat st, int err)
{
    return err != 0 ? strerror(err) : clnt_sperrno(st);
}

/* The outcome and sentence of a failed call; drops the connection when it
 * can no longer be trusted (dead, or a reply may still be on its way). */
static enum resultado
fallo_en_llamada(struct conexion *c, enum clnt_stat st, enum llamada_tipo tipo,
                 unsigned plazo_ms)
{
    struct rpc_err re;
    char seg[24];

    clnt_geterr(c->clnt, &re);
    switch (st) {
    case RPC_TIMEDOUT:
        conexion_fallo(c, "El servidor en %s no respondió en %s (tiempo agotado): "
                       "puede estar sobrecargado o detenido. Puede esperar más "
                       "con --timeout.", c->host,
                       conexion_segundos(seg, sizeof seg, plazo_ms));
        c->incierta |= tipo != LLAMADA_LECTURA;
        conexion_cerrar(c);
        c->saltar = true;
        return RES_TIEMPO_AGOTADO;
    case RPC_INTR:
        conexion_fallo(c, "Se dejó de esperar la respuesta del servidor en %s.",
                       c->host);
        c->incierta |= tipo != LLAMADA_LECTURA;
        conexion_cerrar(c);
        return RES_CANCELADO;
    case RPC_CANTRECV:
        c->incierta |= tipo != LLAMADA_LECTURA;
        /* FALLTHROUGH */
    case RPC_CANTSEND:
    case RPC_SYSTEMERROR:
        conexion_fallo(c, "Se perdió la conexión con el servidor en %s (%s). La "
                       "próxima operación volverá a conectar.", c->host,
                       detalle(st, re.re_errno));
        conexion_cerrar(c);
        c->perdida = true;
        c->saltar = true;
        return RES_SIN_SERVIDOR;
    case RPC_PROCUNAVAIL:
    case RPC_PROGVERSMISMATCH:
    case RPC_PROGUNAVAIL:
        conexion_fallo(c, "El servidor en %s no ofrece esta operación (%s).",
                       c->host, clnt_sperrno(st));
        if (st != RPC_PROCUNAVAIL) {
            conexion_cerrar(c);
            c->saltar = true;
        }
        return RES_NO_OFRECIDO;
    case RPC_AUTHERROR:
        if (c->tls == NULL)
            conexion_fallo(c, "El servidor en %s no permite %s desde esta máquina: "
                           "su red no está entre las autorizadas (opciones "
                           "--allow-write y --allow-read del servidor), o exige "
                           "TLS (--tls required: use --tls).", c->host,
                           tipo == LLAMADA_LECTURA ? "consultar" : "hacer cambios");
        else
            conexion_fallo(c, "El servidor en %s no permite %s a esta sucursal: ni "
                           "su certificado ni su red están entre los autorizados "
                           "(opciones --allow-write y --allow-read del servidor).",
                           c->host, tipo == LLAMADA_LECTURA ? "consultar"
                                                            : "hacer cambios");
        return RES_SIN_PERMISO;
    case RPC_CANTDECODEARGS:
        conexion_fallo(c, "El servidor en %s no pudo leer los datos enviados: "
                       "algún texto es más largo de lo que admite el protocolo.",
                       c->host);
        return RES_INVALIDO;
    case RPC_CANTDECODERES:
        if (re.re_errno == EMSGSIZE)
            conexion_fallo(c, "El servidor en %s envió una respuesta de más de "
                           "%u MiB, el límite de este programa; se descarta.",
                           c->host, RPCCLIENT_RECORD_MAX / (1024 * 1024));
        else
            conexion_fallo(c, "El servidor en %s envió una respuesta que no sigue "
                           "el protocolo o pasa de sus límites (una lista más "
                           "larga de lo pedido, o datos ilegibles); se descarta.",
                           c->host);
        c->incierta |= tipo != LLAMADA_LECTURA;
        conexion_cerrar(c);
        c->saltar = true;
        return RES_PROTOCOLO;
    default:
        conexion_fallo(c, "Error de RPC inesperado con el servidor en %s: %s.",
                       c->host, clnt_sperrno(st));
        c->incierta |= tipo != LLAMADA_LECTURA;
        conexion_cerrar(c);
        c->saltar = true;
        return RES_PROTOCOLO;
    }
}

/* Whether a call that ended in st is sent again: on another host, where
 * there are several ('otro'). */
static bool
se_repite(const struct conexion *c, enum clnt_stat st, enum llamada_tipo tipo)
{
    bool perdida = st == RPC_CANTSEND || st == RPC_CANTRECV ||
                   st == RPC_SYSTEMERROR;

    if (c->sin_repetir)
        return false;
    switch (tipo) {
    case LLAMADA_LECTURA:   return perdida || (c->nhosts > 1 && st == RPC_TIMEDOUT);
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
                  unsigned intento, unsigned intentos, unsigned plazo_ms)
{
    char seg[24];

    if (tipo == LLAMADA_LECTURA) {
        if (r == RES_TIEMPO_AGOTADO)
            conexion_avisar(c, "El servidor en %s no respondió en %s; se pregunta "
                            "a otro.", c->host,
                            conexion_segundos(seg, sizeof seg, plazo_ms));
        else
            conexion_avisar(c, "Se perdió la conexión con el servidor en %s; se "
                            "vuelve a conectar.", c->host);
        return;
    }
    if (r == RES_TIEMPO_AGOTADO)
        conexion_avisar(c, "El servidor en %s no respondió en %s; se repite con la "
                        "misma clave, sin riesgo de aplicarlo dos veces (intento "
                        "%u de %u).", c->host,
                        conexion_segundos(seg, sizeof seg, plazo_ms), intento,
                        intentos);
    else
        conexion_avisar(c, "Sin conexión con el servidor en %s; se repite con la "
                        "misma clave, sin riesgo de aplicarlo dos veces (intento "
                        "%u de %u).", c->host, intento, intentos);
    pausa_ms(PAUSA_REINTENTO_MS);
}

/* A new connection, for a call newer than the one in use, which may be
 * older than the server (made while it was restarting, or before an
 * upgrade).  Costs a reconnection per such call on an old server. */
static enum resultado
nueva_version(struct conexion *c)
{
    conexion_cerrar(c);
    return conexion_preparar(c);
}

static unsigned
intentos_de(const struct conexion *c, enum llamada_tipo tipo)
{
    if (c->sin_repetir)
        return 1;
    return tipo == LLAMADA_REPETIBLE ? CONEXION_INTENTOS
           : tipo == LLAMADA_LECTURA ? 2 : 1;
}

enum resultado
conexion_llamar(struct conexion *c, const struct llamada *l)
{
    unsigned intentos = intentos_de(c, l->tipo);
    unsigned plazo_ms = c->espera_ms + l->espera_extra_ms;
    struct timeval tv = { .tv_sec = (time_t)(plazo_ms / 1000),
                          .tv_usec = (suseconds_t)(plazo_ms % 1000) * 1000 };
    enum resultado r = RES_ERROR_INTERNO;
    u_int max = l->max_elementos;
    int cancelar[2];
    struct rpcclient_decoder dec = { .decode = acotado_decodificar, .ctx = &max };

    c->error[0] = '\0';
    c->incierta = false;
    for (unsigned i = 1; i <= intentos; i++) {
        enum clnt_stat st;

        if (i > 1)
            avisar_repeticion(c, l->tipo, r, i, intentos, plazo_ms);
        if ((r = conexion_preparar(c)) != RES_OK) {
            /* A safe-to-repeat write tries again even when the server did
             * not answer the connection itself: it may be restarting. */
            if (l->tipo == LLAMADA_REPETIBLE && !c->sin_repetir &&
                (r == RES_TIEMPO_AGOTADO || r == RES_SIN_SERVIDOR))
                continue;
            goto out;
        }
        if (c->vers < l->version && (r = nueva_version(c)) != RES_OK)
            goto out;
        if (c->vers < l->version) {
            conexion_fallo(c, "El servidor en %s solo ofrece la versión %lu del "
                           "protocolo; esta operación necesita la versión %u.",
                           c->host, (unsigned long)c->vers, l->version);
            r = RES_NO_OFRECIDO;
            goto out;
        }
        /* The stubs pass rpcgen's fixed 25 s; the CLIENT's own deadline,
         * set here for this call, wins over it. */
        (void)clnt_control(c->clnt, CLSET_TIMEOUT, &tv);
        conexion_cancelar_fds(c, cancelar);
        (void)clnt_control(c->clnt, RPCCLIENT_SET_CANCEL_FDS, cancelar);
        (void)clnt_control(c->clnt, RPCCLIENT_SET_DECODER, &dec);
        st = l->stub(c->clnt, l->arg, l->res);
        c->ultima_ms = reloj_ms();
        if (st == RPC_SUCCESS) {
            c->incierta = false;
            return RES_OK;
        }
        /* Whatever a failed decode left half-built. */
        xdr_free(l->xr, l->res);
        r = fallo_en_llamada(c, st, l->tipo, plazo_ms);
        if (!se_repite(c, st, l->tipo))
            break;
    }
out:
    if (c->incierta)
        conexion_fallo_mas(c, " No se sabe si el cambio llegó a aplicarse: "
                           "compruébelo antes de repetirlo.");
    return r;
}
