/* bench.c - throughput and latency per operation at 1, 4, 16, 64 clients; see bench.h. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carga.h"
#include "disco.h"
#include "salida.h"
#include "trabajo.h"
#include "util.h"

/*  name          text          op whose latency is reported */
#define BENCH_MAP(X)                                \
    X(B_NULL,       "null",       OP_NULL)          \
    X(B_OBTENER,    "obtener",    OP_OBTENER)       \
    X(B_LISTAR,     "listar",     OP_LISTAR)        \
    X(B_PAGINA,     "pagina",     OP_PAGINA)        \
    X(B_ACTUALIZAR, "actualizar", OP_ACTUALIZAR)    \
    X(B_AJUSTAR,    "ajustar",    OP_AJUSTAR)       \
    X(B_AGREGAR,    "agregar",    OP_AGREGAR)       \
    X(B_ELIMINAR,   "eliminar",   OP_ELIMINAR)      \
    X(B_MIXTO,      "mixto",      OP_OBTENER)

enum escenario {
#define B_ENUM(name, text, op) name,
    BENCH_MAP(B_ENUM)
#undef B_ENUM
    B_N
};

static const struct {
    const char *nombre;
    enum op     op;
} escenarios[B_N] = {
#define B_ROW(name, text, op) { text, op },
    BENCH_MAP(B_ROW)
#undef B_ROW
};

#define MIXTO "obtener=80,ajustar=20"

struct fila {
    unsigned        clientes;
    enum escenario  e;
    uint64_t        llamadas, errores;
    double          ops_s, x_null, x_disco;     /* x_disco < 0: not a write */
    double          disco_s;    /* the disk probe of this client count */
    struct histo    lat;                        /* of the reported op */
};

struct bench {
    const struct config   *c;
    double                 carga_antes;     /* 1-min load average at the start */
    struct informe        *inf;
    bool                   elegido[B_N];
    struct disco_resultado *discos;             /* one probe per client count */
    struct fila           *filas;
    size_t                 n;
    uint64_t              *creados, *borrados;  /* per client, fresh ids */
};

static bool
lista(const char *s, bool *elegido, char *err, size_t errlen)
{
    char *copia = strdup(s), *save = NULL, *item;
    bool ok = copia != NULL;

    memset(elegido, 0, B_N * sizeof *elegido);
    for (item = ok ? strtok_r(copia, ",", &save) : NULL; item != NULL && ok;
         item = strtok_r(NULL, ",", &save)) {
        unsigned e = 0;

        while (e < B_N && strcmp(item, escenarios[e].nombre) != 0)
            e++;
        if (e == B_N) {
            snprintf(err, errlen, "escenario desconocido '%s' (%s)", item,
                     BENCH_OPS_DEFECTO);
            ok = false;
        } else {
            elegido[e] = true;
        }
    }
    free(copia);
    /* NULL is the yardstick of every ratio: always measured. */
    elegido[B_NULL] = true;
    return ok;
}

bool
bench_ops_validos(const char *s, char *err, size_t errlen)
{
    bool elegido[B_N];

    return lista(s, elegido, err, errlen);
}

static bool
es_escritura(enum escenario e)
{
    return e == B_ACTUALIZAR || e == B_AJUSTAR || e == B_AGREGAR || e == B_ELIMINAR;
}

/* One scenario at one client count: a row of the table. */
static int
medir(struct bench *b, unsigned clientes, enum escenario e, double null_ops_s,
      double disco_s, struct fila *f)
{
    const struct config *c = b->c;
    struct carga_plan p = {
        .d = &c->destino, .clientes = clientes, .procesos = c->procesos,
        .segundos = c->bench_segundos, .prefijo = c->prefijo,
        .productos = c->productos, .semilla = c->semilla + e * 7919u + clientes,
        .frescos = e == B_AGREGAR || e == B_ELIMINAR,
        .creados = b->creados, .borrados = b->borrados };
    struct carga_resultado *r = xcalloc(1, sizeof *r, "los resultados");
    enum op op = escenarios[e].op;
    char err[64];
    double seg;
    int rc;

    if (r == NULL)
        return SALIDA_LOCAL;
    if (e == B_MIXTO)
        (void)mezcla_parse(MIXTO, &p.mezcla, err, sizeof err);
    else
        mezcla_una(&p.mezcla, op);
    rc = carga_ejecutar(&p, r);
    seg = estad_segundos(&r->normales);
    f->clientes = clientes;
    f->e = e;
    f->llamadas = e == B_MIXTO ? estad_total(&r->normales) : r->normales.op[op].h.n;
    f->errores = estad_errores(&r->normales);
    f->ops_s = seg > 0 ? (double)f->llamadas / seg : 0;
    f->lat = r->normales.op[op].h;
    f->x_null = e == B_NULL ? 1.0 : null_ops_s > 0 ? f->ops_s / null_ops_s : 0;
    f->disco_s = disco_s;
    f->x_disco = es_escritura(e) && disco_s > 0 ? f->ops_s / disco_s : -1;
    informe_nota(b->inf, "bench: %u clientes, %s: %.0f ops/s", clientes,
                 escenarios[e].nombre, f->ops_s);
    free(r);
    return rc;
}

