/* comandos.c - the one-shot orders: arguments, checks, dispatch; see comandos.h. */
#include "comandos.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acciones.h"
#include "ajuste.h"
#include "campos.h"
#include "entrada.h"
#include "historial.h"
#include "intercambio.h"
#include "linea.h"

#define FRASE 1024

struct extras {
    const char *motivo, *clave, *desde, *ultimos;
    bool        actualizar;
};

struct orden {
    const char *nombre;
    const char *uso;            /* the synopsis after the program's name */
    const char *ayuda;
    int         min, max;       /* positional arguments */
    unsigned    opciones;       /* OPC_* it accepts */
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
comando_agregar(const struct salida *s, char **a, int n, const struct extras *x)
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
comando_obtener(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why))
        return RES_INVALIDO;
    return accion_obtener(s, a[0]);
}

static enum resultado
comando_actualizar(const struct salida *s, char **a, int n, const struct extras *x)
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
comando_listar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)a; (void)n; (void)x;
    return accion_listar(s);
}

static enum resultado
comando_eliminar(const struct salida *s, char **a, int n, const struct extras *x)
{
    char why[FRASE];

    (void)n; (void)x;
    if (!valido(s, campo_id(a[0], why, sizeof why), why))
        return RES_INVALIDO;
    return accion_eliminar(s, a[0]);
}

static enum resultado
comando_ajustar(const struct salida *s, char **a, int n, const struct extras *x)
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
comando_movimientos(const struct salida *s, char **a, int n, const struct extras *x)
{
    const char *id = n > 0 ? a[0] : "";
    uint64_t desde = 0;
    uint32_t ultimos = 0;
    char why[FRASE];

    if (!valido(s, campo_id_opcional(id, why, sizeof why), why) ||
        (x->desde && !valido(s, campo_seq(x->desde, &desde, why, sizeof why), why)) ||
        (x->ultimos && !valido(s, campo_cuantos(x->ultimos, &ultimos, why, sizeof why),
                               why)))
        return RES_INVALIDO;
    return accion_movimientos(s, id, desde, ultimos);
}

static enum resultado
comando_vigilar(const struct salida *s, char **a, int n, const struct extras *x)
{
    const char *id = n > 0 ? a[0] : "";
    char why[FRASE];

    (void)x;
    if (!valido(s, campo_id_opcional(id, why, sizeof why), why))
        return RES_INVALIDO;
    return accion_vigilar(s, id, true);
}

static enum resultado
comando_estado(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)a; (void)n; (void)x;
    return accion_estado(s);
}

static enum resultado
comando_exportar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)x;
    return accion_exportar(s, n > 0 ? a[0] : NULL);
}

static enum resultado
comando_importar(const struct salida *s, char **a, int n, const struct extras *x)
{
    (void)n;
    return accion_importar(s, a[0], x->actualizar);
}

static enum resultado comando_ayuda(const struct salida *s, char **a, int n,
                              const struct extras *x);

