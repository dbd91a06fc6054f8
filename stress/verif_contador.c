/* verif_contador.c - --verify counter: concurrent AJUSTAR_STOCK adds up exactly.
 *
 * Every client adds random deltas to the same few products ("<prefix><k>")
 * with AJUSTAR_STOCK (version 2).  Each call's motivo names it:
 * "<prefix>c<client>-<n>", n its index in the client's log; with keys
 * (--retry or --dup-rate) the same text is the call's clave, so it is
 * unique across runs.  Checks, after the load:
 *
 *   - the movement log, read from the start with MOVIMIENTOS, has seqs 1, 2,
 *     3 ... with no gap up to ultimo_seq, and chains per id: each movement's
 *     stock_antes is the stock_despues of the id's previous one (ALTA from 0,
 *     BAJA to 0, nothing on an absent id);
 *   - every movement of our products since the ALTA that created them (or,
 *     for products that existed before, since the set-up) is one of our
 *     calls, with its delta, applied once: a call acknowledged OK appears
 *     exactly once, a refused one never, an unanswered one at most once;
 *   - each product's stock is its initial stock plus the deltas of the
 *     acknowledged calls and of the unanswered ones the log shows applied,
 *     and equals its newest movement's stock_despues.
 *
 * Without keys an unanswered call is not retried (a retry could apply it
 * twice); with --retry it is resent with the same key, after reconnecting,
 * until it is answered.  --dup-rate resends acknowledged calls with their
 * key on purpose (every other one on a new connection): the repeat must
 * answer OK with the stock of the first answer, and apply nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salida.h"
#include "tabla.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"
#include "xdrproc.h"

#define CT_STOCK_INICIAL 1000000
#define CT_DELTA_MAX     10
#define CT_LOG_MAX       10000000u      /* calls per client: 7 digits */
#define CT_TEXTO_MAX     (VALIDAR_TEXTO_MAX + 1)

struct ct_op {
    int32_t  delta;
    int32_t  stock;         /* the stock the OK answer carried */
    uint32_t k;
    uint8_t  res;           /* enum resultado, after any retries */
    uint8_t  visto;         /* times found in the log */
};

/* The part of a client that is plain data. */
struct ct_datos {
    struct estad       e;
    struct azar        azar;
    struct verif_notas notas;
    uint64_t           reintentos, duplicados;
};

struct ct_cliente {
    struct ct_datos       d;
    struct verif_registro log;      /* struct ct_op */
};

struct contador {
    const struct config *c;
    const char          *prefijo;
    unsigned             k;         /* products */
    bool                 claves;
    int32_t             *inicial;
    /* Which products the set-up created (its agregar answered OK): every
     * movement of theirs after that ALTA (the first ALTA after seq_antes,
     * the newest seq before the set-up) must be one of our calls.  For a
     * product that already existed (a reused --prefix), every movement
     * after seq0, the newest seq when the set-up ended. */
    bool                *creado;
    uint64_t             seq_antes, seq0;
    struct ct_cliente   *cl;
};

static void
ct_id(char *buf, size_t len, const char *prefijo, unsigned k)
{
    snprintf(buf, len, "%s%03u", prefijo, k);
}

static void
ct_motivo(char *buf, size_t len, const char *prefijo, unsigned cli, size_t n)
{
    snprintf(buf, len, "%sc%03u-%07zu", prefijo, cli, n);
}

/* One AJUSTAR_STOCK, timed. */
static enum resultado
ct_ajustar(struct ct_cliente *cl, struct conexion *c, char *id, int32_t delta,
           char *motivo, char *clave, int32_t *stock)
{
    uint64_t t = verif_t0();
    enum resultado r = ops_ajustar_copia(c, id, delta, motivo, clave, stock);

    verif_t1(&cl->d.e, OP_AJUSTAR, r, t);
    return r;
}

/* Sends an acknowledged call again with its key; it must change nothing
 * and answer what the first call answered. */
