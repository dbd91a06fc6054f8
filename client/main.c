/* main.c - inventario-client: options, then the interactive menu or one order. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comandos.h"
#include "conexion.h"
#include "formato.h"
#include "menu.h"
#include "resultado.h"
#include "tls_ajustes.h"
#include "tls_client.h"

/* Every setting, with its default in ajustes_iniciar. */
struct ajustes {
    char         *host;         /* one, or several separated by commas */
    unsigned long programa;     /* 0: the alias, or the contract's number */
    unsigned      espera_ms;
    bool          json;
    struct tls_ajustes tls;     /* --tls and its files (tls_ajustes.h) */
};

static void
ajustes_iniciar(struct ajustes *a)
{
    a->host = NULL;             /* none given: "localhost" */
    a->programa = 0;
    /* A few seconds: a person waits for an answer, unlike rpcgen's 25 s. */
    a->espera_ms = 5000;
    a->json = false;
    tls_ajustes_entorno(&a->tls);
}

static void
uso(FILE *f)
{
    fputs(
"Uso: inventario-client [OPCIÓN]... [ORDEN [ARGUMENTO]...]\n"
"Cliente del inventario de TecnoMarket (ONC RPC, servicio inventario.servicio).\n"
"Sin ORDEN abre el menú interactivo; con una ORDEN la ejecuta y termina, para\n"
"usarlo desde scripts.\n"
"\n"
"Opciones (antes de la orden; --json también después):\n"
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
"  -j, --json           respuestas y errores como JSON en la salida estándar\n"
TLS_AJUSTES_AYUDA
"  -h, --help           muestra esta ayuda y termina\n"
"  -V, --version        muestra la versión y termina\n"
"\n"
"Órdenes (v2: necesitan un servidor con la versión 2 del protocolo):\n", f);
    comandos_ayuda(f);
    fputs(
"\n"
"Un ID o NOMBRE con espacios va entre comillas; una CANTIDAD negativa se\n"
"escribe tal cual (ajustar A1 -3); un ID que empiece por '-' va tras '--'\n"
"(obtener -- -A1).  Si un ajuste queda sin respuesta, se repite solo con la\n"
"misma clave; si aun así no se sabe si se aplicó, el mensaje da la clave para\n"
"repetirlo a mano con --clave sin aplicarlo dos veces.\n"
"\n"
"Si no hay conexión, compruebe que rpcbind funciona y que el servidor está\n"
"registrado: rpcinfo -p HOST\n"
"\n"
"Estado de salida:\n", f);
    resultado_ayuda(f);
}

