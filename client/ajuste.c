/* ajuste.c - adjusting a stock once, and telling a replay; see ajuste.h. */
#include "ajuste.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "formato.h"
#include "operaciones.h"
#include "vigilancia.h"
#include "validar.h"

#define FRASE 1024

/* Looking for the movement of an earlier call: the window of seqs before
 * the call starts at this many and grows eightfold, at most this many
 * pages in all, so that a product with a long history costs a bounded
 * number of calls (then the motivo is said to be unknown). */
#define VENTANA_INICIAL 1000
#define PAGINAS_MAX     64

/* The failure of an adjustment; when it may have been applied, names the
 * key that repeats it safely (in JSON, also as the error's "clave"). */
static enum resultado
fallar_ajuste(const struct salida *s, enum resultado r, const char *frase_base,
              const char *id, int32_t delta, const char *clave)
{
    bool incierta = conexion_incierta(s->con);
    char frase[FRASE];
    size_t n;

    snprintf(frase, sizeof frase, "%s", frase_base);
    n = strlen(frase);
    if (incierta && s->menu)
        snprintf(frase + n, sizeof frase - n, " La clave de este ajuste es %s.", clave);
    else if (incierta)
        snprintf(frase + n, sizeof frase - n, " Para repetirlo sin riesgo de "
                 "aplicarlo dos veces, use la misma clave: inventario-client "
                 "ajustar '%s' %" PRId32 " --clave %s", id, delta, clave);
    if (s->json && incierta) {
        json_t *j = formato_json_error(r, frase);

        json_object_set_new(json_object_get(j, "error"), "clave", json_string(clave));
        (void)formato_json(stderr, j, true);
        fflush(stderr);
        return r;
    }
    acciones_fallo(s, r, frase);
    return r;
}

/* INVALIDO with every field checked here: which of the two causes left.
 * A fresh key was never used; a delta of 0 or less cannot pass the
 * maximum; otherwise the stock now tells (if the product can be read). */
static enum causa
causa_invalido(struct conexion *c, const char *id, int32_t delta, bool clave_propia)
{
    producto_res res;
    enum causa causa;

    if (clave_propia)
        return CAUSA_DESBORDA;
    if (delta <= 0)
        return CAUSA_CLAVE_USADA;
    if (ops_obtener(c, id, &res) != RES_OK)
        return CAUSA_DESCONOCIDA;
    causa = (int64_t)res.producto_res_u.p.stock + delta > INT32_MAX
            ? CAUSA_DESBORDA : CAUSA_CLAVE_USADA;
    ops_producto_liberar(&res);
    return causa;
}

/* A movement this adjustment could have written. */
struct hallazgo {
    bool     hallado;
    uint64_t seq;
    int32_t  antes;
    char     motivo[VALIDAR_TEXTO_MAX + 1];
};

static bool
es_este(const movimiento *m, const producto *p, int32_t delta)
{
    return m->tipo == STOCK && m->stock_despues == p->stock &&
           (int64_t)m->stock_antes == (int64_t)p->stock - delta;
}

/* Looks through the movements of p->id with seq in (desde, hasta] for one
 * that this adjustment could have written: the first (primero) or the
 * last.  Reads at most *paginas more pages, and counts them down. */
static enum resultado
buscar(struct conexion *c, uint64_t desde, uint64_t hasta, const producto *p,
       int32_t delta, bool primero, unsigned *paginas, struct hallazgo *h)
{
    bool fin = false;

    while (!fin && *paginas > 0) {
        movimientos_res res;
        const movimientos_ok *ok;
        enum resultado r = ops_movimientos(c, desde, p->id, 0, &res);
        u_int n;

        if (r != RES_OK)
            return r;
        --*paginas;
        ok = &res.movimientos_res_u.ok;
        n = ok->movimientos.movimientos_len;
        fin = n == 0;
        for (u_int i = 0; i < n && !fin; i++) {
            const movimiento *m = &ok->movimientos.movimientos_val[i];

            if (m->seq > hasta || m->seq <= desde) {
                fin = true;     /* past the range, or a server going backwards */
                break;
            }
            if (es_este(m, p, delta)) {
                h->hallado = true;
                h->seq = m->seq;
                h->antes = m->stock_antes;
                snprintf(h->motivo, sizeof h->motivo, "%s", m->motivo);
                fin = primero;
            }
            desde = m->seq;
        }
        if (desde >= ok->ultimo_seq || desde >= hasta)
            fin = true;
        ops_movimientos_liberar(&res);
    }
    return RES_OK;
}

/* After an OK to a call with a key given by hand: was it a replay?  Finds
 * this call's movement after antes; if there is none, the earlier one, in
 * growing windows before antes.  False if it was applied now, or if the
 * log could not be read (then nothing is claimed). */
static bool
fue_repeticion(struct conexion *c, uint64_t antes, const producto *p, int32_t delta,
               struct hallazgo *previo)
{
    struct hallazgo ahora = { .hallado = false };
    unsigned paginas = PAGINAS_MAX;
    uint64_t ventana = VENTANA_INICIAL, hasta = antes;

