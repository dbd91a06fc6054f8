/* verif_churn.c - --verify churn: add, update and delete the same ids at once.
 *
 * Clients pick ids among a few shared ones ("<prefix><k>", k < --products)
 * and add, update, delete or read them.  Every write carries a value no
 * other write uses (client * 1000000 + the call's index in its client's
 * log), so a stock read back names the call that wrote it.  Each client
 * logs every call: id, kind, value, start and end (CLOCK_MONOTONIC, the
 * same clock for every thread and process) and how it ended.
 *
 * Why the check is sound: calls on one id take effect one at a time, each
 * somewhere between its start and its end.  An acknowledged write W that
 * started after another write X ended took effect after X, so X cannot be
 * the last effect on that id.  The last effect is therefore an acknowledged
 * write that no other acknowledged write strictly follows (X.end >= the
 * latest start of an acknowledged write on the id), or a write whose answer
 * never came (it may have taken effect at any time after it started).  A
 * refused write (YA_EXISTE, NO_ENCONTRADO...) changed nothing.  With no
 * acknowledged write at all, the id may also still be absent as it began.
 * The final state of each id must be the effect of one of those candidates:
 * present with the value of a candidate agregar/actualizar, or absent after
 * a candidate eliminar.  Also: no id outside the shared ones exists, and
 * every value a read returned was written by a call that had started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"

#define CH_MEZCLA "agregar=35,actualizar=35,eliminar=20,obtener=10"
/* Values are client * CH_BASE + index, so a client logs at most CH_BASE calls. */
#define CH_BASE   1000000u

struct ch_op {
    uint64_t t0, t1;
    uint32_t k;
    int32_t  valor;     /* written, or read (-1: read NO_ENCONTRADO) */
    uint8_t  op;        /* enum op */
    uint8_t  res;       /* enum resultado */
};

struct ch_cliente {
    struct estad          e;
    struct azar           azar;
    struct verif_registro log;      /* struct ch_op */
    int                   rc;
};

struct churn {
    const struct config *c;
    const char          *prefijo;
    unsigned             s;         /* shared ids */
    struct mezcla        m;
    struct ch_cliente   *cl;
};

static void
ch_id(char *buf, size_t len, const char *prefijo, unsigned k)
{
    snprintf(buf, len, "%s%05u", prefijo, k);
}

/* One call, logged; false if the log is full or out of memory. */
static bool
ch_paso(struct churn *ch, struct ch_cliente *cl, unsigned i, struct conexion *c)
{
    char id[VALIDAR_ID_MAX + 1], nombre[] = "churn";
    struct ch_op *o;
    enum resultado r;
    int32_t leido = -1;

    if (cl->log.n >= CH_BASE || (o = verif_registro_nuevo(&cl->log)) == NULL)
        return false;
    o->k = (uint32_t)azar_menor(&cl->azar, ch->s);
    o->op = (uint8_t)mezcla_elegir(&ch->m, &cl->azar);
    o->valor = (int32_t)(i * CH_BASE + (cl->log.n - 1));
    ch_id(id, sizeof id, ch->prefijo, o->k);
    o->t0 = reloj_ns();
    switch (o->op) {
    case OP_AGREGAR:
        r = ops_agregar(c, id, nombre, o->valor);
        break;
    case OP_ACTUALIZAR:
        r = ops_actualizar(c, id, o->valor);
        break;
    case OP_ELIMINAR:
        r = ops_eliminar(c, id);
        break;
    default:
        o->op = OP_OBTENER;
        r = ops_obtener_copia(c, id, &leido, NULL, 0);
        o->valor = r == RES_OK ? leido : -1;
        break;
    }
    o->t1 = reloj_ns();
    o->res = (uint8_t)r;
    estad_anotar(&cl->e, (enum op)o->op, r, o->t1 - o->t0);
    return true;
}

static int
ch_correr(void *ctx, unsigned i)
{
    struct churn *ch = ctx;
    struct ch_cliente *cl = &ch->cl[i];
    struct verif_ritmo ritmo;
    struct conexion *c = NULL;
    bool ok;

    ok = (c = destino_conexion(&ch->c->destino)) != NULL &&
         conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: cliente %u: %s\n", i, conexion_error(c));
    if (!trabajo_listo(ok))
        goto out;
    verif_ritmo_init(&ritmo, ch->c, i, ch->c->clientes);
    cl->e.t0 = reloj_ns();
    while (verif_ritmo_sigue(&ritmo) && ch_paso(ch, cl, i, c))
        ;
    cl->e.t1 = reloj_ns();
out:
    conexion_liberar(c);
    return cl->rc = ok ? SALIDA_OK : SALIDA_INALCANZABLE;
}

