/* config.c - defaults, getopt_long and --help for inventario-stress; see config.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "salida.h"
#include "util.h"
#include "validar.h"

#define MEZCLA_DEFECTO "null=10,obtener=60,listar=1,agregar=5,actualizar=20,eliminar=4"
#define DURACION_DEFECTO_S 10.0

static void
config_init(struct config *c)
{
    char err[128];

    memset(c, 0, sizeof *c);
    tls_ajustes_entorno(&c->tls);
    c->destino.host = NULL;             /* resolved after parsing */
    c->destino.programa = 0;            /* resolved after parsing */
    c->destino.plazo_s = 10.0;
    c->clientes = 4;
    c->duracion_s = 0;
    c->productos = 0;
    (void)mezcla_parse(MEZCLA_DEFECTO, &c->mezcla, err, sizeof err);
    c->precargar = true;
    c->op_pesada = OP_LISTAR;
    c->max_reintentos = 20;
    c->bench_clientes[0] = 1;
    c->bench_clientes[1] = 4;
    c->bench_clientes[2] = 16;
    c->bench_clientes[3] = 64;
    c->n_bench_clientes = 4;
    c->bench_segundos = 3.0;
    c->bench_ops = BENCH_OPS_DEFECTO;
    c->db_dir = NULL;
    c->semilla = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static void