    if (buscar(c, antes, UINT64_MAX, p, delta, true, &paginas, &ahora) != RES_OK ||
        ahora.hallado)
        return false;
    while (!previo->hallado && hasta > 0 && paginas > 0) {
        uint64_t desde = hasta > ventana ? hasta - ventana : 0;

        if (buscar(c, desde, hasta, p, delta, false, &paginas, previo) != RES_OK)
            break;
        hasta = desde;
        ventana *= 8;
    }
    return true;
}

static void
ajuste_texto(const producto *p, int32_t delta, const char *motivo)
{
    long long antes = (long long)p->stock - delta;

    fputs("Stock de ", stdout);
    formato_texto(stdout, p->id);
    printf(" ajustado en %+" PRId32, delta);
    if (motivo[0] != '\0') {
        fputs(" (", stdout);
        formato_texto(stdout, motivo);
        fputc(')', stdout);
    }
    printf(": antes %lld, ahora %d.\n", antes, p->stock);
    formato_producto(stdout, p);
}

static void
repeticion_texto(const producto *p, int32_t delta, const struct hallazgo *h)
{
    fputs("Ajuste de ", stdout);
    formato_texto(stdout, p->id);
    printf(" en %+" PRId32 " ya aplicado antes con esta clave: no se ha repetido.\n",
           delta);
    if (h->hallado) {
        printf("Se aplicó en el movimiento n.º %" PRIu64 ", de %d a %d, con motivo ",
               h->seq, h->antes, p->stock);
        if (h->motivo[0] != '\0') {
            fputs("«", stdout);
            formato_texto(stdout, h->motivo);
            fputs("».\n", stdout);
        } else {
            fputs("vacío.\n", stdout);
        }
    } else {
        printf("Entonces dejó el stock en %d; su movimiento no se encontró en el "
               "registro, así que su motivo no se sabe.\n", p->stock);
    }
    fputs("Para ver el stock de ahora: inventario-client obtener ", stdout);
    formato_texto(stdout, p->id);
    fputc('\n', stdout);
}

static enum resultado
responder(const struct salida *s, const producto *p, int32_t delta, const char *motivo,
          const char *clave, bool repetido, const struct hallazgo *h)
{
    if (s->json) {
        json_t *j = json_pack("{s:o, s:o, s:i, s:i, s:s, s:b}",
                              "id", formato_json_cadena(p->id),
                              "nombre", formato_json_cadena(p->nombre),
                              "stock", p->stock, "delta", delta,
                              "clave", clave, "repetido", repetido ? 1 : 0);

        if (j != NULL && repetido)
            json_object_set_new(j, "motivo", h->hallado ? formato_json_cadena(h->motivo)
                                                        : json_null());
        else if (j != NULL)
            json_object_set_new(j, "motivo", formato_json_cadena(motivo));
        if (j != NULL && repetido && h->hallado)
            json_object_set_new(j, "seq", json_integer((json_int_t)h->seq));
        return acciones_json(s, j);
    }
    if (repetido)
        repeticion_texto(p, delta, h);
    else
        ajuste_texto(p, delta, motivo);
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_ajustar(const struct salida *s, const char *id, int32_t delta,
               const char *motivo, const char *clave)
{
    char propia[OPS_CLAVE_LEN + 1], frase[FRASE];
    struct hallazgo previo = { .hallado = false };
    bool clave_propia = clave == NULL, repetido = false, con_antes = false;
    uint64_t antes = 0;
    producto_res res;
    enum resultado r;

    if (clave_propia) {
        if (!ops_clave_nueva(propia)) {
            acciones_fallo(s, RES_ERROR_INTERNO, "No se pudo generar una clave "
                           "aleatoria para el ajuste (getrandom falló).");
            return RES_ERROR_INTERNO;
        }
        clave = propia;
    } else {
        /* Where the log stands before the call, to tell a replay after it;
         * a failure here is the call's failure too, and said by it. */
        con_antes = vigilancia_inicio(s->con, &antes) == RES_OK;
    }
    r = ops_ajustar(s->con, id, delta, motivo, clave, &res);
    if (r == RES_INVALIDO && conexion_error(s->con)[0] == '\0') {
        formato_fallo_causa(frase, sizeof frase, r, OP_AJUSTAR, id,
                            causa_invalido(s->con, id, delta, clave_propia), "");
        return fallar_ajuste(s, r, frase, id, delta, clave);
    }
    if (r != RES_OK) {
        acciones_frase(s, frase, sizeof frase, r, OP_AJUSTAR, id);
        return fallar_ajuste(s, r, frase, id, delta, clave);
    }
    if (con_antes)
        repetido = fue_repeticion(s->con, antes, &res.producto_res_u.p, delta, &previo);
    r = responder(s, &res.producto_res_u.p, delta, motivo, clave, repetido, &previo);
    ops_producto_liberar(&res);
    return r;
}
