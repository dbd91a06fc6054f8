/* carga.c - N clients calling a mix of operations; see carga.h. */
#include "carga.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "validar.h"
#include "xdrproc.h"

#define ID_LEN (VALIDAR_ID_MAX + 1)
/* After a failed call, a pause before the next one, so that a client whose
 * server is gone does not spin. */
#define PAUSA_FALLO_NS 20000000u

/* One client: plain data, so a forked client can return it as bytes. */
struct obrero {
    struct estad e;
    struct azar  azar;
    bool         limitado;      /* --ops given: stop after 'objetivo' calls */
    uint64_t     objetivo;
    uint64_t     creados, borrados;
    int          rc;
};

struct carga {
    const struct carga_plan *p;
    struct obrero           *o;
    /* Mix clients still running; heavy clients stop when it reaches 0.
     * In shared memory, so that forked clients see it too. */
    _Atomic unsigned        *activos;
};

void
carga_id(char *buf, size_t len, const char *prefijo, unsigned k)
{
    snprintf(buf, len, "%s%07u", prefijo, k);
}

static void
id_fresco(char *buf, size_t len, const char *prefijo, unsigned cliente, uint64_t n)
{
    snprintf(buf, len, "%sn%03u-%09llu", prefijo, cliente, (unsigned long long)n);
}

static void
id_azar(const struct carga_plan *p, struct obrero *w, char *buf)
{
    carga_id(buf, ID_LEN, p->prefijo, (unsigned)azar_menor(&w->azar, p->productos));
}

/* The writes; 'agotado' is set when a fresh-id eliminar has nothing left. */
static enum resultado
hacer_escritura(const struct carga_plan *p, struct obrero *w, unsigned i,
                struct conexion *c, enum op op, bool *agotado)
{
    char id[ID_LEN], nombre[] = "producto de carga";
    enum resultado r;

    switch (op) {
    case OP_AGREGAR:
        if (p->frescos)
            id_fresco(id, sizeof id, p->prefijo, i, p->creados[i] + w->creados);
        else
            id_azar(p, w, id);
        r = ops_agregar(c, id, nombre, (int32_t)azar_menor(&w->azar, 1000));
        if (r == RES_OK && p->frescos)
            w->creados++;
        return r;
    case OP_ACTUALIZAR:
        id_azar(p, w, id);
        return ops_actualizar(c, id, 1000 + (int32_t)azar_menor(&w->azar, 1000000));
    case OP_ELIMINAR:
        if (!p->frescos) {
            id_azar(p, w, id);
            return ops_eliminar(c, id);
        }
        if (p->borrados[i] + w->borrados >= p->creados[i]) {
            *agotado = true;
            return RES_OK;
        }
        id_fresco(id, sizeof id, p->prefijo, i, p->borrados[i] + w->borrados);
        r = ops_eliminar(c, id);
        if (r == RES_OK || r == RES_NO_ENCONTRADO)
            w->borrados++;
        return r;
    default:    /* OP_AJUSTAR */
        id_azar(p, w, id);
        return ops_ajustar_copia(c, id, (int32_t)azar_menor(&w->azar, 11) - 5,
                           "stress", "", NULL);
    }
}

static enum resultado
hacer(const struct carga_plan *p, struct obrero *w, unsigned i, struct conexion *c,
      enum op op, bool *agotado)
{
    char id[ID_LEN];
    movimientos_res mr;
    pagina_res pr;
    estado_servidor es;
    lista_res lr;
    enum resultado r;

    switch (op) {
    case OP_NULL:
        return ops_null(c);
    case OP_OBTENER:
        id_azar(p, w, id);
        return ops_obtener_copia(c, id, NULL, NULL, 0);
    case OP_LISTAR:
        r = ops_listar_productos(c, &lr);
        ops_lista_res_liberar(&lr);
        return r;
    case OP_MOVIMIENTOS:
        id_azar(p, w, id);
        r = ops_movimientos(c, 0, id, 100, &mr);
        ops_movimientos_liberar(&mr);
        return r;
    case OP_PAGINA:
        id_azar(p, w, id);
        r = ops_listar_pagina(c, id, 100, &pr);
        ops_pagina_liberar(&pr);
        return r;
    case OP_ESTADO:
        r = ops_estado(c, &es);
        ops_estado_liberar(&es);
        return r;
    default:
        return hacer_escritura(p, w, i, c, op, agotado);
    }
}