static void
ct_duplicar(struct ct_cliente *cl, struct conexion *c, char *id,
            const struct ct_op *o, char *clave)
{
    int32_t stock = -1;
    enum resultado r;

    /* Every other repeat goes on a new connection, as a retry would. */
    if (cl->d.duplicados++ % 2 == 1)
        conexion_cerrar(c);
    r = ct_ajustar(cl, c, id, o->delta, clave, clave, &stock);
    if (r == RES_OK && stock != o->stock)
        verif_nota(&cl->d.notas, "%s: el duplicado de la clave %s respondió stock "
                   "%d y el primero %d", id, clave, stock, o->stock);
    else if (resultado_de_servidor(r) && r != RES_OK)
        verif_nota(&cl->d.notas, "%s: el duplicado de la clave %s respondió %s",
                   id, clave, resultado_codigo(r));
}

/* One adjustment, retried with its key while unanswered if --retry. */
static bool
ct_paso(struct contador *ct, struct ct_cliente *cl, unsigned i, struct conexion *c)
{
    char id[VALIDAR_ID_MAX + 1], motivo[CT_TEXTO_MAX], vacia[] = "";
    const struct config *cf = ct->c;
    struct ct_op *o;
    enum resultado r;

    if (cl->log.n >= CT_LOG_MAX || (o = verif_registro_nuevo(&cl->log)) == NULL)
        return false;
    o->k = (uint32_t)azar_menor(&cl->d.azar, ct->k);
    o->delta = (int32_t)azar_menor(&cl->d.azar, 2 * CT_DELTA_MAX + 1) - CT_DELTA_MAX;
    ct_id(id, sizeof id, ct->prefijo, o->k);
    ct_motivo(motivo, sizeof motivo, ct->prefijo, i, cl->log.n - 1);
    r = ct_ajustar(cl, c, id, o->delta, motivo, ct->claves ? motivo : vacia, &o->stock);
    for (unsigned t = 0; cf->reintentar && resultado_incierto(r) && t < cf->max_reintentos; t++) {
        dormir_ns(50000000ull << (t < 4 ? t : 4));     /* 50 ms .. 0.8 s */
        cl->d.reintentos++;
        r = ct_ajustar(cl, c, id, o->delta, motivo, motivo, &o->stock);
    }
    o->res = (uint8_t)r;
    if (r == RES_INVALIDO)
        verif_nota(&cl->d.notas, "%s: ajustar %+d (clave '%s') respondió INVALIDO",
                   id, o->delta, ct->claves ? motivo : "");
    if (r == RES_OK && ct->claves && cf->dup_rate > 0 &&
        azar_unidad(&cl->d.azar) < cf->dup_rate)
        ct_duplicar(cl, c, id, o, motivo);
    return true;
}

static int
ct_correr(void *ctx, unsigned i)
{
    struct contador *ct = ctx;
    struct ct_cliente *cl = &ct->cl[i];
    struct verif_ritmo ritmo;
    struct conexion *c = NULL;
    bool ok;

    ok = (c = destino_conexion(&ct->c->destino)) != NULL &&
         conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: cliente %u: %s\n", i, conexion_error(c));
    if (!trabajo_listo(ok))
        goto out;
    verif_ritmo_init(&ritmo, ct->c, i, ct->c->clientes);
    cl->d.e.t0 = reloj_ns();
    while (verif_ritmo_sigue(&ritmo) && ct_paso(ct, cl, i, c))
        ;
    cl->d.e.t1 = reloj_ns();
out:
    conexion_liberar(c);
    return ok ? SALIDA_OK : SALIDA_INALCANZABLE;
}

static bool
ct_guardar(void *ctx, unsigned i, int fd)
{
    struct contador *ct = ctx;

    return trabajo_escribir(fd, &ct->cl[i].d, sizeof ct->cl[i].d) &&
           verif_registro_guardar(&ct->cl[i].log, fd);
}

static bool
ct_cargar(void *ctx, unsigned i, int fd)
{
    struct contador *ct = ctx;

    return trabajo_leer(fd, &ct->cl[i].d, sizeof ct->cl[i].d) &&
           verif_registro_cargar(&ct->cl[i].log, fd);
}

/* An idempotent call of the set-up or the check, retried while unanswered. */
#define CT_LEER(r, call)                                                     \
    do {                                                                     \
        for (int t_ = 0; t_ < VERIF_INTENTOS_LECTURA; t_++) {                \
            if (!resultado_incierto((r) = (call)))                                 \
                break;                                                       \
            dormir_ns(100000000u);                                           \
        }                                                                    \
    } while (0)