usage(FILE *f)
{
    fprintf(f,
"Uso: inventario-stress [OPCIÓN]...\n"
"Carga concurrente, verificación de invariantes y medida de rendimiento del\n"
"servicio de inventario de TecnoMarket (ONC RPC).  Cada cliente es un hilo (o\n"
"un proceso, con --processes) con su propia conexión TCP.\n"
"\n"
"Servidor: por omisión, uno propio.  Sin --host, --program ni\n"
"--contra-servicio-real, arranca su propio inventario-server sobre una base de\n"
"datos vacía en una carpeta temporal, con un número de programa transitorio, y\n"
"al terminar lo para y lo borra todo: nunca toca el inventario del servicio.\n"
"  -H, --host=MÁQUINA       usa el servidor de esa máquina (una dirección IPv6\n"
"                           literal como ::1 usa tcp6) en vez de uno propio\n"
"  -p, --program=NUM        usa el servidor de ese número de programa, decimal\n"
"                           o 0x hexadecimal, en vez de uno propio (con --host\n"
"                           y sin --program: el del servicio)\n"
"      --contra-servicio-real  permite usar el servicio real (el programa de\n"
"                           INVENTARIO_PROGRAM, o de inventario.servicio en\n"
"                           /etc/rpc, o 541675094; sin --host, en\n"
"                           INVENTARIO_HOST o localhost): sin esta opción se\n"
"                           niega, porque crea, cambia y borra productos y deja\n"
"                           movimientos en su registro\n"
"      --servidor=RUTA      el inventario-server propio (por omisión el que\n"
"                           está junto a esta herramienta, o el de PATH)\n"
"      --conservar          no borra lo creado: en un servidor ajeno, los\n"
"                           productos del prefijo de la ejecución; con el\n"
"                           propio, su carpeta (dice dónde queda)\n"
"  -t, --timeout=S          plazo de cada llamada y de cada conexión, en\n"
"                           segundos (por omisión 10)\n"
"Con TLS (solo con un servidor ajeno, --host o --program, arrancado con\n"
"--tls-cert, --tls-key y --tls-ca; el propio no tiene certificado):\n"
TLS_AJUSTES_AYUDA
"\n"
"Carga:\n"
"  -c, --clients=N          clientes a la vez (por omisión 4; hasta %d)\n"
"      --processes          un proceso por cliente en vez de un hilo\n"
"      --duration=S         segundos de carga (por omisión 10; sin letra: -d\n"
"                           es --db en inventario-server)\n"
"  -n, --ops=N              llamadas en total, repartidas entre los clientes;\n"
"                           con --duration, termina lo que llegue antes; solo,\n"
"                           como mucho %.0f segundos\n"
"  -N, --products=N         espacio de productos (por omisión 1000; con\n"
"                           --verify: disjoint 1000 en total, churn 32\n"
"                           compartidos, counter 4 compartidos)\n"
"  -m, --mix=OP=PESO,...    mezcla de operaciones; OP es null, obtener, listar,\n"
"                           agregar, actualizar, eliminar, ajustar, movimientos,\n"
"                           pagina o estado (las cuatro últimas, versión 2).\n"
"                           Por omisión:\n"
"                           " MEZCLA_DEFECTO "\n"
"      --prefix=TEXTO       prefijo de los ids que crea la herramienta (por\n"
"                           omisión uno nuevo en cada ejecución: st<etiqueta>-\n"
"                           en carga, b<etiqueta>- en --bench y v<etiqueta>- en\n"
"                           --verify); al terminar borra todos los productos\n"
"                           con ese prefijo, salvo con --conservar\n"
"      --no-preload         no crea los productos antes de medir\n"
"      --heavy-clients=N    clientes adicionales que solo hacen --heavy-op; se\n"
"                           informan aparte (para ver si las llamadas pequeñas\n"
"                           esperan detrás de las grandes)\n"
"      --heavy-op=OP        operación de esos clientes (por omisión listar)\n"
"      --seed=N             semilla de los números aleatorios\n"
"\n"
"Verificación:\n"
"      --verify=MODO        disjoint: cada cliente escribe solo sus productos y\n"
"                           al final cada uno tiene el último valor confirmado;\n"
"                           churn: agregar/actualizar/eliminar a la vez sobre los\n"
"                           mismos ids y el estado final es uno que permiten las\n"
"                           operaciones confirmadas; counter: AJUSTAR_STOCK a la\n"
"                           vez sobre pocos productos, el stock final suma\n"
"                           exactamente y el registro de movimientos encadena\n"
"                           sin huecos (versión 2)\n"
"      --retry              counter: cada ajuste lleva una clave única y, si se\n"
"                           agota el plazo o cae la conexión, se reintenta con\n"
"                           la misma clave (reconectando)\n"
"      --dup-rate=P         counter: envía otra vez, con la misma clave, esta\n"
"                           fracción de los ajustes confirmados (0 a 1; implica\n"
"                           claves)\n"
"      --max-retries=N      intentos de más por ajuste con --retry (por\n"
"                           omisión 20)\n"
"\n"
"Rendimiento:\n"
"      --bench              mide cada operación con 1, 4, 16 y 64 clientes, en\n"
"                           proporción a NULL y a las confirmaciones por segundo\n"
"                           del disco medidas en la misma ejecución\n"
"      --bench-clients=LISTA  número de clientes (por omisión 1,4,16,64)\n"
"      --bench-seconds=S    segundos por medida (por omisión 3)\n"
"      --bench-ops=LISTA    escenarios, por omisión\n"
"                           " BENCH_OPS_DEFECTO "\n"
"      --db-dir=DIR         carpeta donde medir las confirmaciones de SQLite\n"
"                           con WAL y synchronous=FULL, en el disco de la base\n"
"                           de datos del servidor; con el servidor propio, es\n"
"                           también donde se crea su carpeta temporal (por\n"
"                           omisión TMPDIR o /tmp; con otro servidor, .)\n"
"\n"
"Salida:\n"
"  -j, --json               el informe en JSON por la salida estándar\n"
"      --fail-on-error      sale con 5 si hubo llamadas fallidas\n"
"  -v, --verbose            cuenta lo que hace por la salida de errores (-v como\n"
"                           en inventario-server)\n"
"  -h, --help               muestra esta ayuda y termina\n"
"  -V, --version            muestra la versión y termina\n"
"\n"
"Ejemplos:\n"
"  inventario-stress -c 16 --duration 30 --mix obtener=80,actualizar=20\n"
"  inventario-stress --verify counter -c 64 --duration 10 --retry --dup-rate 0.1\n"
"  inventario-stress --bench --db-dir /srv/discos/rapido --json > bench.json\n"
"  inventario-stress -N 20000 -c 8 --mix obtener=1 --heavy-clients 1\n"
"  inventario-stress -p 0x40000001 --verify churn    (un servidor de prueba)\n"
"\n"
"Entorno: INVENTARIO_PROGRAM e INVENTARIO_HOST dicen dónde está el servicio\n"
"real (las opciones mandan); TMPDIR, dónde van las carpetas temporales.\n"
"\n"
"Estado de salida:\n", CLIENTES_MAX, DURACION_TOPE_S);
#define SALIDA_USO_LINEA(name, code, text) fprintf(f, "  %d  %s\n", code, text);
    SALIDA_MAP(SALIDA_USO_LINEA)
#undef SALIDA_USO_LINEA
}