/* Deletes the fresh ids an agregar run left behind (an eliminar run that
 * ran out of time, or none chosen). */
static int
limpiar(struct bench *b, unsigned clientes)
{
    struct carga_plan p = {
        .d = &b->c->destino, .clientes = clientes, .segundos = 120,
        .prefijo = b->c->prefijo, .productos = b->c->productos,
        .frescos = true, .creados = b->creados, .borrados = b->borrados };
    struct carga_resultado *r;
    bool quedan = false;
    int rc;

    for (unsigned i = 0; i < clientes; i++)
        quedan = quedan || b->borrados[i] < b->creados[i];
    if (!quedan)
        return SALIDA_OK;
    if ((r = xcalloc(1, sizeof *r, "los resultados")) == NULL)
        return SALIDA_LOCAL;
    mezcla_una(&p.mezcla, OP_ELIMINAR);
    rc = carga_ejecutar(&p, r);
    free(r);
    return rc;
}

/* Every chosen scenario at every client count, each count after its own
 * probe of the disk: the disk is shared too, and a ceiling measured minutes
 * away from the writes it bounds would compare two different moments. */
static int
medir_todo(struct bench *b)
{
    const struct config *c = b->c;
    char err[256];
    int rc = SALIDA_OK;

    for (size_t ci = 0; ci < c->n_bench_clientes && rc == SALIDA_OK; ci++) {
        unsigned clientes = c->bench_clientes[ci];
        double null_ops_s = 0;

        informe_nota(b->inf, "bench: midiendo el disco en %s", c->db_dir);
        if (disco_medir(c->db_dir, c->bench_segundos, &b->discos[ci], err,
                        sizeof err) != 0) {
            fprintf(stderr, "inventario-stress: %s\n", err);
            return SALIDA_LOCAL;
        }
        for (unsigned e = 0; e < B_N && rc == SALIDA_OK && !trabajo_parar(); e++) {
            struct fila *f = &b->filas[b->n];

            if (!b->elegido[e])
                continue;
            rc = medir(b, clientes, (enum escenario)e, null_ops_s,
                       b->discos[ci].commits_s, f);
            if (e == B_NULL)
                null_ops_s = f->ops_s;
            b->n++;
        }
        if (rc == SALIDA_OK)
            rc = limpiar(b, clientes);
    }
    return rc;
}

static double
ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void
tabla_texto(const struct bench *b, FILE *f)
{
    fprintf(f, "\n== benchmark: %.1f s por medida; disco: confirmaciones por "
            "segundo de SQLite (WAL, synchronous=FULL) en %s, medidas antes de "
            "cada número de clientes ==\n", b->c->bench_segundos, b->c->db_dir);
    fprintf(f, "%8s %-11s %10s %7s %8s %7s %9s %9s %9s %10s %8s\n", "clientes",
            "escenario", "ops/s", "xNULL", "disco/s", "xdisco", "p50 ms", "p95 ms",
            "p99 ms", "máx ms", "errores");
    for (size_t i = 0; i < b->n; i++) {
        const struct fila *r = &b->filas[i];
        char xd[16] = "-", ds[16] = "-";

        if (r->x_disco >= 0) {
            snprintf(xd, sizeof xd, "%.2f", r->x_disco);
            snprintf(ds, sizeof ds, "%.0f", r->disco_s);
        }
        fprintf(f, "%8u %-11s %10.1f %7.2f %8s %7s %9.3f %9.3f %9.3f %9.3f %8llu\n",
                r->clientes, escenarios[r->e].nombre, r->ops_s, r->x_null, ds, xd,
                ms(histo_percentil(&r->lat, 0.50)), ms(histo_percentil(&r->lat, 0.95)),
                ms(histo_percentil(&r->lat, 0.99)), ms(r->lat.max),
                (unsigned long long)r->errores);
    }
    fprintf(f, "(mixto: " MIXTO "; sus latencias son las de OBTENER; pagina: "
            "LISTAR_PAGINA de 100 productos;\n xNULL: ops/s de la fila entre las de "
            "NULL con los mismos clientes; disco/s: confirmaciones por\n segundo del "
            "disco solas, sin RPC; xdisco: ops/s de una escritura entre disco/s: más "
            "de 1 es\n que varias escrituras comparten una sincronización)\n");
}

