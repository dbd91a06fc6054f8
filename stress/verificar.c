/* verificar.c - what the verification modes share; see verificar.h. */
#include "verificar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "xdrproc.h"

#define GANCHO_ENV "INVENTARIO_STRESS_ANTES_DE_VERIFICAR"

/* How the text report names each figure of the modes (verif_dato); the
 * JSON keeps the machine keys. */
static const struct {
    const char *clave, *texto;
} etiquetas[] = {
    { "ids_por_cliente",        "productos de cada cliente" },
    { "presentes_esperados",    "productos que debían existir al final" },
    { "listados",               "productos de la prueba listados al final" },
    { "ids_compartidos",        "productos compartidos por todos los clientes" },
    { "escrituras_confirmadas", "escrituras confirmadas (respondieron OK)" },
    { "lecturas_comprobadas",   "lecturas comprobadas durante la carga" },
    { "presentes_al_final",     "productos presentes al final" },
    { "reintentos",             "reintentos de ajustes sin respuesta, con la misma clave" },
    { "duplicados_enviados",    "ajustes repetidos a propósito con la misma clave "
                                "(--dup-rate; ninguno debe aplicarse dos veces)" },
    { "ultimo_seq",             "último movimiento del registro (su número)" },
    { "ajustes_confirmados",    "ajustes confirmados (respondieron OK)" },
    { "productos",              "productos compartidos por todos los clientes" },
    { "stock_inicial",          "stock inicial de cada producto (alto, para que los "
                                "ajustes negativos nunca lo agoten)" },
    { "movimientos_leidos",     "movimientos del registro leídos y encadenados" },
    { "inciertos_aplicados",    "ajustes sin respuesta que el registro muestra "
                                "aplicados (cuentan en el stock esperado)" },
};

static const char *
etiqueta(const char *clave)
{
    for (size_t i = 0; i < sizeof etiquetas / sizeof *etiquetas; i++)
        if (strcmp(etiquetas[i].clave, clave) == 0)
            return etiquetas[i].texto;
    return clave;
}

bool
verif_init(struct verif *v, const char *modo)
{
    memset(v, 0, sizeof *v);
    v->modo = modo;
    v->detalles = json_array();
    v->datos = json_object();
    v->productos = json_array();
    return v->detalles != NULL && v->datos != NULL && v->productos != NULL;
}

void
verif_violacion(struct verif *v, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (v->violaciones++ >= VERIF_DETALLES_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "inventario-stress: VIOLACIÓN (%s): %s\n", v->modo, buf);
    json_array_append_new(v->detalles, json_string(buf));
}

void
verif_dato(struct verif *v, const char *clave, int64_t valor)
{
    json_object_set_new(v->datos, clave, json_integer((json_int_t)valor));
}

void
verif_producto(struct verif *v, const char *id, int64_t esperado, int64_t final,
               const char *como)
{
    json_array_append_new(v->productos, json_pack("{s:s, s:I, s:I, s:s}", "id", id,
                                                  "esperado", (json_int_t)esperado,
                                                  "final", (json_int_t)final,
                                                  "como", como));
}

/* The per-product table: what each product should hold and what it holds. */
static void
tabla_productos(FILE *f, json_t *productos)
{
    size_t i;
    json_t *p;

    if (json_array_size(productos) == 0)
        return;
    fprintf(f, "%-24s %12s %12s  %s\n", "producto", "esperado", "final", "cómo se espera");
    json_array_foreach(productos, i, p) {
        json_int_t e = json_integer_value(json_object_get(p, "esperado"));
        json_int_t r = json_integer_value(json_object_get(p, "final"));

        fprintf(f, "%-24s %12lld %12lld  %s%s\n",
                json_string_value(json_object_get(p, "id")), (long long)e,
                (long long)r, json_string_value(json_object_get(p, "como")),
                e == r ? "" : "  <-- NO COINCIDE");
    }
}