static void mal_uso(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
mal_uso(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "inventario-stress: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nPruebe 'inventario-stress --help'.\n");
    exit(SALIDA_USO);
}

static unsigned long long
entero(const char *opt, const char *s, unsigned long long min, unsigned long long max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 || v < min || v > max)
        mal_uso("valor inválido para %s: '%s' (entero de %llu a %llu)", opt, s,
                min, max);
    return v;
}

static double
real(const char *opt, const char *s, double min, double max)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max)
        mal_uso("valor inválido para %s: '%s' (número de %g a %g)", opt, s, min, max);
    return v;
}

static enum verif_modo
verif_modo(const char *s)
{
    if (strcmp(s, "disjoint") == 0 || strcmp(s, "disjunto") == 0)
        return VERIF_DISJUNTO;
    if (strcmp(s, "churn") == 0)
        return VERIF_CHURN;
    if (strcmp(s, "counter") == 0 || strcmp(s, "contador") == 0)
        return VERIF_CONTADOR;
    mal_uso("modo de verificación desconocido: '%s' (disjoint, churn o counter)", s);
}

const char *
config_verif_nombre(enum verif_modo m)
{
    static const char *const n[] = { "ninguna", "disjoint", "churn", "counter" };

    return (unsigned)m < sizeof n / sizeof n[0] ? n[m] : "?";
}

static void
lista_clientes(struct config *c, const char *s)
{
    char *copia = strdup(s), *save = NULL, *item;

    if (copia == NULL)
        exit(SALIDA_LOCAL);
    c->n_bench_clientes = 0;
    for (item = strtok_r(copia, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        if (c->n_bench_clientes == BENCH_CLIENTES_MAX)
            mal_uso("--bench-clients: como mucho %d valores", BENCH_CLIENTES_MAX);
        c->bench_clientes[c->n_bench_clientes++] =
            (unsigned)entero("--bench-clients", item, 1, CLIENTES_MAX);
    }
    free(copia);
    if (c->n_bench_clientes == 0)
        mal_uso("--bench-clients: lista vacía");
}

static void
prefijo(struct config *c, const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > PREFIJO_MAX || validar_id(s, n) != VALIDO)
        mal_uso("valor inválido para --prefix: '%s' (de 1 a %d bytes, con las "
                "reglas de un id)", s, PREFIJO_MAX);
    memcpy(c->prefijo, s, n + 1);
}

/* Long-only options get codes past the ASCII range. */
enum {
    O_PROCESSES = 256, O_PREFIX, O_NO_PRELOAD, O_HEAVY_CLIENTS, O_HEAVY_OP,
    O_SEED, O_RETRY, O_DUP_RATE, O_MAX_RETRIES, O_BENCH, O_BENCH_CLIENTS,
    O_BENCH_SECONDS, O_BENCH_OPS, O_DB_DIR, O_FAIL_ON_ERROR, O_VERIFY,
    O_DURATION, O_CONTRA_REAL, O_SERVIDOR, O_CONSERVAR,
    O_TLS, O_TLS_CERT, O_TLS_KEY, O_TLS_CA
};

