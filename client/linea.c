/* linea.c - the command line and the environment; see linea.h. */
#include "linea.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formato.h"
#include "resultado.h"

enum cual {
    O_HOST, O_PROGRAM, O_TIMEOUT, O_JSON, O_HELP, O_VERSION,
    O_TLS, O_TLS_CERT, O_TLS_KEY, O_TLS_CA,
    O_MOTIVO, O_CLAVE, O_DESDE, O_ULTIMOS, O_ACTUALIZAR
};

/* Every option: global ones first, then those of some orders (bit). */
static const struct opcion {
    const char *largo;
    char        corto;          /* 0: none */
    bool        valor;          /* takes a value */
    enum cual   cual;
    unsigned    bit;            /* OPC_*, 0 for the global ones */
} opciones[] = {
    { "host",       'H', true,  O_HOST,       0 },
    { "program",    'p', true,  O_PROGRAM,    0 },
    { "timeout",    't', true,  O_TIMEOUT,    0 },
    { "json",       'j', false, O_JSON,       0 },
    { "tls",        0,   false, O_TLS,        0 },
    { "tls-cert",   0,   true,  O_TLS_CERT,   0 },
    { "tls-key",    0,   true,  O_TLS_KEY,    0 },
    { "tls-ca",     0,   true,  O_TLS_CA,     0 },
    { "help",       'h', false, O_HELP,       0 },
    { "version",    'V', false, O_VERSION,    0 },
    { "motivo",     'm', true,  O_MOTIVO,     OPC_MOTIVO },
    { "clave",      'k', true,  O_CLAVE,      OPC_CLAVE },
    { "desde",      0,   true,  O_DESDE,      OPC_DESDE },
    { "ultimos",    'n', true,  O_ULTIMOS,    OPC_ULTIMOS },
    { "actualizar", 'a', false, O_ACTUALIZAR, OPC_ACTUALIZAR },
};
#define NOPCIONES (sizeof opciones / sizeof opciones[0])

void
linea_ayuda(FILE *f)
{
    fputs(
"Opciones (en cualquier lugar de la línea; tras '--' todo son argumentos):\n"
"  -H, --host=HOST      máquina del servidor (por omisión localhost); varias,\n"
"                       separadas por comas o repitiendo --host, son servidores\n"
"                       que comparten el inventario: se usa el primero que\n"
"                       responde y, si deja de responder, el siguiente\n"
"  -p, --program=NUM    número de programa RPC, decimal o 0x hexadecimal (por\n"
"                       omisión el del alias inventario.servicio en /etc/rpc,\n"
"                       o 541675094 si no está)\n"
"  -t, --timeout=SEG    espera máxima de cada paso (nombre del host, rpcbind,\n"
"                       conexión, cada llamada), en segundos; admite decimales\n"
"                       (por omisión 5)\n"
"  -j, --json           respuestas como JSON en la salida estándar; errores y\n"
"                       avisos, como líneas JSON en la salida de errores\n"
TLS_AJUSTES_AYUDA
"  -h, --help           muestra esta ayuda (con una ORDEN, la de la orden)\n"
"  -V, --version        muestra la versión y termina\n"
"\n"
"Variables de entorno (las opciones mandan sobre ellas):\n"
"  INVENTARIO_HOST      como --host\n"
"  INVENTARIO_PROGRAM   como --program\n"
"  INVENTARIO_TIMEOUT   como --timeout\n"
"  INVENTARIO_TLS, INVENTARIO_TLS_CERT, INVENTARIO_TLS_KEY, INVENTARIO_TLS_CA\n"
"                       como --tls y sus archivos\n"
"  PAGER                paginador de listados largos en un terminal (por\n"
"                       omisión less; vacío o 'cat': sin paginar)\n", f);
}

int
linea_mal_uso_v(bool json, const char *fmt, va_list ap)
{
    char frase[1024];

    vsnprintf(frase, sizeof frase, fmt, ap);
    if (json) {
        (void)formato_json(stderr, formato_json_error(RES_USO, frase), true);
    } else {
        fputs("inventario-client: ", stderr);
        formato_texto(stderr, frase);
        fputs("\nPruebe 'inventario-client --help'.\n", stderr);
    }
    fflush(stderr);
    return resultado_salida(RES_USO);
}

int
linea_mal_uso(bool json, const char *fmt, ...)
{
    va_list ap;
    int status;

    va_start(ap, fmt);
    status = linea_mal_uso_v(json, fmt, ap);
    va_end(ap);
    return status;
}

/* -- values ------------------------------------------------------------------ */

/* Adds the hosts of one --host (a name, or several separated by commas)
 * to the list.  False if a name is empty or memory ran out (*sin_memoria). */