/* The newest seq of the log, from ESTADO. */
static int
ct_ultimo_seq(struct conexion *c, uint64_t *seq)
{
    estado_servidor es;
    enum resultado r;

    CT_LEER(r, ops_estado(c, &es));
    *seq = es.ultimo_seq;
    ops_estado_liberar(&es);
    if (r == RES_OK)
        return SALIDA_OK;
    fprintf(stderr, "inventario-stress: ESTADO falló: %s %s\n", resultado_codigo(r),
            conexion_error(c));
    return SALIDA_INALCANZABLE;
}

/* Creates the products (or takes over existing ones) and notes where the
 * log stands before and after, before any client starts. */
static int
ct_preparar(struct contador *ct, struct conexion *c)
{
    char id[VALIDAR_ID_MAX + 1], nombre[] = "contador";
    enum resultado r;
    int rc;

    if ((rc = ct_ultimo_seq(c, &ct->seq_antes)) != SALIDA_OK)
        return rc;
    for (unsigned k = 0; k < ct->k; k++) {
        ct_id(id, sizeof id, ct->prefijo, k);
        /* A repeated agregar answers YA_EXISTE: safe to retry. */
        CT_LEER(r, ops_agregar(c, id, nombre, CT_STOCK_INICIAL));
        ct->creado[k] = r == RES_OK;
        if (r == RES_OK)
            ct->inicial[k] = CT_STOCK_INICIAL;
        else if (r == RES_YA_EXISTE)
            CT_LEER(r, ops_obtener_copia(c, id, &ct->inicial[k], NULL, 0));
        if (r != RES_OK) {
            fprintf(stderr, "inventario-stress: no se pudo preparar %s: %s %s\n",
                    id, resultado_codigo(r), resultado_incierto(r) ? conexion_error(c) : "");
            return resultado_incierto(r) ? SALIDA_INALCANZABLE : SALIDA_VERIFICACION;
        }
    }
    return ct_ultimo_seq(c, &ct->seq0);
}

/* The final check's working state. */
struct ct_final {
    struct contador *ct;
    struct verif    *v;
    struct tabla    *cadenas;
    int64_t         *aplicado;      /* per product: deltas the log shows applied */
    bool            *alta_vista;    /* per created product: its ALTA was read */
    uint64_t         esperado_seq, movimientos, inciertos_aplicados;
};

/* The chain rule for one movement of any id. */
static void
ct_cadena(struct ct_final *f, const movimiento *m)
{
    struct tabla_valor *e = tabla_entrada(f->cadenas, m->id);
    unsigned long long seq = m->seq;

    if (e == NULL)
        return;
    if (m->tipo == ALTA) {
        if (e->presente || m->stock_antes != 0)
            verif_violacion(f->v, "seq %llu: ALTA de %s %s", seq, m->id,
                            e->presente ? "que ya existía" : "con stock_antes no 0");
        e->presente = true;
    } else if (m->tipo == STOCK || m->tipo == BAJA) {
        if (!e->presente)
            verif_violacion(f->v, "seq %llu: movimiento de %s, que no existía", seq,
                            m->id);
        else if (m->stock_antes != e->stock)
            verif_violacion(f->v, "seq %llu: %s pasa de %d a %d, pero el movimiento "
                            "anterior lo dejó en %d", seq, m->id, m->stock_antes,
                            m->stock_despues, e->stock);
        if (m->tipo == BAJA && m->stock_despues != 0)
            verif_violacion(f->v, "seq %llu: BAJA de %s con stock_despues %d", seq,
                            m->id, m->stock_despues);
        e->presente = m->tipo == STOCK;
    } else {
        verif_violacion(f->v, "seq %llu: tipo de movimiento desconocido %d", seq,
                        (int)m->tipo);
    }
    e->stock = m->stock_despues;
}

