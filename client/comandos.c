/* comandos.c - the one-shot orders: arguments, checks, dispatch; see comandos.h. */
#include "comandos.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acciones.h"
#include "campos.h"
#include "entrada.h"
#include "intercambio.h"

#define FRASE 1024

/* Options an order may take after its name, besides --json. */
enum {
    OPC_MOTIVO = 1u << 0,
    OPC_CLAVE  = 1u << 1,
    OPC_DESDE  = 1u << 2
};

struct extras {
    const char *motivo, *clave, *desde;
};

struct orden {
    const char *nombre;
    const char *uso;            /* the synopsis after the program's name */
    const char *ayuda;
    int         min, max;       /* positional arguments */
    unsigned    opciones;
    enum resultado (*fn)(const struct salida *s, char **arg, int narg,
                         const struct extras *x);
};

/* Checks a field; on failure says why (exit status 3). */
static bool
valido(const struct salida *s, bool ok, const char *why)
{
    if (!ok)
        acciones_fallo(s, RES_INVALIDO, why);
    return ok;
}

static enum resultado
o_agregar(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];
    int32_t stock;

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why) ||
        !valido(s, campo_nombre(a[1], why, sizeof why), why) ||
        !valido(s, campo_stock(a[2], &stock, why, sizeof why), why))
        return RES_INVALIDO;
    return accion_agregar(s, a[0], a[1], stock);
}

static enum resultado
o_obtener(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why))
        return RES_INVALIDO;
    return accion_obtener(s, a[0]);
}

static enum resultado
o_actualizar(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];
    int32_t stock;

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why) ||
        !valido(s, campo_stock(a[1], &stock, why, sizeof why), why))
        return RES_INVALIDO;
    return accion_actualizar(s, a[0], stock);
}

static enum resultado
o_listar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)a; (void)n; (void)x;
    return accion_listar(s);
}

static enum resultado
o_eliminar(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why))
        return RES_INVALIDO;
    return accion_eliminar(s, a[0]);
}

static enum resultado
o_ajustar(const struct salida *s, char **a, int n, const struct extras *x)
{
    const char *motivo = x->motivo ? x->motivo : "";
    char why[FRASE];
    int32_t delta;

    (void)n;
    if (!valido(s, campo_id(a[0], why, sizeof why), why) ||
        !valido(s, campo_delta(a[1], &delta, why, sizeof why), why) ||
        !valido(s, campo_motivo(motivo, why, sizeof why), why) ||
        (x->clave && !valido(s, campo_clave(x->clave, why, sizeof why), why)))
        return RES_INVALIDO;
    return accion_ajustar(s, a[0], delta, motivo, x->clave);
}

static enum resultado
o_movimientos(const struct salida *s, char **a, int n, const struct extras *x)
{
    const char *id = n > 0 ? a[0] : "";
    uint64_t desde = 0;
    char why[FRASE];

    if (!valido(s, campo_id_opcional(id, why, sizeof why), why) ||
        (x->desde && !valido(s, campo_seq(x->desde, &desde, why, sizeof why), why)))
        return RES_INVALIDO;
    return accion_movimientos(s, id, desde);
}

static enum resultado
o_vigilar(const struct salida *s, char **a, int n, const struct extras *x)
{
    const char *id = n > 0 ? a[0] : "";
    char why[FRASE];

    (void)x;
    if (!valido(s, campo_id_opcional(id, why, sizeof why), why))
        return RES_INVALIDO;
    entrada_iniciar(false);
    return accion_vigilar(s, id, true);
}

static enum resultado
o_estado(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)a; (void)n; (void)x;
    return accion_estado(s);
}

static enum resultado
o_exportar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)x;
    return accion_exportar(s, n > 0 ? a[0] : NULL);
}

static enum resultado
o_importar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)n; (void)x;
    return accion_importar(s, a[0]);
}

static const struct orden ordenes[] = {
    { "agregar", "agregar ID NOMBRE STOCK", "añade un producto", 3, 3, 0, o_agregar },
    { "obtener", "obtener ID", "muestra un producto", 1, 1, 0, o_obtener },
    { "actualizar", "actualizar ID STOCK", "fija el stock de un producto",
      2, 2, 0, o_actualizar },
    { "listar", "listar", "muestra todos los productos, por id", 0, 0, 0, o_listar },
    { "eliminar", "eliminar ID", "elimina un producto", 1, 1, 0, o_eliminar },
    { "ajustar", "ajustar ID CANTIDAD [--motivo M] [--clave K]",
      "suma CANTIDAD (negativa si sale mercancía) al stock, una sola vez\n"
      "aunque haya que repetir la llamada (v2)", 2, 2, OPC_MOTIVO | OPC_CLAVE,
      o_ajustar },
    { "movimientos", "movimientos [ID] [--desde N]",
      "el registro de cambios, de un producto o de todos, posteriores\n"
      "al movimiento N (v2)", 0, 1, OPC_DESDE, o_movimientos },
    { "vigilar", "vigilar [ID]",
      "muestra cada cambio en cuanto ocurre, hasta Enter o Ctrl-C (v2)",
      0, 1, 0, o_vigilar },
    { "estado", "estado", "salud y cifras del servidor (v2)", 0, 0, 0, o_estado },
    { "exportar", "exportar [ARCHIVO]",
      "todo el inventario como lista JSON [{\"id\", \"nombre\", \"stock\"}],\n"
      "a ARCHIVO o a la salida estándar", 0, 1, 0, o_exportar },
    { "importar", "importar ARCHIVO",
      "añade los productos de una lista así (\"-\": la entrada estándar);\n"
      "informa de los añadidos, los que ya existían y los inválidos", 1, 1, 0,
      o_importar },
};

