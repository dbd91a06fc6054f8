/* main.c - inventario-server: options, start-up, and an orderly stop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "acceso.h"
#include "tls_config.h"
#include "bloqueo.h"
#include "dispatch.h"
#include "espera.h"
#include "handlers.h"
#include "inventario.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "rpcreg.h"
#include "store.h"

#define MAX_LISTEN 16

/* Every setting of the server, with its default in settings_init. */
struct settings {
    const char     *db;
    rpcprog_t       program;
    const char     *listen[MAX_LISTEN];
    size_t          n_listen;
    bool            listen_default;
    unsigned        port;
    unsigned        threads;
    unsigned        max_conns;
    unsigned        max_per_addr;
    unsigned        idle_secs;
    unsigned        call_timeout_ms;
    unsigned        send_timeout_ms;
    enum store_sync sync;
    bool            group_commit;
    unsigned        mmap_mib;
    bool            verbose;
    struct acceso_lista escritura;  /* --allow-write */
    struct acceso_lista lectura;    /* --allow-read */
    struct tls_config   tls;        /* --tls and its files (tls_config.h) */
};

static void
settings_init(struct settings *s)
{
    memset(s, 0, sizeof *s);
    s->db = "inventario.db";
    s->program = INVENTARIO_PROG;
    s->listen[0] = "127.0.0.1";
    s->listen[1] = "::1";
    s->n_listen = 2;
    s->listen_default = true;
    s->threads = 8;
    s->max_conns = 4096;
    s->max_per_addr = 512;
    s->idle_secs = 300;
    s->call_timeout_ms = 5000;
    s->send_timeout_ms = 10000;
    s->sync = STORE_SYNC_FULL;
    s->group_commit = true;
    s->mmap_mib = STORE_MMAP_MIB_DEFECTO;
}

/* The versions served: all of them, on whatever program number. */
static const rpcvers_t versions[] = { INVENTARIO_V1, INVENTARIO_V2, INVENTARIO_V3 };
#define NVERSIONS (sizeof versions / sizeof versions[0])

/* Record size cap for incoming calls.  The largest argument is well under
 * 1 KiB; anything bigger is not a call of ours and its connection is cut. */
#define MAX_RECORD 8192

/* Unsent reply bytes past which a connection is not read (back-pressure):
 * a few ordinary replies, or the rest of one full listing. */
#define OUT_MAX (256 * 1024)