/* The call a motivo names, or NULL if it is none of ours. */
static struct ct_op *
ct_llamada(struct contador *ct, const char *motivo)
{
    char otra[CT_TEXTO_MAX];
    size_t plen = strlen(ct->prefijo);
    unsigned cli;
    size_t n;

    if (strncmp(motivo, ct->prefijo, plen) != 0 ||
        sscanf(motivo + plen, "c%u-%zu", &cli, &n) != 2 || cli >= ct->c->clientes ||
        n >= ct->cl[cli].log.n)
        return NULL;
    ct_motivo(otra, sizeof otra, ct->prefijo, cli, n);
    return strcmp(otra, motivo) == 0 ? (struct ct_op *)ct->cl[cli].log.v + n : NULL;
}

/* The product index of one of our ids, or -1. */
static int
ct_producto(const struct contador *ct, const char *id)
{
    char otra[VALIDAR_ID_MAX + 1];
    unsigned k;

    if (strncmp(id, ct->prefijo, strlen(ct->prefijo)) != 0 ||
        sscanf(id + strlen(ct->prefijo), "%u", &k) != 1 || k >= ct->k)
        return -1;
    ct_id(otra, sizeof otra, ct->prefijo, k);
    return strcmp(otra, id) == 0 ? (int)k : -1;
}

/* A movement of one of our products after the set-up: one of our calls,
 * with its delta, applied at most once and only if it could have been. */
static void
ct_mov(struct ct_final *f, const movimiento *m, unsigned k)
{
    struct ct_op *o = ct_llamada(f->ct, m->motivo);
    unsigned long long seq = m->seq;

    if (m->tipo != STOCK || o == NULL) {
        verif_violacion(f->v, "seq %llu: movimiento ajeno de %s (%d -> %d, motivo "
                        "'%s')", seq, m->id, m->stock_antes, m->stock_despues,
                        m->motivo);
        return;
    }
    if (o->k != k || (int64_t)m->stock_despues - m->stock_antes != o->delta)
        verif_violacion(f->v, "seq %llu: %s cambia %s en %+lld y la llamada era %+d "
                        "sobre otro o el mismo producto", seq, m->motivo, m->id,
                        (long long)m->stock_despues - m->stock_antes, o->delta);
    if (!(o->res == RES_OK || resultado_incierto((enum resultado)o->res)))
        verif_violacion(f->v, "seq %llu: se aplicó %s, que respondió %s", seq,
                        m->motivo, resultado_codigo((enum resultado)o->res));
    if (++o->visto == 2)
        verif_violacion(f->v, "seq %llu: %s se aplicó dos veces", seq, m->motivo);
    if (o->visto == 1 && resultado_incierto((enum resultado)o->res)) {
        f->aplicado[k] += o->delta;
        f->inciertos_aplicados++;
    }
}

/* Is m a movement the counter rules judge?  See struct contador.creado. */
static bool
ct_nuestro(struct ct_final *f, const movimiento *m, unsigned k)
{
    if (!f->ct->creado[k])
        return m->seq > f->ct->seq0;
    if (m->seq <= f->ct->seq_antes)
        return false;
    if (!f->alta_vista[k] && m->tipo == ALTA) {
        f->alta_vista[k] = true;        /* the set-up's own */
        return false;
    }
    return f->alta_vista[k];
}

/* One page of the log: the gap and chain rules, and our movements. */
static void
ct_pagina_log(struct ct_final *f, const movimientos_ok *ok)
{
    for (u_int i = 0; i < ok->movimientos.movimientos_len; i++) {
        const movimiento *m = &ok->movimientos.movimientos_val[i];
        int k;

        if (m->seq != f->esperado_seq)
            verif_violacion(f->v, "hueco en el registro: se esperaba seq %llu y "
                            "llegó %llu", (unsigned long long)f->esperado_seq,
                            (unsigned long long)m->seq);
        f->esperado_seq = m->seq + 1;
        f->movimientos++;
        ct_cadena(f, m);
        if ((k = ct_producto(f->ct, m->id)) >= 0 && ct_nuestro(f, m, (unsigned)k))
            ct_mov(f, m, (unsigned)k);
    }
}