static bool
ch_guardar(void *ctx, unsigned i, int fd)
{
    struct churn *ch = ctx;

    return trabajo_escribir(fd, &ch->cl[i].e, sizeof ch->cl[i].e) &&
           verif_registro_guardar(&ch->cl[i].log, fd);
}

static bool
ch_cargar(void *ctx, unsigned i, int fd)
{
    struct churn *ch = ctx;

    return trabajo_leer(fd, &ch->cl[i].e, sizeof ch->cl[i].e) &&
           verif_registro_cargar(&ch->cl[i].log, fd);
}

static bool
ch_escritura(const struct ch_op *o)
{
    return o->op == OP_AGREGAR || o->op == OP_ACTUALIZAR || o->op == OP_ELIMINAR;
}

/* The call that wrote value v, or NULL if no write of ours did. */
static const struct ch_op *
ch_autor(const struct churn *ch, int32_t v)
{
    unsigned cli = (unsigned)v / CH_BASE, idx = (unsigned)v % CH_BASE;
    const struct ch_op *o;

    if (v < 0 || cli >= ch->c->clientes || idx >= ch->cl[cli].log.n)
        return NULL;
    o = (const struct ch_op *)ch->cl[cli].log.v + idx;
    return o->op == OP_AGREGAR || o->op == OP_ACTUALIZAR ? o : NULL;
}

/* The final check's working state, per shared id. */
struct ch_final {
    struct churn *ch;
    struct verif *v;
    uint64_t     *ultimo_inicio;    /* latest start of an acknowledged write; 0 none */
    int32_t      *final;            /* stock on the server, -1 absent */
    bool         *baja_candidata;   /* a candidate eliminar exists */
    uint64_t      listados;
};

/* The index of one of the shared ids; false if id is none of them. */
static bool
ch_parse(const struct churn *ch, const char *id, unsigned *k)
{
    char otra[VALIDAR_ID_MAX + 1];

    if (sscanf(id + strlen(ch->prefijo), "%u", k) != 1 || *k >= ch->s)
        return false;
    ch_id(otra, sizeof otra, ch->prefijo, *k);
    return strcmp(otra, id) == 0;
}

static bool
ch_visitar(void *ctx, const char *id, const char *nombre, int32_t stock)
{
    struct ch_final *f = ctx;
    unsigned k;

    (void)nombre;
    f->listados++;
    if (!ch_parse(f->ch, id, &k)) {
        verif_violacion(f->v, "%s: existe y nadie lo agregó", id);
        return true;
    }
    f->final[k] = stock;
    return true;
}

/* Could o have been the last effect on its id? */
static bool
ch_candidata(const struct ch_final *f, const struct ch_op *o)
{
    if (!ch_escritura(o))
        return false;
    if (resultado_incierto((enum resultado)o->res))
        return true;
    return o->res == RES_OK && o->t1 >= f->ultimo_inicio[o->k];
}