static const struct option longopts[] = {
    { "host",          required_argument, NULL, 'H' },
    { "program",       required_argument, NULL, 'p' },
    { "timeout",       required_argument, NULL, 't' },
    { "tls",           no_argument,       NULL, O_TLS },
    { "tls-cert",      required_argument, NULL, O_TLS_CERT },
    { "tls-key",       required_argument, NULL, O_TLS_KEY },
    { "tls-ca",        required_argument, NULL, O_TLS_CA },
    { "clients",       required_argument, NULL, 'c' },
    { "processes",     no_argument,       NULL, O_PROCESSES },
    { "duration",      required_argument, NULL, O_DURATION },
    { "contra-servicio-real", no_argument, NULL, O_CONTRA_REAL },
    { "servidor",      required_argument, NULL, O_SERVIDOR },
    { "conservar",     no_argument,       NULL, O_CONSERVAR },
    { "ops",           required_argument, NULL, 'n' },
    { "products",      required_argument, NULL, 'N' },
    { "mix",           required_argument, NULL, 'm' },
    { "prefix",        required_argument, NULL, O_PREFIX },
    { "no-preload",    no_argument,       NULL, O_NO_PRELOAD },
    { "heavy-clients", required_argument, NULL, O_HEAVY_CLIENTS },
    { "heavy-op",      required_argument, NULL, O_HEAVY_OP },
    { "seed",          required_argument, NULL, O_SEED },
    { "verify",        required_argument, NULL, O_VERIFY },
    { "retry",         no_argument,       NULL, O_RETRY },
    { "dup-rate",      required_argument, NULL, O_DUP_RATE },
    { "max-retries",   required_argument, NULL, O_MAX_RETRIES },
    { "bench",         no_argument,       NULL, O_BENCH },
    { "bench-clients", required_argument, NULL, O_BENCH_CLIENTS },
    { "bench-seconds", required_argument, NULL, O_BENCH_SECONDS },
    { "bench-ops",     required_argument, NULL, O_BENCH_OPS },
    { "db-dir",        required_argument, NULL, O_DB_DIR },
    { "json",          no_argument,       NULL, 'j' },
    { "fail-on-error", no_argument,       NULL, O_FAIL_ON_ERROR },
    { "verbose",       no_argument,       NULL, 'v' },
    { "help",          no_argument,       NULL, 'h' },
    { "version",       no_argument,       NULL, 'V' },
    { NULL, 0, NULL, 0 }
};

/* One option of the connection or the load; false if it is none of them. */
static bool
opcion_carga(struct config *c, int o, const char *arg)
{
    char err[160];

    switch (o) {
    case O_TLS:
        c->tls.activo = true;
        return true;
    case O_TLS_CERT:
    case O_TLS_KEY:
    case O_TLS_CA:
        *(o == O_TLS_CERT ? &c->tls.cert : o == O_TLS_KEY ? &c->tls.key
                          : &c->tls.ca) = arg;
        c->tls.archivo_en_opcion = true;
        return true;
    case 'H':
        if (arg[0] == '\0')
            mal_uso("--host vacío");
        c->destino.host = arg;
        c->externo = true;
        return true;
    case 'p':
        c->destino.programa = (rpcprog_t)entero("--program", arg, 1, 0xFFFFFFFFull);
        c->externo = true;
        return true;
    case O_CONTRA_REAL:
        c->contra_real = c->externo = true;
        return true;
    case O_SERVIDOR:
        c->servidor_bin = arg;
        return true;
    case O_CONSERVAR:
        c->conservar = true;
        return true;
    case 't':
        c->destino.plazo_s = real("--timeout", arg, 0.01, 3600);
        return true;
    case 'c':
        c->clientes = (unsigned)entero("--clients", arg, 1, CLIENTES_MAX);
        return true;
    case O_PROCESSES:
        c->procesos = true;
        return true;
    case O_DURATION:
        c->duracion_s = real("--duration", arg, 0.001, 86400);
        return true;
    case 'n':
        c->ops = entero("--ops", arg, 1, 1000000000ull);
        return true;
    case 'N':
        c->productos = (unsigned)entero("--products", arg, 1, 10000000);
        return true;
    case 'm':
        if (!mezcla_parse(arg, &c->mezcla, err, sizeof err))
            mal_uso("--mix: %s", err);
        c->mezcla_dada = true;
        return true;
    case O_PREFIX:
        prefijo(c, arg);
        return true;
    case O_NO_PRELOAD:
        c->precargar = false;
        return true;
    case O_HEAVY_CLIENTS:
        c->pesados = (unsigned)entero("--heavy-clients", arg, 0, CLIENTES_MAX);
        return true;
    case O_HEAVY_OP:
        if ((c->op_pesada = op_por_nombre(arg)) == OP_N)
            mal_uso("--heavy-op: operación desconocida '%s'", arg);
        return true;
    case O_SEED:
        c->semilla = entero("--seed", arg, 0, UINT64_MAX);
        return true;
    }
    return false;
}