static bool
sumar_hosts(struct linea *l, const char *v, bool *sin_memoria)
{
    size_t n = l->host ? strlen(l->host) + 1 : 0;
    char *lista;

    if (v[0] == '\0' || v[0] == ',' || v[strlen(v) - 1] == ',' ||
        strstr(v, ",,") != NULL)
        return false;
    if ((lista = realloc(l->host, n + strlen(v) + 1)) == NULL) {
        *sin_memoria = true;
        return false;
    }
    if (n > 0)
        lista[n - 1] = ',';
    strcpy(lista + n, v);
    l->host = lista;
    return true;
}

/* Decimal, or hexadecimal after 0x; 1 to 4294967295.  (strtoul's base 0
 * would read a leading 0 as octal.) */
static bool
leer_programa(const char *s, unsigned long *out)
{
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char *d = hex ? s + 2 : s;
    unsigned long long v;
    char *end;

    if (d[0] == '\0' || d[0] == '-' || d[0] == '+' || d[0] == ' ')
        return false;
    errno = 0;
    v = strtoull(d, &end, hex ? 16 : 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > 0xFFFFFFFFull)
        return false;
    *out = (unsigned long)v;
    return true;
}

/* Seconds, decimals allowed, 0.1 to 3600. */
static bool
leer_espera(const char *s, unsigned *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.1 || v > 3600)
        return false;
    *ms = (unsigned)(v * 1000 + 0.5);
    return true;
}

#define MAL_PROGRAMA "(entero de 1 a 4294967295, decimal o 0x hexadecimal)"
#define MAL_ESPERA   "(segundos, de 0.1 a 3600)"
#define MAL_HOST     "(nombre vacío)"

/* -- the scan ----------------------------------------------------------------- */

/* What the scan found wrong first, said once it is over (when --json is
 * known). */
struct fallo {
    char frase[512];
    bool hay;
};

static void fallo_poner(struct fallo *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fallo_poner(struct fallo *f, const char *fmt, ...)
{
    va_list ap;

    if (f->hay)
        return;
    va_start(ap, fmt);
    vsnprintf(f->frase, sizeof f->frase, fmt, ap);
    va_end(ap);
    f->hay = true;
}

/* Which of the options with an environment variable the line gave. */
struct dados {
    bool host, programa, espera;
};

/* Takes the value of option o, spelled 'como'. */
static void
tomar(struct linea *l, const struct opcion *o, const char *como, const char *v,
      struct dados *d, struct fallo *f)
{
    bool sin_memoria = false;

    if (o->bit != 0) {
        l->opciones |= o->bit;
        for (unsigned k = 0; k < 5; k++)
            if (o->bit == 1u << k)
                l->nombres[k] = o->largo;
    }
    switch (o->cual) {
    case O_HOST:
        d->host = true;
        if (!sumar_hosts(l, v, &sin_memoria))
            fallo_poner(f, sin_memoria ? "no hay memoria" :
                        "valor inválido para %s: '%s' " MAL_HOST, como, v);
        break;
    case O_PROGRAM:
        d->programa = true;
        if (!leer_programa(v, &l->programa))
            fallo_poner(f, "valor inválido para %s: '%s' " MAL_PROGRAMA, como, v);
        break;
    case O_TIMEOUT:
        d->espera = true;
        if (!leer_espera(v, &l->espera_ms))
            fallo_poner(f, "valor inválido para %s: '%s' " MAL_ESPERA, como, v);
        break;
    case O_JSON:       l->json = true; break;
    case O_TLS:        l->tls.activo = true; break;
    case O_TLS_CERT:
    case O_TLS_KEY:
    case O_TLS_CA:
        *(o->cual == O_TLS_CERT ? &l->tls.cert : o->cual == O_TLS_KEY ? &l->tls.key
                                : &l->tls.ca) = v;
        l->tls.archivo_en_opcion = true;
        break;
    case O_HELP:       l->ayuda = true; break;
    case O_VERSION:    l->version = true; break;
    case O_MOTIVO:     l->motivo = v; break;
    case O_CLAVE:      l->clave = v; break;
    case O_DESDE:      l->desde = v; break;
    case O_ULTIMOS:    l->ultimos = v; break;
    case O_ACTUALIZAR: break;
    }
}

/* The long option named by nombre (up to '=' or its end): exact, or a
 * unique prefix.  NULL (said in f) if none or ambiguous. */
static const struct opcion *
buscar_largo(const char *nombre, size_t len, const char *palabra, struct fallo *f)
{
    const struct opcion *hallada = NULL;
    int cuantas = 0;

    for (size_t i = 0; i < NOPCIONES; i++) {
        if (strncmp(opciones[i].largo, nombre, len) != 0)
            continue;
        if (opciones[i].largo[len] == '\0')
            return &opciones[i];
        hallada = &opciones[i];
        cuantas++;
    }
    if (cuantas == 1)
        return hallada;
    fallo_poner(f, cuantas == 0 ? "opción desconocida: '%s'" :
                "opción ambigua: '%s'", palabra);
    return NULL;
}

/* "--name", "--name=V", "--name V": argv[*i].  Advances *i past a value. */
static void
largo(struct linea *l, int argc, char **argv, int *i, struct dados *d, struct fallo *f)
{
    const char *p = argv[*i] + 2, *igual = strchr(p, '=');
    size_t len = igual ? (size_t)(igual - p) : strlen(p);
    const struct opcion *o = buscar_largo(p, len, argv[*i], f);
    char como[64];

    if (o == NULL)
        return;
    snprintf(como, sizeof como, "--%s", o->largo);
    if (!o->valor && igual != NULL) {
        fallo_poner(f, "la opción %s no lleva valor", como);
    } else if (!o->valor) {
        tomar(l, o, como, NULL, d, f);
    } else if (igual != NULL) {
        tomar(l, o, como, igual + 1, d, f);
    } else if (*i + 1 < argc) {
        ++*i;
        tomar(l, o, como, argv[*i], d, f);
    } else {
        fallo_poner(f, "a la opción %s le falta su valor", como);
    }
}

/* "-j", "-jh", "-t5", "-t 5": argv[*i].  Advances *i past a value. */
static void
cortas(struct linea *l, int argc, char **argv, int *i, struct dados *d, struct fallo *f)
{
    for (const char *p = argv[*i] + 1; *p != '\0'; p++) {
        const struct opcion *o = NULL;
        char como[3] = { '-', *p, '\0' };

        for (size_t k = 0; k < NOPCIONES; k++)
            if (opciones[k].corto == *p)
                o = &opciones[k];
        if (o == NULL) {
            fallo_poner(f, "opción desconocida: '%s'", como);
            return;
        }
        if (!o->valor) {
            tomar(l, o, como, NULL, d, f);
            continue;
        }
        if (p[1] != '\0')
            tomar(l, o, como, p + 1, d, f);
        else if (*i + 1 < argc)
            tomar(l, o, como, argv[++*i], d, f);
        else
            fallo_poner(f, "a la opción %s le falta su valor", como);
        return;
    }
}

/* "-x" and "--x" are options; "-", "-5" and everything after "--" are not. */
static bool
es_opcion(const char *a)
{
    return a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1]);
}