static void
usage(FILE *f)
{
    fprintf(f,
"Uso: inventario-server [OPCIÓN]...\n"
"Servidor del inventario de TecnoMarket (ONC RPC, programa 541675094,\n"
"alias inventario.servicio).  Se registra en rpcbind y sirve en primer plano;\n"
"el registro va a la salida de errores.\n"
"\n"
"  -d, --db=RUTA|URI      base de datos: la ruta de un archivo SQLite (por\n"
"                         omisión inventario.db; se crea vacío si no existe),\n"
"                         o una URI postgresql:// (o postgres://) de una base\n"
"                         PostgreSQL que pueden compartir varios servidores,\n"
"                         p. ej. postgresql://inventario@db1/inventario; las\n"
"                         tablas se crean si faltan; la contraseña, mejor en\n"
"                         ~/.pgpass que en la URI, que se ve en 'ps'\n"
"  -p, --program=NUM      número de programa RPC, decimal o 0x hexadecimal\n"
"                         (por omisión 541675094 = 0x20494E56)\n"
"  -l, --listen=DIR       dirección IPv4 o IPv6 en la que escuchar; se puede\n"
"                         repetir (por omisión 127.0.0.1 y ::1; 0.0.0.0 y ::\n"
"                         para servir a otras máquinas)\n"
"      --port=N           puerto TCP fijo (por omisión, uno libre)\n"
"      --allow-write=RED  solo las llamadas desde RED (CIDR: 192.168.1.0/24,\n"
"                         fd00::/8, o una dirección) pueden escribir; se puede\n"
"                         repetir; las demás reciben un error de autenticación\n"
"                         (por omisión escribe cualquiera que pueda conectar)\n"
"      --allow-read=RED   igual, para leer (por omisión lee cualquiera); sin\n"
"                         --allow-write, limita también las escrituras\n"
"                         (RED también puede ser tls:NOMBRE: la sucursal\n"
"                         cuyo certificado TLS lleva ese nombre)\n"
"      --allow-write-file=ARCHIVO  las entradas de --allow-write, una por\n"
"                         línea (redes o tls:NOMBRE; '#' comenta)\n"
"  -T, --threads=N        llamadas atendidas a la vez (por omisión 8); las\n"
"                         escrituras que esperan al disco y las esperas de\n"
"                         ESPERAR_MOVIMIENTOS no cuentan\n"
"      --max-conns=N      conexiones de clientes a la vez (por omisión 4096);\n"
"                         con la tabla llena, una conexión nueva cierra la\n"
"                         que lleva más tiempo inactiva\n"
"      --max-conns-per-addr=N\n"
"                         conexiones desde una misma dirección (por omisión\n"
"                         512); una más cierra la más inactiva de esa dirección\n"
"      --idle-timeout=S   cierra conexiones sin llamadas ni respuestas S\n"
"                         segundos (por omisión 300; 0 nunca)\n"
"      --call-timeout=S   una llamada debe llegar entera en S segundos desde\n"
"                         su primer byte, o se cierra la conexión (por\n"
"                         omisión 5; admite decimales)\n"
"      --send-timeout=S   cierra la conexión si sus respuestas pendientes no\n"
"                         avanzan en S segundos porque el cliente no las lee\n"
"                         (por omisión 10; admite decimales)\n"
"  -s, --sync=MODO        full: cada cambio sobrevive a un corte de luz (por\n"
"                         omisión); normal: sobrevive a una caída del proceso,\n"
"                         no a un corte de luz, y escribe más rápido\n"
"      --group-commit=X   yes: las escrituras que llegan a la vez se confirman\n"
"                         juntas con una sola sincronización (por omisión);\n"
"                         no: una sincronización por escritura\n"
"      --mmap=MIB         SQLite: lee hasta MIB mebibytes de la base a través\n"
"                         de una proyección en memoria compartida por todas\n"
"                         las conexiones (por omisión 1024, un inventario de\n"
"                         varios millones de productos; 0 la desactiva); el\n"
"                         registro de arranque dice cuánto ocupa\n"
TLS_CONFIG_HELP
"  -v, --verbose          anota cada llamada en el registro\n"
"  -h, --help             muestra esta ayuda y termina\n"
"  -V, --version          muestra la versión y termina\n"
"\n"
"SIGTERM o SIGINT (Ctrl-C): deja de aceptar llamadas, termina las que están\n"
"en curso, se da de baja en rpcbind, cierra la base de datos y sale con 0.\n"
"SIGHUP: se anota en el registro y se ignora.\n"
"\n"
"Estado de salida:\n"
"  0  terminó con normalidad\n"
"  1  no pudo arrancar (base de datos inválida, inalcanzable o sin permiso de\n"
"     escritura, otro servidor usa esa base, rpcbind no disponible, ya hay\n"
"     un servidor vivo en ese programa, no puede escuchar...), o un error\n"
"     grave le obligó a parar\n"
"  2  opciones incorrectas\n");
}

static bool
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s[0] == '\0' || s[0] == '-')
        return false;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Seconds with an optional fraction, into milliseconds within [min, max]. */
static bool
parse_ms(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    double v;

    if (s[0] == '\0' || s[0] == '-')
        return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !(v * 1000.0 >= min) || !(v * 1000.0 <= max))
        return false;
    *out = (unsigned)(v * 1000.0 + 0.5);
    return true;
}

static void
bad_option(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "inventario-server: valor inválido para %s: '%s' (%s)\n"
            "Pruebe 'inventario-server --help'.\n", opt, val, why);
    exit(2);
}