int
verif_fin(struct verif *v, struct informe *inf, int rc)
{
    FILE *f = informe_texto(inf);
    bool completa = rc == SALIDA_OK, ok = completa && v->violaciones == 0;
    const char *k;
    json_t *x;

    if (f != NULL) {
        fprintf(f, "\n== verificación %s: %s ==\n", v->modo,
                ok ? "CORRECTA" : v->violaciones ? "FALLIDA" : "NO COMPLETADA");
        fprintf(f, "invariantes incumplidos: %llu\n"
                "llamadas cuyo resultado nunca se supo: %llu\n",
                (unsigned long long)v->violaciones, (unsigned long long)v->inciertas);
        json_object_foreach(v->datos, k, x)
            fprintf(f, "%s: %lld\n", etiqueta(k), (long long)json_integer_value(x));
        tabla_productos(f, v->productos);
    }
    if (v->violaciones > 0)
        fprintf(stderr, "inventario-stress: la verificación %s falló: %llu %s\n",
                v->modo, (unsigned long long)v->violaciones,
                v->violaciones == 1 ? "invariante incumplido" : "invariantes incumplidos");
    else if (!completa)
        fprintf(stderr, "inventario-stress: la verificación %s no se pudo "
                "completar\n", v->modo);
    informe_poner(inf, "verificacion",
                  json_pack("{s:s, s:b, s:b, s:I, s:I, s:o*, s:o*, s:o*}", "modo",
                            v->modo, "ok", ok, "completada", completa,
                            "violaciones", (json_int_t)v->violaciones,
                            "inciertas", (json_int_t)v->inciertas,
                            "detalles", v->detalles, "datos", v->datos,
                            "productos", v->productos));
    v->detalles = v->datos = v->productos = NULL;
    return v->violaciones > 0 ? SALIDA_VERIFICACION : rc;
}

void
verif_gancho(const char *prefijo, const struct informe *inf)
{
    const char *cmd = getenv(GANCHO_ENV);
    int st;

    if (cmd == NULL || cmd[0] == '\0')
        return;
    /* Single-threaded here: every client has been joined. */
    setenv("STRESS_PREFIJO", prefijo, 1);
    fflush(NULL);
    st = system(cmd);
    informe_nota(inf, "gancho %s terminó con %d", GANCHO_ENV, st);
}

/* One page of the listing, retried on an uncertain failure (a read). */
static enum resultado
pagina_con_reintento(struct conexion *c, char *desde, pagina_res *pr)
{
    enum resultado r = RES_PROTOCOLO;

    for (int i = 0; i < VERIF_INTENTOS_LECTURA; i++) {
        r = ops_listar_pagina(c, desde, 1000, pr);
        if (!resultado_incierto(r))
            break;
        ops_pagina_liberar(pr);
        dormir_ns(100000000u);
    }
    return r;
}

enum resultado
verif_listar_prefijo(struct conexion *c, const char *prefijo, verif_visita fn,
                     void *ctx)
{
    size_t plen = strlen(prefijo);
    char desde[VALIDAR_ID_MAX + 1];
    bool fin = false;
    enum resultado r = RES_OK;

    /* Ids are ordered bytewise, so those with the prefix come together,
     * right after the prefix itself (an id equal to the bare prefix is
     * never one of ours, and is not visited). */
    snprintf(desde, sizeof desde, "%s", prefijo);
    while (!fin) {
        pagina_res pr;
        pagina_ok *ok = &pr.pagina_res_u.ok;

        if ((r = pagina_con_reintento(c, desde, &pr)) != RES_OK) {
            ops_pagina_liberar(&pr);
            break;
        }
        fin = !ok->hay_mas || ok->productos.productos_len == 0;
        for (u_int i = 0; i < ok->productos.productos_len; i++) {
            producto *p = &ok->productos.productos_val[i];

            /* Keyset order: every id past the one before, or a page that
             * does not advance would be read (and visited) for ever. */
            if (strcmp(p->id, desde) <= 0) {
                r = RES_PROTOCOLO;
                fin = true;
                break;
            }
            if (strncmp(p->id, prefijo, plen) != 0 ||
                !fn(ctx, p->id, p->nombre, p->stock)) {
                fin = true;
                break;
            }
            snprintf(desde, sizeof desde, "%s", p->id);
        }
        ops_pagina_liberar(&pr);
    }
    return r;
}