/* The timed loop of one client. */
static void
bucle(const struct carga *k, struct obrero *w, unsigned i, struct conexion *c,
      const struct mezcla *m)
{
    const struct carga_plan *p = k->p;
    bool pesado = i >= p->clientes;
    uint64_t hechas = 0, fin;

    w->e.t0 = reloj_ns();
    fin = w->e.t0 + (uint64_t)(p->segundos * 1e9);
    while (!trabajo_parar() && (!w->limitado || hechas < w->objetivo) &&
           !(pesado && atomic_load(k->activos) == 0)) {
        enum op op = mezcla_elegir(m, &w->azar);
        bool agotado = false;
        uint64_t t = reloj_ns();
        enum resultado r;

        if (t >= fin)
            break;
        r = hacer(p, w, i, c, op, &agotado);
        if (agotado)
            break;
        estad_anotar(&w->e, op, r, reloj_ns() - t);
        hechas++;
        if (!resultado_de_servidor(r))
            dormir_ns(PAUSA_FALLO_NS);
    }
    w->e.t1 = reloj_ns();
    if (!pesado)
        atomic_fetch_sub(k->activos, 1);
}

static int
correr(void *ctx, unsigned i)
{
    struct carga *k = ctx;
    const struct carga_plan *p = k->p;
    struct obrero *w = &k->o[i];
    struct mezcla una;
    struct conexion *c;
    const struct mezcla *m = &p->mezcla;
    bool ok;

    if (i >= p->clientes) {
        mezcla_una(&una, p->op_pesada);
        m = &una;
    }
    ok = (c = destino_conexion(p->d)) != NULL && conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: cliente %u: %s\n", i, conexion_error(c));
    if (trabajo_listo(ok))
        bucle(k, w, i, c, m);
    conexion_liberar(c);
    w->rc = ok ? SALIDA_OK : SALIDA_INALCANZABLE;
    return w->rc;
}

static bool
guardar(void *ctx, unsigned i, int fd)
{
    struct carga *k = ctx;

    return trabajo_escribir(fd, &k->o[i], sizeof k->o[i]);
}

static bool
cargar(void *ctx, unsigned i, int fd)
{
    struct carga *k = ctx;

    return trabajo_leer(fd, &k->o[i], sizeof k->o[i]);
}