/* The environment's defaults, for the options not given on the line. */
static void
entorno(struct linea *l, const struct dados *d, struct fallo *f)
{
    const char *v;
    bool sin_memoria = false;

    if (!d->host && (v = getenv("INVENTARIO_HOST")) != NULL && v[0] != '\0' &&
        !sumar_hosts(l, v, &sin_memoria))
        fallo_poner(f, sin_memoria ? "no hay memoria" :
                    "valor inválido en INVENTARIO_HOST: '%s' " MAL_HOST, v);
    if (!d->programa && (v = getenv("INVENTARIO_PROGRAM")) != NULL && v[0] != '\0' &&
        !leer_programa(v, &l->programa))
        fallo_poner(f, "valor inválido en INVENTARIO_PROGRAM: '%s' " MAL_PROGRAMA, v);
    if (!d->espera && (v = getenv("INVENTARIO_TIMEOUT")) != NULL && v[0] != '\0' &&
        !leer_espera(v, &l->espera_ms))
        fallo_poner(f, "valor inválido en INVENTARIO_TIMEOUT: '%s' " MAL_ESPERA, v);
}

int
linea_leer(int argc, char **argv, struct linea *l)
{
    struct fallo f = { .hay = false };
    struct dados d = { false, false, false };
    bool solo_argumentos = false, sin_memoria = false;

    memset(l, 0, sizeof *l);
    /* A few seconds: a person waits for an answer, unlike rpcgen's 25 s. */
    l->espera_ms = 5000;
    tls_ajustes_entorno(&l->tls);       /* the options below override it */
    if ((l->arg = calloc((size_t)argc + 1, sizeof *l->arg)) == NULL)
        return linea_mal_uso(false, "no hay memoria");
    for (int i = 1; i < argc; i++) {
        if (solo_argumentos || !es_opcion(argv[i]))
            l->arg[l->narg++] = argv[i];
        else if (strcmp(argv[i], "--") == 0)
            solo_argumentos = true;
        else if (argv[i][1] == '-')
            largo(l, argc, argv, &i, &d, &f);
        else
            cortas(l, argc, argv, &i, &d, &f);
    }
    entorno(l, &d, &f);
    if (l->host == NULL && !sumar_hosts(l, "localhost", &sin_memoria))
        fallo_poner(&f, "no hay memoria");
    if (l->narg > 0) {
        l->orden = l->arg[0];
        memmove(l->arg, l->arg + 1, (size_t)l->narg * sizeof *l->arg);
        l->narg--;
    }
    if (f.hay)
        return linea_mal_uso(l->json, "%s", f.frase);
    return -1;
}

void
linea_liberar(struct linea *l)
{
    free(l->host);
    free(l->arg);
    memset(l, 0, sizeof *l);
}