static json_t *
fila_json(const struct fila *r)
{
    return json_pack("{s:i, s:s, s:I, s:f, s:f, s:f, s:o, s:{s:f, s:f, s:f, s:f}, s:I}",
                     "clientes", (int)r->clientes, "escenario", escenarios[r->e].nombre,
                     "llamadas", (json_int_t)r->llamadas, "ops_s", r->ops_s,
                     "x_null", r->x_null, "disco_commits_s", r->disco_s,
                     "x_disco", r->x_disco >= 0 ? json_real(r->x_disco) : json_null(),
                     "lat_ms", "p50", ms(histo_percentil(&r->lat, 0.50)),
                     "p95", ms(histo_percentil(&r->lat, 0.95)),
                     "p99", ms(histo_percentil(&r->lat, 0.99)), "max", ms(r->lat.max),
                     "errores", (json_int_t)r->errores);
}

static const struct fila *
buscar(const struct bench *b, unsigned clientes, enum escenario e)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->filas[i].clientes == clientes && b->filas[i].e == e)
            return &b->filas[i];
    return NULL;
}

/* The targets the issue sets, read off the table at 16 clients. */
static json_t *
objetivos(const struct bench *b, FILE *f)
{
    const struct fila *ob = buscar(b, 16, B_OBTENER), *ac = buscar(b, 16, B_ACTUALIZAR),
                      *aj = buscar(b, 16, B_AJUSTAR), *mx = buscar(b, 16, B_MIXTO);
    const struct fila *durables[] = { ac, aj };
    json_t *o = json_object();

    if (f != NULL && (ob != NULL || ac != NULL || mx != NULL))
        fprintf(f, "\nObjetivos (16 clientes):\n");
    if (ob != NULL) {
        if (f != NULL)
            fprintf(f, "  OBTENER >= 0.8 x NULL: %.2f -> %s\n", ob->x_null,
                    ob->x_null >= 0.8 ? "cumple" : "NO cumple");
        json_object_set_new(o, "obtener_x_null_16", json_real(ob->x_null));
    }
    if (ac != NULL && ac->x_disco >= 0) {
        if (f != NULL)
            fprintf(f, "  ACTUALIZAR >= 0.8 x disco: %.2f -> %s\n", ac->x_disco,
                    ac->x_disco >= 0.8 ? "cumple" : "NO cumple");
        json_object_set_new(o, "actualizar_x_disco_16", json_real(ac->x_disco));
    }
    /* Group commit: durable writes against NULL and against the disk. */
    for (size_t i = 0; i < sizeof durables / sizeof *durables; i++) {
        const struct fila *d = durables[i];
        const char *nombre = d == ac ? "actualizar" : "ajustar";
        char clave[64];

        if (d == NULL || d->x_disco < 0)
            continue;
        if (f != NULL)
            fprintf(f, "  %s >= 0.5 x NULL y >= 5 x disco: %.2f y %.2f -> %s\n",
                    d == ac ? "ACTUALIZAR" : "AJUSTAR", d->x_null, d->x_disco,
                    d->x_null >= 0.5 && d->x_disco >= 5.0 ? "cumple" : "NO cumple");
        snprintf(clave, sizeof clave, "%s_x_null_16", nombre);
        json_object_set_new(o, clave, json_real(d->x_null));
        snprintf(clave, sizeof clave, "%s_x_disco_16", nombre);
        json_object_set_new(o, clave, json_real(d->x_disco));
    }
    if (mx != NULL) {
        double p99 = ms(histo_percentil(&mx->lat, 0.99));

        if (f != NULL)
            fprintf(f, "  p99 OBTENER con 20%% de escrituras < 2 ms: %.3f ms -> %s\n",
                    p99, p99 < 2.0 ? "cumple" : "NO cumple");
        json_object_set_new(o, "obtener_p99_ms_mixto_16", json_real(p99));
    }
    return o;
}