void
verif_registro_init(struct verif_registro *r, size_t tam)
{
    memset(r, 0, sizeof *r);
    r->tam = tam;
}

void *
verif_registro_nuevo(struct verif_registro *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        void *v = xrealloc(r->v, cap, r->tam, "el registro de operaciones");

        if (v == NULL)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    /* Zeroed: callers fill in what they know and count on the rest. */
    return memset((char *)r->v + r->tam * r->n++, 0, r->tam);
}

void
verif_registro_libre(struct verif_registro *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

bool
verif_registro_guardar(const struct verif_registro *r, int fd)
{
    uint64_t n = r->n;

    return trabajo_escribir(fd, &n, sizeof n) &&
           (n == 0 || trabajo_escribir(fd, r->v, r->n * r->tam));
}

bool
verif_registro_cargar(struct verif_registro *r, int fd)
{
    uint64_t n;

    if (!trabajo_leer(fd, &n, sizeof n) || n > SIZE_MAX / (r->tam ? r->tam : 1))
        return false;
    verif_registro_libre(r);
    if ((r->v = xcalloc((size_t)n, r->tam, "el registro de operaciones")) == NULL)
        return false;
    r->n = r->cap = (size_t)n;
    return n == 0 || trabajo_leer(fd, r->v, r->n * r->tam);
}

uint64_t
verif_t0(void)
{
    return reloj_ns();
}

void
verif_t1(struct estad *e, enum op op, enum resultado r, uint64_t t0)
{
    estad_anotar(e, op, r, reloj_ns() - t0);
}

void
verif_informe_carga(struct informe *inf, const char *modo, unsigned clientes,
                    const struct estad *e)
{
    char titulo[128];
    double seg = estad_segundos(e);

    snprintf(titulo, sizeof titulo, "verificación %s: carga de %u clientes", modo,
             clientes);
    informe_tabla(inf, titulo, e);
    informe_poner(inf, "resultado",
                  json_pack("{s:f, s:I, s:f, s:I, s:o*}", "duracion_s", seg,
                            "llamadas", (json_int_t)estad_total(e),
                            "ops_s", seg > 0 ? (double)estad_total(e) / seg : 0.0,
                            "errores", (json_int_t)estad_errores(e),
                            "operaciones", informe_estad_json(e)));
}

void
verif_nota(struct verif_notas *n, const char *fmt, ...)
{
    va_list ap;

    if (n->n < VERIF_NOTAS_MAX) {
        va_start(ap, fmt);
        vsnprintf(n->texto[n->n], sizeof n->texto[n->n], fmt, ap);
        va_end(ap);
    }
    n->n++;
}

void
verif_notas_volcar(struct verif *v, const struct verif_notas *n)
{
    for (uint64_t i = 0; i < n->n; i++) {
        if (i < VERIF_NOTAS_MAX)
            verif_violacion(v, "%s", n->texto[i]);
        else
            v->violaciones++;
    }
}

void
verif_ritmo_init(struct verif_ritmo *r, const struct config *c, unsigned i,
                 unsigned n)
{
    memset(r, 0, sizeof *r);
    r->fin = reloj_ns() + (uint64_t)(c->duracion_s * 1e9);
    if (c->ops > 0) {
        r->limitado = true;
        r->objetivo = c->ops / n + (i < c->ops % n);
    }
}

bool
verif_ritmo_sigue(struct verif_ritmo *r)
{
    if (trabajo_parar() || reloj_ns() >= r->fin ||
        (r->limitado && r->hechas >= r->objetivo))
        return false;
    r->hechas++;
    return true;
}