int
carga_ejecutar(const struct carga_plan *p, struct carga_resultado *r)
{
    unsigned n = p->clientes + p->pesados;
    struct trabajo_ops ops = { correr, guardar, cargar, p->d->plazo_s * 2 + 10 };
    struct carga k = { p, xcalloc(n, sizeof *k.o, "los clientes"), NULL };
    void *mapa = mmap(NULL, sizeof *k.activos, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int rc = SALIDA_LOCAL;

    estad_init(&r->normales);
    estad_init(&r->pesados);
    if (k.o == NULL || mapa == MAP_FAILED) {
        fprintf(stderr, "inventario-stress: sin memoria para los clientes\n");
        goto out;
    }
    k.activos = mapa;
    atomic_init(k.activos, p->clientes);
    for (unsigned i = 0; i < n; i++) {
        estad_init(&k.o[i].e);
        azar_init(&k.o[i].azar, p->semilla + i * 0x9E3779B97F4A7C15ull);
        /* --ops is shared out among the mix clients; heavy ones run
         * until the mix clients are done. */
        if (p->ops && i < p->clientes) {
            k.o[i].limitado = true;
            k.o[i].objetivo = p->ops / p->clientes + (i < p->ops % p->clientes);
        }
    }
    rc = trabajo_ejecutar(n, p->procesos, &ops, &k);
    for (unsigned i = 0; i < n; i++) {
        estad_sumar(i < p->clientes ? &r->normales : &r->pesados, &k.o[i].e);
        if (p->frescos && i < p->clientes) {
            p->creados[i] += k.o[i].creados;
            p->borrados[i] += k.o[i].borrados;
        }
    }
out:
    if (mapa != MAP_FAILED)
        munmap(mapa, sizeof *k.activos);
    free(k.o);
    return rc;
}

/* Preloading: client i of m adds ids i, i+m, i+2m ... */
struct precarga {
    const struct destino *d;
    const char           *prefijo;
    unsigned              n, m;
    uint64_t             *nuevos, *fallos;
};

#define PRECARGA_INTENTOS 3

static int
precargar_uno(void *ctx, unsigned i)
{
    struct precarga *pc = ctx;
    char id[ID_LEN], nombre[] = "producto de carga";
    struct conexion *c;
    bool ok;

    ok = (c = destino_conexion(pc->d)) != NULL && conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: precarga: %s\n", conexion_error(c));
    if (!trabajo_listo(ok))
        goto out;
    for (unsigned k = i; k < pc->n && !trabajo_parar(); k += pc->m) {
        enum resultado r = RES_PROTOCOLO;

        carga_id(id, sizeof id, pc->prefijo, k);
        /* Retrying an agregar is safe: a repeat answers YA_EXISTE. */
        for (int t = 0; t < PRECARGA_INTENTOS; t++)
            if (!resultado_incierto(r = ops_agregar(c, id, nombre, CARGA_STOCK_INICIAL)))
                break;
        if (r == RES_OK)
            pc->nuevos[i]++;
        else if (r != RES_YA_EXISTE && pc->fallos[i]++ == 0)
            fprintf(stderr, "inventario-stress: precarga de %s: %s%s%s\n", id,
                    resultado_codigo(r), resultado_incierto(r) ? ": " : "",
                    resultado_incierto(r) ? conexion_error(c) : "");
        if (pc->fallos[i] > 10)
            break;
    }
out:
    conexion_liberar(c);
    return ok ? SALIDA_OK : SALIDA_INALCANZABLE;
}

int
carga_precargar(const struct destino *d, const char *prefijo, unsigned n,
                unsigned clientes, const struct informe *inf)
{
    unsigned m = clientes < 1 ? 1 : clientes > 16 ? 16 : clientes;
    struct precarga pc = { d, prefijo, n, m, xcalloc(m, sizeof(uint64_t), "la precarga"),
                           xcalloc(m, sizeof(uint64_t), "la precarga") };
    struct trabajo_ops ops = { precargar_uno, NULL, NULL, d->plazo_s * 2 + 10 };
    uint64_t nuevos = 0, fallos = 0, t0 = reloj_ns();
    int rc = SALIDA_LOCAL;

    if (pc.nuevos == NULL || pc.fallos == NULL)
        goto out;
    if (m > n)
        m = pc.m = n;
    rc = trabajo_ejecutar(m, false, &ops, &pc);
    for (unsigned i = 0; i < m; i++) {
        nuevos += pc.nuevos[i];
        fallos += pc.fallos[i];
    }
    informe_nota(inf, "precarga: %u productos %s*, %llu nuevos, %llu fallidos, %.1f s",
                 n, prefijo, (unsigned long long)nuevos, (unsigned long long)fallos,
                 (double)(reloj_ns() - t0) / 1e9);
    if (rc == SALIDA_OK && fallos > 0)
        rc = SALIDA_INALCANZABLE;
out:
    free(pc.nuevos);
    free(pc.fallos);
    return rc;
}

static json_t *
resultado_json(const struct estad *e)
{
    double seg = estad_segundos(e);

    return json_pack("{s:f, s:I, s:f, s:I, s:o*}", "duracion_s", seg,
                     "llamadas", (json_int_t)estad_total(e),
                     "ops_s", seg > 0 ? (double)estad_total(e) / seg : 0.0,
                     "errores", (json_int_t)estad_errores(e),
                     "operaciones", informe_estad_json(e));
}

/* Does op work on products that must exist (the ones the preload makes)?
 * null, listar and estado do not, and agregar makes its own. */
static bool
necesita_productos(enum op o)
{
    return o == OP_OBTENER || o == OP_ACTUALIZAR || o == OP_ELIMINAR ||
           o == OP_AJUSTAR || o == OP_MOVIMIENTOS || o == OP_PAGINA;
}

static bool
precarga_util(const struct config *c)
{
    if (c->pesados > 0 && necesita_productos(c->op_pesada))
        return true;
    for (unsigned o = 0; o < OP_N; o++)
        if (c->mezcla.peso[o] > 0 && necesita_productos((enum op)o))
            return true;
    return false;
}

int
carga_modo(const struct config *c, struct informe *inf)
{
    struct carga_plan p = {
        .d = &c->destino, .clientes = c->clientes, .pesados = c->pesados,
        .op_pesada = c->op_pesada, .mezcla = c->mezcla, .procesos = c->procesos,
        .segundos = c->duracion_s, .ops = c->ops,
        .prefijo = c->prefijo[0] ? c->prefijo : "st-", .productos = c->productos,
        .semilla = c->semilla };
    struct carga_resultado *r = xcalloc(1, sizeof *r, "los resultados");
    char titulo[128];
    int rc = SALIDA_LOCAL;

    if (r == NULL)
        return rc;
    /* A mix of NULL calls (say) needs no products: none are written. */
    if (c->precargar && precarga_util(c) &&
        (rc = carga_precargar(p.d, p.prefijo, p.productos, c->clientes, inf)) != SALIDA_OK)
        goto out;
    rc = carga_ejecutar(&p, r);
    snprintf(titulo, sizeof titulo, "carga: %u clientes (%s)", c->clientes,
             c->procesos ? "procesos" : "hilos");
    informe_tabla(inf, titulo, &r->normales);
    informe_poner(inf, "resultado", resultado_json(&r->normales));
    if (c->pesados > 0) {
        snprintf(titulo, sizeof titulo, "clientes pesados: %u haciendo solo %s",
                 c->pesados, op_nombre(c->op_pesada));
        informe_tabla(inf, titulo, &r->pesados);
        informe_poner(inf, "pesados", resultado_json(&r->pesados));
    }
    if (rc == SALIDA_OK && c->fail_on_error &&
        estad_errores(&r->normales) + estad_errores(&r->pesados) > 0)
        rc = SALIDA_ERRORES;
out:
    free(r);
    return rc;
}
