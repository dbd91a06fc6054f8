/* informe.c - text tables and the JSON report; see informe.h. */
#include "informe.h"

#include <stdarg.h>
#include <string.h>

static double
ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

bool
informe_init(struct informe *inf, const struct config *c, const char *modo)
{
    memset(inf, 0, sizeof *inf);
    inf->json = c->json;
    inf->verboso = c->verboso;
    if (!inf->json)
        return true;
    inf->raiz = json_pack("{s:s, s:s, s:s}", "herramienta", "inventario-stress",
                          "version", INVENTARIO_VERSION, "modo", modo);
    return inf->raiz != NULL;
}

void
informe_config(struct informe *inf, const struct config *c)
{
    char mezcla[512];

    if (inf->raiz == NULL)
        return;
    mezcla_texto(&c->mezcla, mezcla, sizeof mezcla);
    informe_poner(inf, "config", json_pack(
        "{s:s, s:I, s:b, s:f, s:i, s:b, s:f, s:I, s:i, s:s, s:s, s:s, s:i, s:s}",
        "host", c->destino.host, "programa", (json_int_t)c->destino.programa,
        "servidor_propio", !c->externo, "timeout_s", c->destino.plazo_s,
        "clientes", (int)c->clientes, "procesos", c->procesos,
        "duracion_s", c->duracion_s, "ops", (json_int_t)c->ops,
        "productos", (int)c->productos, "mezcla", mezcla, "prefijo", c->prefijo,
        "verificacion", config_verif_nombre(c->verificar),
        "clientes_pesados", (int)c->pesados, "op_pesada", op_nombre(c->op_pesada)));
}

FILE *
informe_texto(const struct informe *inf)
{
    return inf->json ? NULL : stdout;
}

static void
fila(FILE *f, enum op o, const struct estad_op *eo, double seg)
{
    const struct histo *h = &eo->h;

    fprintf(f, "%-12s %10llu %10.1f %9.3f %9.3f %9.3f %9.3f ", op_nombre(o),
            (unsigned long long)h->n, seg > 0 ? (double)h->n / seg : 0.0,
            ms(histo_percentil(h, 0.50)), ms(histo_percentil(h, 0.95)),
            ms(histo_percentil(h, 0.99)), ms(h->max));
    for (unsigned r = 0; r < RES_CUANTOS; r++)
        if (eo->res[r] > 0)
            fprintf(f, " %s=%llu", resultado_codigo((enum resultado)r),
                    (unsigned long long)eo->res[r]);
    fputc('\n', f);
}

void
informe_tabla(const struct informe *inf, const char *titulo, const struct estad *e)
{
    FILE *f = informe_texto(inf);
    double seg = estad_segundos(e);
    uint64_t total = estad_total(e);

    if (f == NULL)
        return;
    fprintf(f, "\n== %s (%.2f s) ==\n", titulo, seg);
    /* Two accented headers: one byte more of width each, so columns align. */
    fprintf(f, "%-13s %10s %10s %9s %9s %9s %10s  %s\n", "operación", "llamadas",
            "ops/s", "p50 ms", "p95 ms", "p99 ms", "máx ms", "estados");
    for (unsigned o = 0; o < OP_N; o++)
        if (e->op[o].h.n > 0)
            fila(f, (enum op)o, &e->op[o], seg);
    fprintf(f, "%-12s %10llu %10.1f   %llu %s\n", "total",
            (unsigned long long)total, seg > 0 ? (double)total / seg : 0.0,
            (unsigned long long)estad_errores(e),
            estad_errores(e) == 1 ? "llamada fallida" : "llamadas fallidas");
    /* What the counts mean: YA_EXISTE and NO_ENCONTRADO are answers, not
     * failures, when ids are drawn at random. */
    fprintf(f, "(estados: cuántas llamadas terminaron así; YA_EXISTE y NO_ENCONTRADO "
            "son respuestas normales con\n ids al azar; fallidas: sin respuesta, "
            "rechazadas, INVALIDO o ERROR_INTERNO)\n");
}

static json_t *
op_json(enum op o, const struct estad_op *eo, double seg)
{
    const struct histo *h = &eo->h;
    json_t *estados = json_object();

    for (unsigned r = 0; r < RES_CUANTOS && estados != NULL; r++)
        json_object_set_new(estados, resultado_codigo((enum resultado)r),
                            json_integer((json_int_t)eo->res[r]));
    return json_pack("{s:s, s:I, s:f, s:{s:f, s:f, s:f, s:f, s:f}, s:o*}",
                     "op", op_nombre(o), "llamadas", (json_int_t)h->n,
                     "ops_s", seg > 0 ? (double)h->n / seg : 0.0,
                     "lat_ms", "p50", ms(histo_percentil(h, 0.50)),
                     "p95", ms(histo_percentil(h, 0.95)),
                     "p99", ms(histo_percentil(h, 0.99)), "max", ms(h->max),
                     "media", histo_media(h) / 1e6,
                     "estados", estados);
}

json_t *
informe_estad_json(const struct estad *e)
{
    json_t *a = json_array();
    double seg = estad_segundos(e);

    for (unsigned o = 0; o < OP_N && a != NULL; o++)
        if (e->op[o].h.n > 0)
            json_array_append_new(a, op_json((enum op)o, &e->op[o], seg));
    return a;
}

void
informe_poner(struct informe *inf, const char *clave, json_t *valor)
{
    if (inf->raiz == NULL) {
        json_decref(valor);
        return;
    }
    json_object_set_new(inf->raiz, clave, valor);
}

void
informe_nota(const struct informe *inf, const char *fmt, ...)
{
    va_list ap;

    if (!inf->verboso)
        return;
    fprintf(stderr, "inventario-stress: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool
informe_fin(struct informe *inf)
{
    bool ok = true;

    if (inf->raiz != NULL) {
        ok = json_dumpf(inf->raiz, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0;
        fputc('\n', stdout);
        json_decref(inf->raiz);
        inf->raiz = NULL;
    }
    if (fflush(stdout) != 0)
        ok = false;
    return ok;
}