static void
parse_args(int argc, char **argv, struct settings *s)
{
    static const struct option longopts[] = {
        { "db",           required_argument, NULL, 'd' },
        { "program",      required_argument, NULL, 'p' },
        { "listen",       required_argument, NULL, 'l' },
        { "port",         required_argument, NULL, 'P' },
        { "threads",      required_argument, NULL, 'T' },
        { "max-conns",    required_argument, NULL, 'C' },
        { "max-conns-per-addr", required_argument, NULL, 'A' },
        { "idle-timeout", required_argument, NULL, 'I' },
        { "call-timeout", required_argument, NULL, 'K' },
        { "send-timeout", required_argument, NULL, 'S' },
        { "sync",         required_argument, NULL, 's' },
        { "group-commit", required_argument, NULL, 'G' },
        { "mmap",         required_argument, NULL, 'M' },
        { "allow-write",  required_argument, NULL, 'W' },
        { "allow-read",   required_argument, NULL, 'R' },
        { "allow-write-file", required_argument, NULL, 'F' },
        TLS_CONFIG_LONGOPTS,
        { "verbose",      no_argument,       NULL, 'v' },
        { "help",         no_argument,       NULL, 'h' },
        { "version",      no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    unsigned long v;
    char err[512];
    bool misuse;
    int c;

    while ((c = getopt_long(argc, argv, "d:p:l:T:s:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (optarg[0] == '\0')
                bad_option("--db", optarg, "ruta vacía");
            s->db = optarg;
            break;
        case 'p':
            if (!parse_uint(optarg, 1, 0xFFFFFFFFul, &v))
                bad_option("--program", optarg, "entero de 1 a 4294967295");
            s->program = (rpcprog_t)v;
            break;
        case 'l':
            if (rpcreg_netid(optarg) == NULL)
                bad_option("--listen", optarg, "dirección IPv4 o IPv6 literal");
            if (s->listen_default) {
                s->n_listen = 0;
                s->listen_default = false;
            }
            if (s->n_listen == MAX_LISTEN)
                bad_option("--listen", optarg, "demasiadas direcciones");
            s->listen[s->n_listen++] = optarg;
            break;
        case 'P':
            if (!parse_uint(optarg, 1, 65535, &v))
                bad_option("--port", optarg, "entero de 1 a 65535");
            s->port = (unsigned)v;
            break;
        case 'T':
            if (!parse_uint(optarg, 1, 1024, &v))
                bad_option("--threads", optarg, "entero de 1 a 1024");
            s->threads = (unsigned)v;
            break;
        case 'C':
            if (!parse_uint(optarg, 1, 1000000, &v))
                bad_option("--max-conns", optarg, "entero de 1 a 1000000");
            s->max_conns = (unsigned)v;
            break;
        case 'A':
            if (!parse_uint(optarg, 1, 1000000, &v))
                bad_option("--max-conns-per-addr", optarg, "entero de 1 a 1000000");
            s->max_per_addr = (unsigned)v;
            break;
        case 'K':
            if (!parse_ms(optarg, 10, 3600000, &s->call_timeout_ms))
                bad_option("--call-timeout", optarg, "segundos, de 0.01 a 3600");
            break;
        case 'S':
            if (!parse_ms(optarg, 10, 3600000, &s->send_timeout_ms))
                bad_option("--send-timeout", optarg, "segundos, de 0.01 a 3600");
            break;
        case 'I':
            if (!parse_uint(optarg, 0, 86400 * 7, &v) && strcmp(optarg, "0") != 0)
                bad_option("--idle-timeout", optarg, "segundos, de 0 a 604800");
            s->idle_secs = strcmp(optarg, "0") == 0 ? 0 : (unsigned)v;
            break;
        case 's':
            if (strcmp(optarg, "full") == 0)
                s->sync = STORE_SYNC_FULL;
            else if (strcmp(optarg, "normal") == 0)
                s->sync = STORE_SYNC_NORMAL;
            else
                bad_option("--sync", optarg, "full o normal");
            break;
        case 'G':
            if (strcmp(optarg, "yes") == 0)
                s->group_commit = true;
            else if (strcmp(optarg, "no") == 0)
                s->group_commit = false;
            else
                bad_option("--group-commit", optarg, "yes o no");
            break;
        case 'M':
            if (!parse_uint(optarg, 0, 1u << 20, &v) && strcmp(optarg, "0") != 0)
                bad_option("--mmap", optarg, "mebibytes, de 0 a 1048576");
            s->mmap_mib = strcmp(optarg, "0") == 0 ? 0 : (unsigned)v;
            break;
        case 'W':
            if (!acceso_agregar(&s->escritura, optarg))
                bad_option("--allow-write", optarg, "red CIDR, p. ej. 192.168.1.0/24, "
                           "o identidad TLS tls:NOMBRE");
            break;
        case 'R':
            if (!acceso_agregar(&s->lectura, optarg))
                bad_option("--allow-read", optarg, "red CIDR, p. ej. 192.168.1.0/24, "
                           "o identidad TLS tls:NOMBRE");
            break;
        case 'F':
            if (!acceso_agregar_archivo(&s->escritura, optarg, err, sizeof err))
                bad_option("--allow-write-file", optarg, err);
            break;
        case 'v':
            s->verbose = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("inventario-server %s\n", INVENTARIO_VERSION);
            exit(0);
        default:
            if (tls_config_option(&s->tls, c, optarg, &misuse, err, sizeof err))
                break;
            if (misuse) {
                fprintf(stderr, "inventario-server: %s\n", err);
            }
            fprintf(stderr, "Pruebe 'inventario-server --help'.\n");
            exit(2);
        }
    }
    if (!tls_config_check(&s->tls, err, sizeof err)) {
        fprintf(stderr, "inventario-server: %s\nPruebe 'inventario-server --help'.\n",
                err);
        exit(2);
    }
    if (optind < argc) {
        fprintf(stderr, "inventario-server: argumento inesperado: '%s'\n"
                "Pruebe 'inventario-server --help'.\n", argv[optind]);
        exit(2);
    }
}

/* Raises the open-file limit to hold want_conns connections, the
 * listeners and 64 more for the store and the rest.  Returns the connection
 * cap that fits the limit we got. */
static unsigned
raise_nofile(unsigned want_conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)want_conns + MAX_LISTEN + 64;
    rlim_t fit;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        fatal("getrlimit");
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
                          ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn("setrlimit(RLIMIT_NOFILE)");
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
            fatal("getrlimit");
    }
    fit = rl.rlim_cur > MAX_LISTEN + 64 + 16 ? rl.rlim_cur - MAX_LISTEN - 64 : 16;
    if (fit < want_conns) {
        log_warnx("el límite de archivos abiertos (%lu) solo permite %lu "
                  "conexiones", (unsigned long)rl.rlim_cur, (unsigned long)fit);
        return (unsigned)fit;
    }
    return want_conns;
}

/* SIGTERM, SIGINT and SIGHUP arrive through a signalfd that the event loop
 * watches, so no library code ever runs in a signal handler.  Blocked
 * before any thread starts, so every thread inherits the mask. */
static int
stop_signals(void)
{
    sigset_t set;
    int fd;

    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        fatal("signal(SIGPIPE)");
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        fatal("sigprocmask");
    if ((fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
        fatal("signalfd");
    return fd;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Refuses to start over a live server, even one too slow to answer (see
 * bloqueo_titular_vivo); clears what a dead one left. */
static void
claim_program(rpcprog_t prog)
{
    char quien[32] = "";
    long pid;

    for (size_t i = 0; i < NVERSIONS; i++)
        if (rpcreg_live(prog, versions[i]))
            fatalx("ya hay un servidor activo en el programa %lu versión %lu "
                   "(véalo con 'rpcinfo -p'); deténgalo o use --program",
                   (unsigned long)prog, (unsigned long)versions[i]);
    for (size_t i = 0; i < NVERSIONS; i++)
        if (bloqueo_titular_vivo(prog, versions[i], &pid)) {
            if (pid > 0)
                snprintf(quien, sizeof quien, " (PID %ld)", pid);
            fatalx("el servidor del programa %lu%s no responde pero sigue "
                   "vivo (¿detenido o bloqueado?); no se le quita el registro: "
                   "deténgalo o use --program", (unsigned long)prog, quien);
        }
    for (size_t i = 0; i < NVERSIONS; i++)
        rpcreg_unset(prog, versions[i]);
}

/* Opens every --listen address and announces the first of each netid to
 * rpcbind.  Returns how many listeners are open (their fds in lfd). */
static size_t
open_listeners(const struct settings *set, int *lfd)
{
    bool announced_tcp = false, announced_tcp6 = false;
    char err[512];
    size_t nx = 0;

    for (size_t i = 0; i < set->n_listen; i++) {
        const char *netid = rpcreg_netid(set->listen[i]);
        bool *announced = strcmp(netid, "tcp") == 0 ? &announced_tcp : &announced_tcp6;
        int fd = rpcreg_listen(set->listen[i], set->port, err, sizeof err);

        if (fd < 0) {
            /* Loopback IPv6 may be missing; the default then is IPv4 only. */
            if (set->listen_default && strcmp(netid, "tcp6") == 0) {
                log_warnx("%s; se sigue solo con IPv4", err);
                continue;
            }
            fatalx("%s", err);
        }
        if (!*announced &&
            !rpcreg_set(fd, set->program, versions, NVERSIONS, err, sizeof err))
            fatalx("%s", err);
        *announced = true;
        lfd[nx] = fd;
        log_info("escuchando en %s puerto %u (%s)", set->listen[i],
                 rpcreg_port(fd), netid);
        nx++;
    }
    if (nx == 0)
        fatalx("no se pudo escuchar en ninguna dirección");
    return nx;
}

static bool
is_postgres(const char *db)
{
    return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

int
main(int argc, char **argv)
{
    struct settings set;
    int lfd[MAX_LISTEN];
    size_t nx;
    struct servicio_info info;
    struct store *store;
    struct store_opciones so;
    struct svcx_conf rpc;
    struct loop_opts lo;
    char err[512];
    uint64_t productos, seq;
    int sigfd, lockfd, rc;

    settings_init(&set);
    parse_args(argc, argv, &set);
    log_init(set.verbose);
    set.max_conns = raise_nofile(set.max_conns);
    sigfd = stop_signals();
    /* The TLS files before anything is registered: a bad one stops here. */
    if (!tls_config_start(&set.tls, err, sizeof err))
        fatalx("%s", err);

    /* One server per store, before anything else; lockfd stays open. */
    if (!store_lock(set.db, &lockfd, err, sizeof err))
        fatalx("%s", err);
    claim_program(set.program);
    so = (struct store_opciones){ .sync = set.sync, .group_commit = set.group_commit,
                                  .mmap_mib = set.mmap_mib, .lectores = set.threads };
    if ((store = store_open(set.db, &so, err, sizeof err)) == NULL)
        fatalx("%s", err);
    /* store_path: the --db given, but without a password a URI may carry. */
    if (store_contar(store, &productos, &seq) != STORE_OK)
        fatalx("no se puede leer %s", store_path(store));
    log_info("%llu productos y %llu movimientos en %s (sincronización %s%s)",
             (unsigned long long)productos, (unsigned long long)seq,
             store_path(store),
             set.sync == STORE_SYNC_FULL ? "full" : "normal",
             set.group_commit ? ", confirmación en grupo" : "");

    nx = open_listeners(&set, lfd);
    info.arranque_ms = now_ms();
    info.hilos = set.threads;
    info.conexiones = loop_conexiones;
    store_set_wait_hooks(store, pool_wait_begin, pool_wait_end);
    handlers_init(store, &info);
    dispatch_init(&set.escritura, &set.lectura);
    if (pool_start(set.threads) < 0)
        fatal("no se pudieron arrancar los hilos");
    if (!espera_init(store, is_postgres(set.db)))
        fatal("no se pudo arrancar el temporizador de ESPERAR_MOVIMIENTOS");
    log_info("programa %lu versiones 1, 2 y 3 registrado en rpcbind; %u hilos, "
             "hasta %u conexiones (%u por dirección)", (unsigned long)set.program,
             set.threads, set.max_conns, set.max_per_addr);

    rpc = (struct svcx_conf){ .prog = set.program, .low = INVENTARIO_V1,
                              .high = INVENTARIO_V3, .dispatch = dispatch_inventario };
    lo = (struct loop_opts){ .max_conns = set.max_conns,
                             .max_per_addr = set.max_per_addr,
                             .idle_secs = set.idle_secs,
                             .call_timeout_ms = set.call_timeout_ms,
                             .send_timeout_ms = set.send_timeout_ms,
                             .out_max = OUT_MAX, .rec_max = MAX_RECORD,
                             .sig_fd = sigfd, .listen_fds = lfd, .n_listen = nx,
                             .rpc = &rpc };
    rc = loop_run(&lo);

    log_info(rc == 0 ? "deteniendo: se terminan las llamadas en curso"
                     : "error grave en el bucle de eventos: se detiene el servidor");
    for (size_t i = 0; i < NVERSIONS; i++)
        rpcreg_unset(set.program, versions[i]);
    for (size_t i = 0; i < nx; i++)
        close(lfd[i]);
    espera_stop();
    pool_stop();
    store_drain(store);         /* writes the committer still answers */
    loop_drain(set.send_timeout_ms);
    loop_close_all();
    log_limitado_vaciar(true);
    tls_config_stop(&set.tls);
    acceso_liberar(&set.escritura);
    acceso_liberar(&set.lectura);
    store_close(store);
    if (lockfd >= 0)
        close(lockfd);
    close(sigfd);
    log_info("detenido; %llu llamadas atendidas",
             (unsigned long long)dispatch_llamadas());
    return rc == 0 ? 0 : 1;
}