/* One option of verification, benchmark or output; exits on an unknown one. */
static void
opcion_resto(struct config *c, int o, const char *arg)
{
    char err[160];

    switch (o) {
    case O_VERIFY:
        c->verificar = verif_modo(arg);
        break;
    case O_RETRY:
        c->reintentar = true;
        break;
    case O_DUP_RATE:
        c->dup_rate = real("--dup-rate", arg, 0, 1);
        break;
    case O_MAX_RETRIES:
        c->max_reintentos = (unsigned)entero("--max-retries", arg, 0, 1000);
        break;
    case O_BENCH:
        c->bench = true;
        break;
    case O_BENCH_CLIENTS:
        lista_clientes(c, arg);
        break;
    case O_BENCH_SECONDS:
        c->bench_segundos = real("--bench-seconds", arg, 0.1, 3600);
        break;
    case O_BENCH_OPS:
        if (!bench_ops_validos(arg, err, sizeof err))
            mal_uso("--bench-ops: %s", err);
        c->bench_ops = arg;
        break;
    case O_DB_DIR:
        c->db_dir = arg;
        break;
    case 'j':
        c->json = true;
        break;
    case O_FAIL_ON_ERROR:
        c->fail_on_error = true;
        break;
    case 'v':
        c->verboso = true;
        break;
    case 'h':
        usage(stdout);
        exit(SALIDA_OK);
    case 'V':
        printf("inventario-stress %s\n", INVENTARIO_VERSION);
        exit(SALIDA_OK);
    default:
        fprintf(stderr, "Pruebe 'inventario-stress --help'.\n");
        exit(SALIDA_USO);
    }
}

/* Options that only make sense together, and the defaults that depend on
 * the mode. */
static void
coherencia(struct config *c)
{
    if (c->bench && c->verificar != VERIF_NINGUNA)
        mal_uso("--bench y --verify no se combinan");
    if ((c->reintentar || c->dup_rate > 0) && c->verificar != VERIF_CONTADOR)
        mal_uso("--retry y --dup-rate son de --verify counter");
    if (c->pesados > 0 && (c->bench || c->verificar != VERIF_NINGUNA))
        mal_uso("--heavy-clients es del modo de carga");
    if (c->clientes + c->pesados > CLIENTES_MAX)
        mal_uso("--clients más --heavy-clients no puede pasar de %d", CLIENTES_MAX);
    if (c->duracion_s == 0)
        c->duracion_s = c->ops ? DURACION_TOPE_S : DURACION_DEFECTO_S;
    if (c->productos == 0)
        c->productos = c->verificar == VERIF_CHURN      ? 32
                       : c->verificar == VERIF_CONTADOR ? 4
                                                        : 1000;
}