/* Reads the whole log, oldest first, page by page. */
static int
ct_leer_log(struct ct_final *f, struct conexion *c)
{
    uint64_t desde = 0, ultimo = 0, hasta = UINT64_MAX;
    char todos[] = "";

    /* Reads up to the ultimo_seq of the first answer: other writers of the
     * same server may go on adding movements, and must not keep us here. */
    f->esperado_seq = 1;
    for (;;) {
        movimientos_res mr;
        movimientos_ok *ok = &mr.movimientos_res_u.ok;
        enum resultado r;
        u_int n;

        CT_LEER(r, ops_movimientos(c, desde, todos, 1000, &mr));
        if (r != RES_OK) {
            ops_movimientos_liberar(&mr);
            fprintf(stderr, "inventario-stress: MOVIMIENTOS falló: %s %s\n",
                    resultado_codigo(r), conexion_error(c));
            return SALIDA_INALCANZABLE;
        }
        ct_pagina_log(f, ok);
        n = ok->movimientos.movimientos_len;
        ultimo = ok->ultimo_seq;
        if (hasta == UINT64_MAX)
            hasta = ultimo;
        if (n > 0)
            desde = ok->movimientos.movimientos_val[n - 1].seq;
        ops_movimientos_liberar(&mr);
        if (n == 0 || desde >= hasta)
            break;
    }
    if (desde < hasta)
        verif_violacion(f->v, "el registro termina en seq %llu y ultimo_seq es %llu",
                        (unsigned long long)desde, (unsigned long long)ultimo);
    verif_dato(f->v, "ultimo_seq", (int64_t)ultimo);
    return SALIDA_OK;
}

/* Acknowledged calls against the log, and each stock against its sum. */
static void
ct_cuentas(struct ct_final *f, const int32_t *final)
{
    struct contador *ct = f->ct;
    char id[VALIDAR_ID_MAX + 1], motivo[CT_TEXTO_MAX], como[64];
    uint64_t confirmados = 0;

    for (unsigned i = 0; i < ct->c->clientes; i++)
        for (size_t n = 0; n < ct->cl[i].log.n; n++) {
            const struct ct_op *o = (const struct ct_op *)ct->cl[i].log.v + n;

            if (o->res != RES_OK)
                continue;
            confirmados++;
            f->aplicado[o->k] += o->delta;
            if (o->visto == 0) {
                ct_motivo(motivo, sizeof motivo, ct->prefijo, i, n);
                verif_violacion(f->v, "%s: ajuste confirmado (%+d) que no está en "
                                "el registro", motivo, o->delta);
            }
        }
    for (unsigned k = 0; k < ct->k; k++) {
        int64_t esperado = (int64_t)ct->inicial[k] + f->aplicado[k];
        const struct tabla_valor *e;

        ct_id(id, sizeof id, ct->prefijo, k);
        snprintf(como, sizeof como, "inicial %d, ajustes %+lld", ct->inicial[k],
                 (long long)f->aplicado[k]);
        verif_producto(f->v, id, esperado, final[k], como);
        if (final[k] != esperado)
            verif_violacion(f->v, "%s: stock final %d, y el inicial %d más los "
                            "ajustes aplicados da %lld", id, final[k],
                            ct->inicial[k], (long long)esperado);
        e = tabla_buscar(f->cadenas, id);
        if (e == NULL || !e->presente || e->stock != final[k])
            verif_violacion(f->v, "%s: stock %d, pero su último movimiento lo deja "
                            "en %d", id, final[k], e ? e->stock : -1);
    }
    verif_dato(f->v, "ajustes_confirmados", (int64_t)confirmados);
}

/* Reads the final stocks and the log, and checks them. */
static int
ct_comprobar(struct contador *ct, struct verif *v)
{
    struct ct_final f = { ct, v, tabla_nueva(),
                          xcalloc(ct->k, sizeof(int64_t), "la verificación"),
                          xcalloc(ct->k, sizeof(bool), "la verificación"), 0, 0, 0 };
    int32_t *final = xcalloc(ct->k, sizeof *final, "la verificación");
    char id[VALIDAR_ID_MAX + 1];
    struct conexion *c = NULL;
    int rc = SALIDA_LOCAL;
    enum resultado r = RES_OK;

    c = destino_conexion(&ct->c->destino);
    if (c == NULL || f.cadenas == NULL || f.aplicado == NULL || f.alta_vista == NULL || final == NULL)
        goto out;
    for (unsigned k = 0; k < ct->k && r == RES_OK; k++) {
        ct_id(id, sizeof id, ct->prefijo, k);
        CT_LEER(r, ops_obtener_copia(c, id, &final[k], NULL, 0));
        if (r == RES_NO_ENCONTRADO) {
            verif_violacion(v, "%s: ha desaparecido", id);
            final[k] = -1;
            r = RES_OK;
        }
    }
    rc = SALIDA_INALCANZABLE;
    if (r != RES_OK || (rc = ct_leer_log(&f, c)) != SALIDA_OK)
        goto out;
    ct_cuentas(&f, final);
    verif_dato(v, "productos", ct->k);
    verif_dato(v, "stock_inicial", CT_STOCK_INICIAL);
    verif_dato(v, "movimientos_leidos", (int64_t)f.movimientos);
    verif_dato(v, "inciertos_aplicados", (int64_t)f.inciertos_aplicados);
out:
    conexion_liberar(c);
    tabla_libre(f.cadenas);
    free(f.aplicado);
    free(f.alta_vista);
    free(final);
    return rc;
}