void
comandos_ayuda(FILE *f)
{
    for (size_t i = 0; i < sizeof ordenes / sizeof ordenes[0]; i++) {
        const char *p = ordenes[i].ayuda;

        fprintf(f, "  %s\n      ", ordenes[i].uso);
        for (; *p != '\0'; p++) {
            fputc(*p, f);
            if (*p == '\n')
                fputs("      ", f);
        }
        fputc('\n', f);
    }
}

static int mal_uso(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int
comandos_mal_uso_v(const char *fmt, va_list ap)
{
    fputs("inventario-client: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nPruebe 'inventario-client --help'.\n", stderr);
    return resultado_salida(RES_USO);
}

/* comandos_mal_uso_v with the arguments spelled out. */
static int
mal_uso(const char *fmt, ...)
{
    va_list ap;
    int status;

    va_start(ap, fmt);
    status = comandos_mal_uso_v(fmt, ap);
    va_end(ap);
    return status;
}

/* "-x" and "--x" are options; "-", "-5" and everything after "--" are not,
 * so that a negative CANTIDAD needs no "--" before it. */
static bool
es_opcion(const char *a)
{
    return a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1]);
}

/* The value of option name at argv[*i] ("--name=V" or "--name V"), or NULL
 * if argv[*i] is not that option.  *falta is set if the value is missing. */
static const char *
valor(const char *name, int argc, char **argv, int *i, bool *falta)
{
    size_t len = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, len) != 0)
        return NULL;
    if (a[len] == '=')
        return a + len + 1;
    if (a[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *falta = true;
        return NULL;
    }
    return argv[++*i];
}

/* Takes the option at argv[*i], if it is one of the order's: sets its
 * field in x.  Returns 1 if taken, 0 if not one of these, -1 (said) on
 * misuse. */
static int
opcion_de_orden(const struct orden *o, int argc, char **argv, int *i,
                struct extras *x)
{
    static const struct { const char *name; unsigned bit; } opts[] = {
        { "--motivo", OPC_MOTIVO }, { "--clave", OPC_CLAVE }, { "--desde", OPC_DESDE }
    };
    const char *arg = argv[*i];

    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        bool falta = false;
        const char *v = valor(opts[k].name, argc, argv, i, &falta);

        if (v == NULL && !falta)
            continue;
        if (falta) {
            mal_uso("a la opción %s le falta su valor", arg);
            return -1;
        }
        if (!(o->opciones & opts[k].bit)) {
            mal_uso("la orden '%s' no admite la opción %s", o->nombre, opts[k].name);
            return -1;
        }
        if (opts[k].bit == OPC_MOTIVO)
            x->motivo = v;
        else if (opts[k].bit == OPC_CLAVE)
            x->clave = v;
        else
            x->desde = v;
        return 1;
    }
    return 0;
}

/* Splits the order's arguments from its options; -1 (said) on misuse. */
static int
separar(struct salida *s, const struct orden *o, int argc, char **argv,
        char **pos, int *npos, struct extras *x)
{
    bool solo_argumentos = false;

    for (int i = 1; i < argc; i++) {
        int rc;

        if (solo_argumentos || !es_opcion(argv[i])) {
            pos[(*npos)++] = argv[i];
        } else if (strcmp(argv[i], "--") == 0) {
            solo_argumentos = true;
        } else if (strcmp(argv[i], "--json") == 0) {
            s->json = true;
        } else if ((rc = opcion_de_orden(o, argc, argv, &i, x)) < 0) {
            return -1;
        } else if (rc == 0) {
            mal_uso("opción desconocida: '%s'", argv[i]);
            return -1;
        }
    }
    return 0;
}

int
comandos_ejecutar(struct salida *s, int argc, char **argv)
{
    const struct orden *o = NULL;
    struct extras x = { NULL, NULL, NULL };
    char **pos;
    int npos = 0, ret;

    for (size_t i = 0; i < sizeof ordenes / sizeof ordenes[0]; i++)
        if (strcmp(argv[0], ordenes[i].nombre) == 0)
            o = &ordenes[i];
    if (o == NULL)
        return mal_uso("orden desconocida: '%s'", argv[0]);
    if ((pos = calloc((size_t)argc, sizeof *pos)) == NULL) {
        acciones_fallo(s, RES_ERROR_INTERNO, "No hay memoria.");
        return resultado_salida(RES_ERROR_INTERNO);
    }
    if (separar(s, o, argc, argv, pos, &npos, &x) < 0) {
        ret = resultado_salida(RES_USO);
    } else if (npos < o->min || npos > o->max) {
        ret = mal_uso("argumentos incorrectos; se usa así: inventario-client %s",
                      o->uso);
    } else {
        ret = resultado_salida(o->fn(s, pos, npos, &x));
    }
    free(pos);
    return ret;
}