static void uso_incorrecto(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Says what was misused, to stderr, and exits with the status for misuse. */
static void
uso_incorrecto(const char *fmt, ...)
{
    va_list ap;
    int status;

    va_start(ap, fmt);
    status = comandos_mal_uso_v(fmt, ap);
    va_end(ap);
    exit(status);
}

/* Adds the hosts of one --host (a name, or several separated by commas)
 * to the list. */
static void
sumar_hosts(struct ajustes *a, const char *v)
{
    size_t n = a->host ? strlen(a->host) + 1 : 0;
    char *lista;

    if (v[0] == '\0' || v[0] == ',' || v[strlen(v) - 1] == ',' ||
        strstr(v, ",,") != NULL)
        uso_incorrecto("valor inválido para --host: '%s' (nombre vacío)", v);
    if ((lista = realloc(a->host, n + strlen(v) + 1)) == NULL) {
        fputs("inventario-client: no hay memoria\n", stderr);
        exit(resultado_salida(RES_ERROR_INTERNO));
    }
    if (n > 0)
        lista[n - 1] = ',';
    strcpy(lista + n, v);
    a->host = lista;
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

/* Long options without a short form. */
enum { OPT_TLS = 256, OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_CA };

static void
opciones(int argc, char **argv, struct ajustes *a)
{
    static const struct option largas[] = {
        { "host",    required_argument, NULL, 'H' },
        { "program", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "json",    no_argument,       NULL, 'j' },
        { "tls",      no_argument,       NULL, OPT_TLS },
        { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
        { "tls-key",  required_argument, NULL, OPT_TLS_KEY },
        { "tls-ca",   required_argument, NULL, OPT_TLS_CA },
        { "help",    no_argument,       NULL, 'h' },
        { "version", no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    /* '+': options end at the order, whose own arguments may look like
     * options (a negative CANTIDAD).  ':' and opterr = 0: our own messages,
     * in Spanish. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:H:p:t:jhV", largas, NULL)) != -1) {
        switch (c) {
        case 'H':
            sumar_hosts(a, optarg);
            break;
        case 'p':
            if (!leer_programa(optarg, &a->programa))
                uso_incorrecto("valor inválido para --program: '%s' (entero de 1 a "
                               "4294967295, decimal o 0x hexadecimal)", optarg);
            break;
        case 't':
            if (!leer_espera(optarg, &a->espera_ms))
                uso_incorrecto("valor inválido para --timeout: '%s' (segundos, de 0.1 "
                               "a 3600)", optarg);
            break;
        case 'j':
            a->json = true;
            break;
        case OPT_TLS:
            a->tls.activo = true;
            break;
        case OPT_TLS_CERT:
        case OPT_TLS_KEY:
        case OPT_TLS_CA:
            *(c == OPT_TLS_CERT ? &a->tls.cert : c == OPT_TLS_KEY ? &a->tls.key
                                : &a->tls.ca) = optarg;
            a->tls.archivo_en_opcion = true;
            break;
        case 'h':
            uso(stdout);
            exit(0);
        case 'V':
            printf("inventario-client %s\n", INVENTARIO_VERSION);
            exit(0);
        case ':':
            uso_incorrecto("a la opción '%s' le falta su valor", argv[optind - 1]);
            break;
        default:
            uso_incorrecto("opción desconocida: '%s'", argv[optind - 1]);
            break;
        }
    }
}

/* Notices from the conexion: with the menu's text, or out of the way of
 * a one-shot order's output. */
static void
aviso_menu(const char *frase)
{
    fputs("Aviso: ", stdout);
    formato_texto(stdout, frase);
    fputc('\n', stdout);
    fflush(stdout);
}

static void
aviso_orden(const char *frase)
{
    fputs("inventario-client: aviso: ", stderr);
    formato_texto(stderr, frase);
    fputc('\n', stderr);
}

/* Display widths need a UTF-8 LC_CTYPE; our text is UTF-8 whatever the
 * environment says.  Numbers are always read the C way ("0.5"). */
static void
idioma(void)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
}

int
main(int argc, char **argv)
{
    struct ajustes a;
    struct conexion_opts co;
    struct salida s;
    struct tls_client *tls;
    char err[512];
    bool menu;
    int ret;

    idioma();
    /* A server that vanishes mid-write must give an error, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    ajustes_iniciar(&a);
    opciones(argc, argv, &a);
    if (a.host == NULL)
        sumar_hosts(&a, "localhost");
    menu = optind == argc;
    if (menu && a.json) {
        fputs("inventario-client: --json solo se usa con una orden\n"
              "Pruebe 'inventario-client --help'.\n", stderr);
        free(a.host);
        return resultado_salida(RES_USO);
    }
    if (!tls_ajustes_cargar(&a.tls, &tls, err, sizeof err)) {
        free(a.host);
        uso_incorrecto("%s", err);
    }
    co = (struct conexion_opts){ .host = a.host, .programa = a.programa,
                                 .espera_ms = a.espera_ms,
                                 .aviso = menu ? aviso_menu : aviso_orden,
                                 .tls = tls };
    s = (struct salida){ .con = conexion_nueva(&co), .json = a.json, .menu = menu };
    if (s.con == NULL) {
        fputs("inventario-client: no hay memoria\n", stderr);
        tls_client_free(tls);
        free(a.host);
        return resultado_salida(RES_ERROR_INTERNO);
    }
    if (menu)
        ret = menu_ejecutar(&s);
    else
        ret = comandos_ejecutar(&s, argc - optind, argv + optind);
    conexion_liberar(s.con);
    tls_client_free(tls);
    free(a.host);
    return ret;
}
