/* verif_disjunto.c - --verify disjoint: each client owns its ids; nothing lost, nothing extra.
 *
 * Client i writes only ids "<prefix>c<i>-<k>", k < K, so it alone decides
 * their state and keeps an exact model of them.  Every answer is checked
 * against the model as it arrives (an agregar on a present id must answer
 * YA_EXISTE, an obtener must return the last acknowledged stock...).  A call
 * with no answer leaves the id in one of two states, before or after; the
 * client's next touch of that id reads it to learn which.  At the end the
 * listing of the prefix must hold exactly the present ids, each with its
 * owner's last acknowledged stock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"

#define DJ_MEZCLA "agregar=30,actualizar=35,eliminar=10,obtener=25"

struct dj_estado {
    bool    presente;
    int32_t stock;
};

/* What a client knows of one of its ids: n = 1 exactly posible[0]; n = 2
 * one of the two (a call got no answer); n = 0 nothing (after a violation:
 * the next read is taken as it comes). */
struct dj_id {
    struct dj_estado posible[2];
    uint8_t          n;
};

struct dj_cliente {
    struct estad       e;
    struct azar        azar;
    struct verif_notas notas;
    uint64_t           inciertas;
    int                rc;
};

struct dj {
    const struct config *c;
    const char          *prefijo;
    unsigned             k;         /* ids per client */
    struct mezcla        m;
    struct dj_id        *ids;       /* client i's are ids[i*k ...] */
    struct dj_cliente   *cl;
};

static void
dj_id_texto(char *buf, size_t len, const char *prefijo, unsigned cliente, unsigned k)
{
    snprintf(buf, len, "%sc%03u-%05u", prefijo, cliente, k);
}

static void
dj_nombre(char *buf, size_t len, unsigned cliente)
{
    snprintf(buf, len, "disjunto c%03u", cliente);
}

static bool
dj_admite(const struct dj_id *x, bool presente, int32_t stock)
{
    for (unsigned i = 0; i < x->n; i++)
        if (x->posible[i].presente == presente &&
            (!presente || x->posible[i].stock == stock))
            return true;
    return x->n == 0;
}