/* INVENTARIO_PROGRAM if set (checked as --program is), else the alias. */
static rpcprog_t
programa_servicio(void)
{
    const char *e = getenv("INVENTARIO_PROGRAM");

    if (e != NULL && e[0] != '\0')
        return (rpcprog_t)entero("INVENTARIO_PROGRAM", e, 1, 0xFFFFFFFFull);
    return conexion_programa_defecto();
}

/* Which server, and the guard of the real one. */
static void
destino(struct config *c)
{
    const char *host = getenv("INVENTARIO_HOST");

    c->programa_servicio = programa_servicio();
    if (c->servidor_bin != NULL && c->externo)
        mal_uso("--servidor es del servidor propio: no se combina con --host, "
                "--program ni --contra-servicio-real");
    if (!c->externo)
        return;
    if (c->db_dir == NULL)
        c->db_dir = ".";
    if (c->contra_real && c->destino.host == NULL && host != NULL && host[0] != '\0')
        c->destino.host = host;
    if (c->destino.host == NULL)
        c->destino.host = "localhost";
    if (c->destino.programa == 0)
        c->destino.programa = c->programa_servicio;
    if (!c->contra_real && (c->destino.programa == c->programa_servicio ||
                            c->destino.programa == INVENTARIO_PROG))
        mal_uso("el programa %lu es el del servicio de inventario real, y esta "
                "herramienta crea, cambia y borra productos y deja movimientos en "
                "su registro.  Para medir o verificar sin tocarlo, no dé --host ni "
                "--program: arranca un servidor propio sobre una base de datos "
                "temporal.  Para usar de verdad el servicio, añada "
                "--contra-servicio-real", (unsigned long)c->destino.programa);
}

/* --tls and its files (tls_ajustes.h): the credentials, loaded once. */
static void
tls(struct config *c)
{
    struct tls_client *cred;
    char err[512];

    if (!tls_ajustes_cargar(&c->tls, &cred, err, sizeof err))
        mal_uso("%s", err);
    if (cred != NULL && !c->externo)
        mal_uso("--tls necesita un servidor ajeno arrancado con TLS (--host o "
                "--program): el servidor propio no tiene certificado");
    c->destino.tls = cred;
}

/* The run's prefix, if --prefix did not give one: new for each run, so
 * that runs on the same server never see each other's products. */
static void
prefijo_ejecucion(struct config *c)
{
    char etiqueta[16];

    if (c->prefijo[0] != '\0')
        return;
    etiqueta_ejecucion(etiqueta, sizeof etiqueta);
    snprintf(c->prefijo, sizeof c->prefijo, "%s%s-",
             c->bench ? "b" : c->verificar != VERIF_NINGUNA ? "v" : "st", etiqueta);
}

void
config_parse(struct config *c, int argc, char **argv)
{
    int o;

    config_init(c);
    opterr = 0;         /* getopt's own messages are in English: ours instead */
    while ((o = getopt_long(argc, argv, ":H:p:t:c:n:N:m:jvhV", longopts, NULL)) != -1) {
        /* A short option's letter is in optopt; a long one is the whole word. */
        bool corta = optopt > 0 && optopt < 128 && argv[optind - 1][1] != '-';

        if (o == ':' && corta)
            mal_uso("a la opción '-%c' le falta su valor", optopt);
        if (o == ':')
            mal_uso("a la opción '%s' le falta su valor", argv[optind - 1]);
        if (o == '?' && corta && optopt == 'd')
            mal_uso("opción desconocida: '-d' (la duración es --duration, sin letra: "
                    "-d es --db en inventario-server)");
        if (o == '?' && corta)
            mal_uso("opción desconocida: '-%c'", optopt);
        if (o == '?')
            mal_uso("opción desconocida o mal usada: '%s'", argv[optind - 1]);
        if (!opcion_carga(c, o, optarg))
            opcion_resto(c, o, optarg);
    }
    if (optind < argc)
        mal_uso("argumento inesperado: '%s'", argv[optind]);
    coherencia(c);
    destino(c);
    tls(c);
    prefijo_ejecucion(c);
}