static const struct orden ordenes[] = {
    { "agregar", "agregar ID NOMBRE STOCK", "añade un producto", 3, 3, 0, comando_agregar },
    { "obtener", "obtener ID", "muestra un producto", 1, 1, 0, comando_obtener },
    { "actualizar", "actualizar ID STOCK", "fija el stock de un producto",
      2, 2, 0, comando_actualizar },
    { "listar", "listar", "muestra todos los productos, por id (en un terminal,\n"
      "a través del paginador)", 0, 0, 0, comando_listar },
    { "eliminar", "eliminar ID", "elimina un producto", 1, 1, 0, comando_eliminar },
    { "ajustar", "ajustar ID CANTIDAD [--motivo M] [--clave K]",
      "suma CANTIDAD (negativa si sale mercancía) al stock, una sola vez\n"
      "aunque haya que repetir la llamada (v2).  Con la misma --clave que un\n"
      "ajuste anterior no se repite: dice «ya aplicado antes con esta clave»\n"
      "y el motivo que quedó registrado", 2, 2, OPC_MOTIVO | OPC_CLAVE,
      comando_ajustar },
    { "movimientos", "movimientos [ID] [--desde N] [--ultimos N]",
      "el registro de cambios, de un producto o de todos, del más antiguo\n"
      "al más reciente: los posteriores al movimiento N (--desde), o solo\n"
      "los N más recientes (--ultimos); en un terminal, a través del\n"
      "paginador (v2)", 0, 1, OPC_DESDE | OPC_ULTIMOS, comando_movimientos },
    { "vigilar", "vigilar [ID]",
      "muestra cada cambio en cuanto ocurre, hasta Enter o Ctrl-C (v2)",
      0, 1, 0, comando_vigilar },
    { "estado", "estado", "salud y cifras del servidor (v2)", 0, 0, 0, comando_estado },
    { "exportar", "exportar [ARCHIVO]",
      "todo el inventario como lista JSON [{\"id\", \"nombre\", \"stock\"}],\n"
      "a ARCHIVO o a la salida estándar", 0, 1, 0, comando_exportar },
    { "importar", "importar ARCHIVO [--actualizar]",
      "añade los productos de una lista así (\"-\": la entrada estándar);\n"
      "los que ya existen se dejan como están, o con --actualizar se fija\n"
      "su stock al del archivo (un cambio con su movimiento; el nombre no se\n"
      "puede cambiar); informa de cada entrada", 1, 1, OPC_ACTUALIZAR,
      comando_importar },
    { "help", "help [ORDEN]", "esta ayuda, o la de una orden", 0, 1, 0, comando_ayuda },
};

#define NORDENES (sizeof ordenes / sizeof ordenes[0])

/* What each order-only option means, for an order's help. */
static const struct {
    unsigned    bit;
    const char *texto;
} opciones_de_orden[] = {
    { OPC_MOTIVO,     "  -m, --motivo=M       texto libre para el registro (venta, devolución...),\n"
                      "                       hasta 64 bytes" },
    { OPC_CLAVE,      "  -k, --clave=K        clave de idempotencia (hasta 64 bytes): el mismo\n"
                      "                       ajuste con la misma clave se aplica una sola vez" },
    { OPC_DESDE,      "      --desde=N        solo los movimientos posteriores al n.º N" },
    { OPC_ULTIMOS,    "  -n, --ultimos=N      solo los N más recientes (el último, al final)" },
    { OPC_ACTUALIZAR, "  -a, --actualizar     fija el stock de los productos que ya existen" },
};

static const struct orden *
buscar_orden(const char *nombre)
{
    for (size_t i = 0; i < NORDENES; i++)
        if (strcmp(nombre, ordenes[i].nombre) == 0)
            return &ordenes[i];
    return NULL;
}

/* Writes text, indenting each line after the first by sangria. */
static void
sangrado(FILE *f, const char *p, const char *sangria)
{
    for (; *p != '\0'; p++) {
        fputc(*p, f);
        if (*p == '\n')
            fputs(sangria, f);
    }
}