/* Walks every logged call of every client. */
#define CH_CADA_OP(ch, o)                                                    \
    for (unsigned ci_ = 0; ci_ < (ch)->c->clientes; ci_++)                    \
        for (const struct ch_op *o = (ch)->cl[ci_].log.v,                    \
                                *fin_##o = o + (ch)->cl[ci_].log.n;          \
             o < fin_##o; o++)

static void
ch_lecturas(struct ch_final *f, uint64_t *comprobadas)
{
    char id[VALIDAR_ID_MAX + 1];

    CH_CADA_OP(f->ch, o) {
        const struct ch_op *w;

        if (o->op != OP_OBTENER || o->res != RES_OK)
            continue;
        (*comprobadas)++;
        w = ch_autor(f->ch, o->valor);
        if (w == NULL || w->k != o->k || w->t0 > o->t1 ||
            !(w->res == RES_OK || resultado_incierto((enum resultado)w->res))) {
            ch_id(id, sizeof id, f->ch->prefijo, o->k);
            verif_violacion(f->v, "%s: una lectura devolvió stock %d, que ninguna "
                            "escritura iniciada antes produjo", id, o->valor);
        }
    }
}

static void
ch_estado_final(struct ch_final *f)
{
    char id[VALIDAR_ID_MAX + 1];

    for (unsigned k = 0; k < f->ch->s; k++) {
        const struct ch_op *w;

        ch_id(id, sizeof id, f->ch->prefijo, k);
        if (f->final[k] < 0) {
            if (f->ultimo_inicio[k] != 0 && !f->baja_candidata[k])
                verif_violacion(f->v, "%s: ausente, pero ninguna eliminación "
                                "pudo ser la última operación", id);
            continue;
        }
        w = ch_autor(f->ch, f->final[k]);
        if (w == NULL || w->k != k)
            verif_violacion(f->v, "%s: stock %d, que ninguna escritura de este id "
                            "produjo", id, f->final[k]);
        else if (!ch_candidata(f, w))
            verif_violacion(f->v, "%s: stock %d, de un %s (%s) que no pudo ser la "
                            "última operación: otra confirmada empezó después de "
                            "que terminara", id, f->final[k], op_nombre((enum op)w->op),
                            resultado_codigo((enum resultado)w->res));
    }
}

static int
ch_comprobar(struct churn *ch, struct verif *v)
{
    struct ch_final f = { ch, v, xcalloc(ch->s, sizeof(uint64_t), "la verificación"),
                          xcalloc(ch->s, sizeof(int32_t), "la verificación"),
                          xcalloc(ch->s, sizeof(bool), "la verificación"), 0 };
    uint64_t confirmadas = 0, lecturas = 0, presentes = 0;
    struct conexion *c = NULL;
    enum resultado r;
    int rc = SALIDA_LOCAL;

    if (f.ultimo_inicio == NULL || f.final == NULL || f.baja_candidata == NULL)
        goto out;
    for (unsigned k = 0; k < ch->s; k++)
        f.final[k] = -1;
    if ((c = destino_conexion(&ch->c->destino)) == NULL)
        goto out;
    r = verif_listar_prefijo(c, ch->prefijo, ch_visitar, &f);
    if (r != RES_OK)
        fprintf(stderr, "inventario-stress: no se pudo leer el estado final: %s %s\n",
                resultado_codigo(r), conexion_error(c));
    conexion_liberar(c);
    if (r != RES_OK) {
        rc = SALIDA_INALCANZABLE;
        goto out;
    }
    CH_CADA_OP(ch, o)
        if (ch_escritura(o) && o->res == RES_OK) {
            confirmadas++;
            if (o->t0 > f.ultimo_inicio[o->k])
                f.ultimo_inicio[o->k] = o->t0;
        }
    CH_CADA_OP(ch, o)
        if (o->op == OP_ELIMINAR && ch_candidata(&f, o))
            f.baja_candidata[o->k] = true;
    ch_estado_final(&f);
    ch_lecturas(&f, &lecturas);
    for (unsigned k = 0; k < ch->s; k++)
        presentes += f.final[k] >= 0;
    verif_dato(v, "ids_compartidos", ch->s);
    verif_dato(v, "escrituras_confirmadas", (int64_t)confirmadas);
    verif_dato(v, "lecturas_comprobadas", (int64_t)lecturas);
    verif_dato(v, "presentes_al_final", (int64_t)presentes);
    rc = SALIDA_OK;
out:
    free(f.ultimo_inicio);
    free(f.final);
    free(f.baja_candidata);
    return rc;
}

int
verif_churn(const struct config *c, struct informe *inf)
{
    struct churn ch = { .c = c, .prefijo = c->prefijo, .s = c->productos };
    struct trabajo_ops ops = { ch_correr, ch_guardar, ch_cargar, c->destino.plazo_s * 2 + 10 };
    struct estad *total = xcalloc(1, sizeof *total, "los resultados");
    struct verif v;
    char err[128];
    int rc = SALIDA_LOCAL;

    if (c->mezcla_dada)
        ch.m = c->mezcla;
    else
        (void)mezcla_parse(CH_MEZCLA, &ch.m, err, sizeof err);
    ch.cl = xcalloc(c->clientes, sizeof *ch.cl, "los clientes");
    if (!verif_init(&v, "churn") || total == NULL || ch.cl == NULL)
        goto out;
    for (unsigned i = 0; i < c->clientes; i++) {
        estad_init(&ch.cl[i].e);
        azar_init(&ch.cl[i].azar, c->semilla + i * 0x9E3779B97F4A7C15ull);
        verif_registro_init(&ch.cl[i].log, sizeof(struct ch_op));
    }
    informe_nota(inf, "churn: %u clientes sobre %u ids compartidos, prefijo %s",
                 c->clientes, ch.s, ch.prefijo);
    estad_init(total);
    rc = trabajo_ejecutar(c->clientes, c->procesos, &ops, &ch);
    for (unsigned i = 0; i < c->clientes; i++) {
        estad_sumar(total, &ch.cl[i].e);
        for (size_t k = 0; k < ch.cl[i].log.n; k++)
            v.inciertas += resultado_incierto((enum resultado)((struct ch_op *)ch.cl[i].log.v)[k].res);
    }
    verif_informe_carga(inf, "churn", c->clientes, total);
    if (rc == SALIDA_OK) {
        verif_gancho(ch.prefijo, inf);
        rc = ch_comprobar(&ch, &v);
    }
out:
    rc = verif_fin(&v, inf, rc);
    for (unsigned i = 0; ch.cl != NULL && i < c->clientes; i++)
        verif_registro_libre(&ch.cl[i].log);
    free(total);
    free(ch.cl);
    return rc;
}