/* What x allows, as text: "stock 5", "ausente", "stock 5 o ausente". */
static void
dj_esperado(const struct dj_id *x, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    if (x->n == 0)
        snprintf(buf, len, "cualquiera");
    for (unsigned i = 0; i < x->n && off < len; i++) {
        int w = x->posible[i].presente
                    ? snprintf(buf + off, len - off, "%sstock %d", i ? " o " : "",
                               x->posible[i].stock)
                    : snprintf(buf + off, len - off, "%sausente", i ? " o " : "");
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

/* Reads id and checks the answer against what x allows; x becomes exact. */
static void
dj_leer(struct dj_cliente *cl, unsigned i, struct conexion *c, struct dj_id *x,
        char *id)
{
    char nombre[VALIDAR_NOMBRE_MAX + 1], mio[64], visto[32], esperado[80];
    int32_t stock = 0;
    uint64_t t = verif_t0();
    enum resultado r = ops_obtener_copia(c, id, &stock, nombre, sizeof nombre);

    verif_t1(&cl->e, OP_OBTENER, r, t);
    if (r != RES_OK && r != RES_NO_ENCONTRADO)
        return;                 /* no news: x stays as it is */
    dj_nombre(mio, sizeof mio, i);
    if (!dj_admite(x, r == RES_OK, stock)) {
        if (r == RES_OK)
            snprintf(visto, sizeof visto, "stock %d", stock);
        else
            snprintf(visto, sizeof visto, "NO_ENCONTRADO");
        dj_esperado(x, esperado, sizeof esperado);
        verif_nota(&cl->notas, "%s: obtener devolvió %s y se esperaba %s", id,
                   visto, esperado);
    } else if (r == RES_OK && strcmp(nombre, mio) != 0) {
        verif_nota(&cl->notas, "%s: obtener devolvió el nombre '%s' y se "
                   "esperaba '%s'", id, nombre, mio);
    }
    x->posible[0] = (struct dj_estado){ r == RES_OK, r == RES_OK ? stock : 0 };
    x->n = 1;
}

/* One write on an id whose state is known exactly, checked as it answers. */
static void
dj_escribir(struct dj *d, struct dj_cliente *cl, unsigned i, struct conexion *c,
            struct dj_id *x, char *id, enum op op)
{
    struct dj_estado antes = x->posible[0], despues = antes;
    int32_t v = (int32_t)azar_menor(&cl->azar, 1000000);
    char nombre[64];
    enum resultado esperado, r;
    uint64_t t = verif_t0();

    (void)d;
    dj_nombre(nombre, sizeof nombre, i);
    if (op == OP_AGREGAR) {
        esperado = antes.presente ? RES_YA_EXISTE : RES_OK;
        despues = (struct dj_estado){ true, v };
        r = ops_agregar(c, id, nombre, v);
    } else if (op == OP_ACTUALIZAR) {
        esperado = antes.presente ? RES_OK : RES_NO_ENCONTRADO;
        despues.stock = v;
        r = ops_actualizar(c, id, v);
    } else {
        esperado = antes.presente ? RES_OK : RES_NO_ENCONTRADO;
        despues = (struct dj_estado){ false, 0 };
        r = ops_eliminar(c, id);
    }
    verif_t1(&cl->e, op, r, t);
    if (esperado != RES_OK)
        despues = antes;        /* a refused call changes nothing */
    if (resultado_incierto(r)) {
        cl->inciertas++;
        x->posible[1] = despues;
        x->n = 2;
    } else if (r == esperado) {
        x->posible[0] = despues;
    } else if (r == RES_ERROR_INTERNO || r == RES_SIN_PERMISO ||
               r == RES_NO_OFRECIDO) {
        /* Refused: nothing changed, and the model stays right. */
    } else {
        verif_nota(&cl->notas, "%s: %s respondió %s y se esperaba %s", id,
                   op_nombre(op), resultado_codigo(r), resultado_codigo(esperado));
        x->n = 0;
    }
}

static int
dj_correr(void *ctx, unsigned i)
{
    struct dj *d = ctx;
    struct dj_cliente *cl = &d->cl[i];
    struct verif_ritmo ritmo;
    struct conexion *c = NULL;
    char id[VALIDAR_ID_MAX + 1];
    bool ok;

    ok = (c = destino_conexion(&d->c->destino)) != NULL &&
         conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: cliente %u: %s\n", i, conexion_error(c));
    if (!trabajo_listo(ok))
        goto out;
    verif_ritmo_init(&ritmo, d->c, i, d->c->clientes);
    cl->e.t0 = reloj_ns();
    while (verif_ritmo_sigue(&ritmo)) {
        unsigned k = (unsigned)azar_menor(&cl->azar, d->k);
        struct dj_id *x = &d->ids[(size_t)i * d->k + k];
        enum op op = mezcla_elegir(&d->m, &cl->azar);

        dj_id_texto(id, sizeof id, d->prefijo, i, k);
        if (x->n != 1 || op == OP_OBTENER)
            dj_leer(cl, i, c, x, id);
        else
            dj_escribir(d, cl, i, c, x, id, op);
    }
    cl->e.t1 = reloj_ns();
out:
    conexion_liberar(c);
    return cl->rc = ok ? SALIDA_OK : SALIDA_INALCANZABLE;
}

static bool
dj_guardar(void *ctx, unsigned i, int fd)
{
    struct dj *d = ctx;

    return trabajo_escribir(fd, &d->cl[i], sizeof d->cl[i]) &&
           trabajo_escribir(fd, &d->ids[(size_t)i * d->k], d->k * sizeof *d->ids);
}

static bool
dj_cargar(void *ctx, unsigned i, int fd)
{
    struct dj *d = ctx;

    return trabajo_leer(fd, &d->cl[i], sizeof d->cl[i]) &&
           trabajo_leer(fd, &d->ids[(size_t)i * d->k], d->k * sizeof *d->ids);
}

/* The final listing, visited id by id. */
struct dj_final {
    struct dj     *d;
    struct verif  *v;
    unsigned char *visto;
    uint64_t       listados;
};

/* The owner and index of one of our ids; false if id is none of them. */
static bool
dj_parse(const struct dj *d, const char *id, unsigned *cli, unsigned *k)
{
    char otra[VALIDAR_ID_MAX + 1];

    if (sscanf(id + strlen(d->prefijo), "c%u-%u", cli, k) != 2 ||
        *cli >= d->c->clientes || *k >= d->k)
        return false;
    dj_id_texto(otra, sizeof otra, d->prefijo, *cli, *k);
    return strcmp(otra, id) == 0;
}

static bool
dj_visitar(void *ctx, const char *id, const char *nombre, int32_t stock)
{
    struct dj_final *f = ctx;
    struct dj *d = f->d;
    char mio[64];
    unsigned cli, k;
    size_t idx;

    f->listados++;
    if (!dj_parse(d, id, &cli, &k)) {
        verif_violacion(f->v, "%s: id sobrante, ningún cliente lo escribió", id);
        return true;
    }
    idx = (size_t)cli * d->k + k;
    f->visto[idx] = 1;
    dj_nombre(mio, sizeof mio, cli);
    if (!dj_admite(&d->ids[idx], true, stock)) {
        char esperado[80];

        dj_esperado(&d->ids[idx], esperado, sizeof esperado);
        verif_violacion(f->v, "%s: el servidor tiene stock %d y lo último "
                        "confirmado es %s", id, stock, esperado);
    }
    else if (strcmp(nombre, mio) != 0)
        verif_violacion(f->v, "%s: nombre '%s', se esperaba '%s'", id, nombre, mio);
    return true;
}

/* Reads the final state and checks it against every client's model. */
static int
dj_comprobar(struct dj *d, struct verif *v)
{
    size_t total = (size_t)d->c->clientes * d->k;
    struct dj_final f = { d, v, xcalloc(total, 1, "la verificación"), 0 };
    char id[VALIDAR_ID_MAX + 1];
    uint64_t presentes = 0;
    struct conexion *c = NULL;
    enum resultado r;

    if (f.visto == NULL)
        return SALIDA_LOCAL;
    if ((c = destino_conexion(&d->c->destino)) == NULL) {
        free(f.visto);
        return SALIDA_LOCAL;
    }
    if ((r = verif_listar_prefijo(c, d->prefijo, dj_visitar, &f)) != RES_OK) {
        fprintf(stderr, "inventario-stress: no se pudo leer el estado final: %s %s\n",
                resultado_codigo(r), conexion_error(c));
        conexion_liberar(c);
        free(f.visto);
        return SALIDA_INALCANZABLE;
    }
    conexion_liberar(c);
    for (size_t idx = 0; idx < total; idx++) {
        const struct dj_id *x = &d->ids[idx];

        presentes += x->n == 1 && x->posible[0].presente;
        if (!f.visto[idx] && !dj_admite(x, false, 0)) {
            dj_id_texto(id, sizeof id, d->prefijo, (unsigned)(idx / d->k),
                        (unsigned)(idx % d->k));
            char esperado[80];

            dj_esperado(x, esperado, sizeof esperado);
            verif_violacion(v, "%s: perdido; lo último confirmado es %s", id,
                            esperado);
        }
    }
    verif_dato(v, "ids_por_cliente", d->k);
    verif_dato(v, "presentes_esperados", (int64_t)presentes);
    verif_dato(v, "listados", (int64_t)f.listados);
    free(f.visto);
    return SALIDA_OK;
}

int
verif_disjunto(const struct config *c, struct informe *inf)
{
    struct dj d = { .c = c, .prefijo = c->prefijo };
    struct trabajo_ops ops = { dj_correr, dj_guardar, dj_cargar, c->destino.plazo_s * 2 + 10 };
    struct estad *total = xcalloc(1, sizeof *total, "los resultados");
    struct verif v;
    char err[128];
    int rc = SALIDA_LOCAL;

    d.k = c->productos / c->clientes ? c->productos / c->clientes : 1;
    if (c->mezcla_dada)
        d.m = c->mezcla;
    else
        (void)mezcla_parse(DJ_MEZCLA, &d.m, err, sizeof err);
    d.ids = xcalloc((size_t)c->clientes * d.k, sizeof *d.ids, "los modelos");
    d.cl = xcalloc(c->clientes, sizeof *d.cl, "los clientes");
    if (!verif_init(&v, "disjoint") || total == NULL || d.ids == NULL || d.cl == NULL)
        goto out;
    for (size_t i = 0; i < (size_t)c->clientes * d.k; i++)
        d.ids[i].n = 1;         /* every id starts absent: the prefix is new */
    for (unsigned i = 0; i < c->clientes; i++) {
        estad_init(&d.cl[i].e);
        azar_init(&d.cl[i].azar, c->semilla + i * 0x9E3779B97F4A7C15ull);
    }
    informe_nota(inf, "disjoint: %u clientes, %u ids cada uno, prefijo %s",
                 c->clientes, d.k, d.prefijo);
    estad_init(total);
    rc = trabajo_ejecutar(c->clientes, c->procesos, &ops, &d);
    for (unsigned i = 0; i < c->clientes; i++) {
        estad_sumar(total, &d.cl[i].e);
        verif_notas_volcar(&v, &d.cl[i].notas);
        v.inciertas += d.cl[i].inciertas;
    }
    verif_informe_carga(inf, "disjoint", c->clientes, total);
    if (rc == SALIDA_OK) {
        verif_gancho(d.prefijo, inf);
        rc = dj_comprobar(&d, &v);
    }
out:
    rc = verif_fin(&v, inf, rc);
    free(total);
    free(d.ids);
    free(d.cl);
    return rc;
}