void
comandos_uso(FILE *f)
{
    fputs(
"Uso: inventario-client [OPCIÓN]... [ORDEN [ARGUMENTO]...]\n"
"Cliente del inventario de TecnoMarket (ONC RPC, servicio inventario.servicio).\n"
"Sin ORDEN abre el menú interactivo; con una ORDEN la ejecuta y termina, para\n"
"usarlo desde scripts.\n"
"\n", f);
    linea_ayuda(f);
    fputs(
"\n"
"Órdenes ('inventario-client help ORDEN' o 'ORDEN --help' explica cada una;\n"
"v2: necesitan un servidor con la versión 2 del protocolo):\n", f);
    comandos_ayuda(f);
    fputs(
"\n"
"Un ID o NOMBRE con espacios va entre comillas; una CANTIDAD negativa se\n"
"escribe tal cual (ajustar A1 -3); un ID que empiece por '-' va tras '--'\n"
"(obtener -- -A1).  Si un ajuste queda sin respuesta, se repite solo con la\n"
"misma clave; si aun así no se sabe si se aplicó, el mensaje da la clave para\n"
"repetirlo a mano con --clave sin aplicarlo dos veces.  Un texto que el\n"
"servidor devuelve con caracteres invisibles o de control los muestra\n"
"escapados (\\u202e); una barra inversa, doble.\n"
"\n"
"En el menú, Ctrl-C, una respuesta vacía o la palabra «cancelar» vuelven al\n"
"menú sin enviar nada; Ctrl-C durante una llamada deja de esperarla; Ctrl-D\n"
"en el menú sale.  El menú termina con 0 si todas las operaciones salieron\n"
"bien, o con el estado de la primera que falló.\n"
"\n"
"Si no hay conexión, compruebe que rpcbind funciona y que el servidor está\n"
"registrado: rpcinfo -p HOST\n"
"\n"
"Estado de salida:\n", f);
    resultado_ayuda(f);
}

void
comandos_ayuda(FILE *f)
{
    for (size_t i = 0; i < NORDENES; i++) {
        fprintf(f, "  %s\n      ", ordenes[i].uso);
        sangrado(f, ordenes[i].ayuda, "      ");
        fputc('\n', f);
    }
}

/* The help of one order: synopsis, what it does, its own options. */
static void
ayuda_de(FILE *f, const struct orden *o)
{
    fprintf(f, "Uso: inventario-client [OPCIÓN]... %s\n", o->uso);
    sangrado(f, o->ayuda, "");
    fputs(".\n", f);
    if (o->opciones != 0) {
        fputs("\nOpciones de la orden:\n", f);
        for (size_t i = 0; i < sizeof opciones_de_orden / sizeof opciones_de_orden[0]; i++)
            if (o->opciones & opciones_de_orden[i].bit)
                fprintf(f, "%s\n", opciones_de_orden[i].texto);
    }
    fputs("\nLas opciones generales (--host, --program, --timeout, --json) y los\n"
          "estados de salida están en 'inventario-client --help'.\n", f);
}

static enum resultado
comando_ayuda(const struct salida *s, char **a, int n, const struct extras *x)
{
    const struct orden *o;

    (void)s; (void)x;
    if (n == 0) {
        comandos_uso(stdout);
        return RES_OK;
    }
    if ((o = buscar_orden(a[0])) == NULL) {
        linea_mal_uso(s->json, "orden desconocida: '%s'", a[0]);
        return RES_USO;
    }
    ayuda_de(stdout, o);
    return RES_OK;
}

int
comandos_ejecutar(struct salida *s, const struct linea *l)
{
    const struct orden *o = buscar_orden(l->orden);
    struct extras x = { l->motivo, l->clave, l->desde, l->ultimos,
                        (l->opciones & OPC_ACTUALIZAR) != 0 };
    unsigned sobran;

    if (o == NULL)
        return linea_mal_uso(s->json, "orden desconocida: '%s'", l->orden);
    if (l->ayuda) {
        ayuda_de(stdout, o);
        return 0;
    }
    if ((sobran = l->opciones & ~o->opciones) != 0) {
        for (unsigned k = 0; k < 5; k++)
            if (sobran & (1u << k))
                return linea_mal_uso(s->json, "la orden '%s' no admite la opción --%s",
                                     o->nombre, l->nombres[k]);
    }
    if (l->narg < o->min || l->narg > o->max)
        return linea_mal_uso(s->json, "argumentos incorrectos; se usa así: "
                             "inventario-client %s (más en 'inventario-client help "
                             "%s')", o->uso, o->nombre);
    return resultado_salida(o->fn(s, l->arg, l->narg, &x));
}