/* Adds every client's figures and run-time findings to v and total. */
static void
ct_sumar(struct contador *ct, struct verif *v, struct estad *total)
{
    uint64_t reintentos = 0, duplicados = 0;

    for (unsigned i = 0; i < ct->c->clientes; i++) {
        struct ct_cliente *cl = &ct->cl[i];

        estad_sumar(total, &cl->d.e);
        verif_notas_volcar(v, &cl->d.notas);
        reintentos += cl->d.reintentos;
        duplicados += cl->d.duplicados;
        for (size_t n = 0; n < cl->log.n; n++)
            v->inciertas += resultado_incierto((enum resultado)((struct ct_op *)cl->log.v)[n].res);
    }
    verif_dato(v, "reintentos", (int64_t)reintentos);
    verif_dato(v, "duplicados_enviados", (int64_t)duplicados);
}

int
verif_contador(const struct config *c, struct informe *inf)
{
    struct contador ct = { .c = c, .prefijo = c->prefijo, .k = c->productos,
                           .claves = c->reintentar || c->dup_rate > 0 };
    struct trabajo_ops ops = { ct_correr, ct_guardar, ct_cargar, c->destino.plazo_s * 2 + 10 };
    struct estad *total = xcalloc(1, sizeof *total, "los resultados");
    struct conexion *con = NULL;
    struct verif v;
    int rc = SALIDA_LOCAL;

    ct.cl = xcalloc(c->clientes, sizeof *ct.cl, "los clientes");
    ct.inicial = xcalloc(ct.k, sizeof *ct.inicial, "los productos");
    ct.creado = xcalloc(ct.k, sizeof *ct.creado, "los productos");
    if (!verif_init(&v, "counter") || total == NULL || ct.cl == NULL ||
        ct.inicial == NULL || ct.creado == NULL)
        goto out;
    for (unsigned i = 0; i < c->clientes; i++) {
        estad_init(&ct.cl[i].d.e);
        azar_init(&ct.cl[i].d.azar, c->semilla + i * 0x9E3779B97F4A7C15ull);
        verif_registro_init(&ct.cl[i].log, sizeof(struct ct_op));
    }
    if ((con = destino_conexion(&c->destino)) == NULL)
        goto out;
    rc = ct_preparar(&ct, con);
    conexion_liberar(con);
    if (rc != SALIDA_OK)
        goto out;
    informe_nota(inf, "counter: %u clientes sobre %u productos, prefijo %s, claves %s, "
                 "registro desde seq %llu", c->clientes, ct.k, ct.prefijo,
                 ct.claves ? "sí" : "no", (unsigned long long)ct.seq0);
    estad_init(total);
    rc = trabajo_ejecutar(c->clientes, c->procesos, &ops, &ct);
    ct_sumar(&ct, &v, total);
    verif_informe_carga(inf, "counter", c->clientes, total);
    if (rc == SALIDA_OK) {
        verif_gancho(ct.prefijo, inf);
        rc = ct_comprobar(&ct, &v);
    }
out:
    rc = verif_fin(&v, inf, rc);
    for (unsigned i = 0; ct.cl != NULL && i < c->clientes; i++)
        verif_registro_libre(&ct.cl[i].log);
    free(total);
    free(ct.cl);
    free(ct.inicial);
    free(ct.creado);
    return rc;
}