/* The 1-minute load average: the machine may be shared, and a busy one
 * makes every figure lower; the report says how busy it was. */
static double
carga_media(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double v = -1;

    if (f != NULL) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The CPU model from /proc/cpuinfo into buf ("?" if unknown). */
static void
cpu_modelo(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256], *p;

    snprintf(buf, len, "?");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0 && (p = strchr(line, ':')) != NULL) {
            snprintf(buf, len, "%s", p + 2);
            buf[strcspn(buf, "\n")] = '\0';
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

static json_t *
maquina(const struct bench *b, FILE *f)
{
    char cpu[128];
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    double despues = carga_media();

    cpu_modelo(cpu, sizeof cpu);
    if (f != NULL)
        fprintf(f, "máquina: %ld CPU (%s); carga media %.2f al empezar, %.2f al "
                "terminar\n", n, cpu, b->carga_antes, despues);
    return json_pack("{s:i, s:s, s:f, s:f}", "nproc", (int)n, "cpu", cpu,
                     "carga_antes", b->carga_antes, "carga_despues", despues);
}

static json_t *
discos_json(const struct bench *b)
{
    json_t *a = json_array();

    for (size_t i = 0; i < b->c->n_bench_clientes; i++) {
        const struct disco_resultado *d = &b->discos[i];

        if (d->commits == 0)
            continue;
        json_array_append_new(a, json_pack(
            "{s:i, s:I, s:f, s:f, s:f}", "antes_de_clientes", (int)b->c->bench_clientes[i],
            "commits", (json_int_t)d->commits, "commits_s", d->commits_s,
            "p50_ms", ms(histo_percentil(&d->lat, 0.5)),
            "p99_ms", ms(histo_percentil(&d->lat, 0.99))));
    }
    return a;
}

static void
informar(struct bench *b)
{
    FILE *f = informe_texto(b->inf);
    json_t *filas = json_array(), *maq;

    if (f != NULL)
        tabla_texto(b, f);
    maq = maquina(b, f);
    for (size_t i = 0; i < b->n; i++)
        json_array_append_new(filas, fila_json(&b->filas[i]));
    informe_poner(b->inf, "bench", json_pack(
        "{s:s, s:f, s:o, s:{s:s, s:o}, s:o, s:o}", "escenarios", b->c->bench_ops,
        "segundos_por_medida", b->c->bench_segundos, "maquina", maq,
        "disco", "dir", b->c->db_dir, "medidas", discos_json(b),
        "filas", filas, "objetivos", objetivos(b, f)));
}

int
bench_modo(const struct config *c, struct informe *inf)
{
    struct bench b = { .c = c, .inf = inf };
    unsigned max = 1;
    char err[256];
    int rc = SALIDA_LOCAL;

    (void)lista(c->bench_ops, b.elegido, err, sizeof err);
    for (size_t i = 0; i < c->n_bench_clientes; i++)
        if (c->bench_clientes[i] > max)
            max = c->bench_clientes[i];
    b.filas = xcalloc(c->n_bench_clientes * B_N, sizeof *b.filas, "el benchmark");
    b.discos = xcalloc(c->n_bench_clientes, sizeof *b.discos, "el benchmark");
    b.creados = xcalloc(max, sizeof *b.creados, "el benchmark");
    b.borrados = xcalloc(max, sizeof *b.borrados, "el benchmark");
    if (b.filas == NULL || b.discos == NULL || b.creados == NULL || b.borrados == NULL)
        goto out;
    b.carga_antes = carga_media();
    if (c->precargar &&
        (rc = carga_precargar(&c->destino, c->prefijo, c->productos, 16, inf)) != SALIDA_OK)
        goto out;
    rc = medir_todo(&b);
    informar(&b);
out:
    free(b.filas);
    free(b.discos);
    free(b.creados);
    free(b.borrados);
    return rc;
}
