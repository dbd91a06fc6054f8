/* menu.c - the interactive menu; see menu.h. */
#include "menu.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ajuste.h"
#include "campos.h"
#include "entrada.h"
#include "formato.h"
#include "historial.h"
#include "operaciones.h"

#define FRASE 1024

/* The movements option shows this many of the newest unless told. */
#define MOVIMIENTOS_POR_OMISION 20

static const char *const opciones[] = {
    "1) Agregar producto",
    "2) Obtener producto",
    "3) Actualizar stock",
    "4) Listar productos",
    "5) Eliminar producto",
    "6) Ajustar stock (+/-)",
    "7) Ver movimientos",
    "8) Vigilar cambios en tiempo real",
    "9) Estado del servidor",
    "0) Salir",
};

/* A menu session: where answers go, and the first failure, which is the
 * exit status. */
struct menu {
    const struct salida *s;
    enum resultado       fallo;     /* RES_OK until an operation fails */
};

/* How a question ended. */
enum pedido {
    PEDIDO_OK,
    PEDIDO_CANCELADO,       /* Ctrl-C, Ctrl-D, "cancelar", or empty where
                               the field cannot be */
};

/* Notes the outcome of an operation.  One the person cancelled with
 * Ctrl-C (its sentence said whether a change may have been applied) is
 * not a failure. */
static void
anotar(struct menu *m, enum resultado r)
{
    if (m->fallo == RES_OK && r != RES_OK && r != RES_CANCELADO)
        m->fallo = r;
}

static void
mostrar_menu(void)
{
    fputs("\n=== Inventario TecnoMarket ===\n", stdout);
    for (size_t i = 0; i < sizeof opciones / sizeof opciones[0]; i++)
        printf("  %s\n", opciones[i]);
}

static void
cancelado(void)
{
    fputs("Cancelado: no se ha enviado nada.\n", stdout);
    fflush(stdout);
}

/* True if l, blanks aside, is the word that leaves a form. */
static bool
es_cancelar(const char *l)
{
    size_t a = strspn(l, " \t"), n = strlen(l);

    while (n > a && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    return n - a == strlen("cancelar") && strncasecmp(l + a, "cancelar", n - a) == 0;
}

/* Reads one answer; PEDIDO_CANCELADO (said) on Ctrl-C, end of input, the
 * word cancelar, or an empty line unless vacio_vale. */
static enum pedido
leer(const char *prompt, bool vacio_vale, char **out)
{
    enum entrada e = entrada_linea(prompt, out);

    if (e != ENTRADA_LINEA) {
        /* Ctrl-C left the form, not the menu; end of input on a pipe is
         * seen again at the menu's prompt, which then leaves. */
        entrada_olvidar();
        cancelado();
        return PEDIDO_CANCELADO;
    }
    if (es_cancelar(*out) || (!vacio_vale && (*out)[0] == '\0')) {
        free(*out);
        *out = NULL;
        cancelado();
        return PEDIDO_CANCELADO;
    }
    return PEDIDO_OK;
}

/* Asks until the answer passes ok.  *out receives the line (malloc'd). */
static enum pedido
pedir_texto(const char *prompt, bool vacio_vale,
            bool (*ok)(const char *, char *, size_t), char **out)
{
    for (;;) {
        char why[FRASE], *l;

        if (leer(prompt, vacio_vale, &l) != PEDIDO_OK)
            return PEDIDO_CANCELADO;
        if (ok(l, why, sizeof why)) {
            *out = l;
            return PEDIDO_OK;
        }
        formato_texto(stdout, why);
        fputs(" Inténtelo de nuevo (o «cancelar»).\n", stdout);
        free(l);
    }
}

static enum pedido
pedir_entero(const char *prompt, bool (*ok)(const char *, int32_t *, char *, size_t),
             int32_t *out)
{
    for (;;) {
        char why[FRASE], *l;
        bool bien;

        if (leer(prompt, false, &l) != PEDIDO_OK)
            return PEDIDO_CANCELADO;
        bien = ok(l, out, why, sizeof why);
        free(l);
        if (bien)
            return PEDIDO_OK;
        formato_texto(stdout, why);
        fputs(" Inténtelo de nuevo (o «cancelar»).\n", stdout);
    }
}

/* True if the server offers version 2; otherwise says why 'que' cannot be
 * done (a failure to connect is an operation that failed).  Connects
 * first if there is no connection. */
static bool
hay_v2(struct menu *m, const char *que)
{
    const struct salida *s = m->s;
    enum resultado r;

    if (conexion_version(s->con) == 0 && (r = conexion_conectar(s->con)) != RES_OK) {
        formato_texto(stdout, conexion_error(s->con));
        fputc('\n', stdout);
        anotar(m, r);
        return false;
    }
    if (conexion_version(s->con) >= 2)
        return true;
    fputs("El servidor en ", stdout);
    formato_texto(stdout, conexion_host(s->con));
    printf(" solo ofrece la versión 1 del protocolo; «%s» necesita la versión 2.\n", que);
    anotar(m, RES_NO_OFRECIDO);
    return false;
}

/* -- the early check of an id -------------------------------------------------- */

enum existe {
    EXISTE_SI,
    EXISTE_NO,
    EXISTE_FALLO        /* the server could not say: said, and noted */
};

/* Asks the server whether id exists, before any other field is asked;
 * *p receives the product when it does (free with ops_producto_liberar). */
static enum existe
existe(struct menu *m, const char *id, producto_res *p)
{
    char frase[FRASE];
    enum resultado r = ops_obtener(m->s->con, id, p);

    if (r == RES_OK)
        return EXISTE_SI;
    if (r == RES_NO_ENCONTRADO)
        return EXISTE_NO;
    acciones_frase(m->s, frase, sizeof frase, r, OP_OBTENER, id);
    acciones_fallo(m->s, r, frase);
    anotar(m, r);
    return EXISTE_FALLO;
}

/* Asks for an id until one that exists (debe_existir) or does not; *p
 * receives the product if it exists.  Cancelled (and said) when the
 * server cannot tell. */
static enum pedido
pedir_id(struct menu *m, bool debe_existir, char **id, producto_res *p)
{
    for (;;) {
        enum existe e;

        if (pedir_texto("Id: ", false, campo_id, id) != PEDIDO_OK)
            return PEDIDO_CANCELADO;
        e = existe(m, *id, p);
        if (e == EXISTE_FALLO) {
            free(*id);
            *id = NULL;
            return PEDIDO_CANCELADO;
        }
        if ((e == EXISTE_SI) == debe_existir)
            return PEDIDO_OK;
        if (e == EXISTE_SI) {
            fputs("Ya existe un producto con id ", stdout);
            formato_texto(stdout, *id);
            fputs(" («", stdout);
            formato_texto(stdout, p->producto_res_u.p.nombre);
            printf("», %d en stock). Escriba otro id (o «cancelar»).\n",
                   p->producto_res_u.p.stock);
            ops_producto_liberar(p);
        } else {
            fputs("No existe ningún producto con id ", stdout);
            formato_texto(stdout, *id);
            fputs(". Escriba otro id (o «cancelar»).\n", stdout);
        }
        free(*id);
        *id = NULL;
    }
}

static void
stock_actual(const producto *p)
{
    fputs("  ", stdout);
    formato_texto(stdout, p->nombre);
    printf(": %d %s ahora.\n", p->stock, p->stock == 1 ? "unidad" : "unidades");
}

/* -- the options ------------------------------------------------------------------ */

static void
menu_agregar(struct menu *m)
{
    char *id = NULL, *nombre = NULL;
    producto_res p;
    int32_t stock;

    if (pedir_id(m, false, &id, &p) != PEDIDO_OK ||
        pedir_texto("Nombre: ", false, campo_nombre, &nombre) != PEDIDO_OK ||
        pedir_entero("Stock (0 a 2147483647): ", campo_stock, &stock) != PEDIDO_OK)
        goto out;
    anotar(m, accion_agregar(m->s, id, nombre, stock));
out:
    free(id);
    free(nombre);
}

static void
menu_obtener(struct menu *m)
{
    char *id = NULL;

    if (pedir_texto("Id: ", false, campo_id, &id) != PEDIDO_OK)
        return;
    anotar(m, accion_obtener(m->s, id));
    free(id);
}

static void
menu_actualizar(struct menu *m)
{
    char *id = NULL;
    producto_res p;
    int32_t stock;

    if (pedir_id(m, true, &id, &p) != PEDIDO_OK)
        return;
    stock_actual(&p.producto_res_u.p);
    ops_producto_liberar(&p);
    if (pedir_entero("Nuevo stock (0 a 2147483647): ", campo_stock, &stock) == PEDIDO_OK)
        anotar(m, accion_actualizar(m->s, id, stock));
    free(id);
}

static void
menu_listar(struct menu *m)
{
    anotar(m, accion_listar(m->s));
}

/* True if the person answers yes to deleting p. */
static bool
confirmar(const producto *p)
{
    char *l = NULL;
    bool si;

    fputs("¿Eliminar el producto ", stdout);
    formato_texto(stdout, p->id);
    fputs(" («", stdout);
    formato_texto(stdout, p->nombre);
    printf("», %d en stock)? Es definitivo.\n", p->stock);
    if (leer("Escriba «s» para eliminarlo, cualquier otra cosa para no: ", true, &l) !=
        PEDIDO_OK)
        return false;
    si = strcasecmp(l, "s") == 0 || strcasecmp(l, "si") == 0 ||
         strcasecmp(l, "sí") == 0 || strcasecmp(l, "SÍ") == 0;
    free(l);
    if (!si)
        fputs("No se ha eliminado nada.\n", stdout);
    return si;
}

static void
menu_eliminar(struct menu *m)
{
    char *id = NULL;
    producto_res p;
    bool si;

    if (pedir_id(m, true, &id, &p) != PEDIDO_OK)
        return;
    si = confirmar(&p.producto_res_u.p);
    ops_producto_liberar(&p);
    if (si)
        anotar(m, accion_eliminar(m->s, id));
    free(id);
}

static void
menu_ajustar(struct menu *m)
{
    char *id = NULL, *motivo = NULL;
    producto_res p;
    int32_t delta;

    if (!hay_v2(m, "Ajustar stock") || pedir_id(m, true, &id, &p) != PEDIDO_OK)
        return;
    stock_actual(&p.producto_res_u.p);
    ops_producto_liberar(&p);
    if (pedir_entero("Cantidad (+N entra, -N sale): ", campo_delta, &delta) != PEDIDO_OK ||
        pedir_texto("Motivo (venta, devolución, recuento...; puede quedar vacío): ",
                    true, campo_motivo, &motivo) != PEDIDO_OK)
        goto out;
    anotar(m, accion_ajustar(m->s, id, delta, motivo, NULL));
out:
    free(id);
    free(motivo);
}

/* How many of the newest movements: a number, empty for the default, or
 * "todos" (0). */
static bool
campo_cuantos_menu(const char *l, char *why, size_t n)
{
    uint32_t v;

    return l[0] == '\0' || strcasecmp(l, "todos") == 0 || campo_cuantos(l, &v, why, n);
}

static void
menu_movimientos(struct menu *m)
{
    char *id = NULL, *cuantos = NULL, prompt[128];
    uint32_t ultimos = MOVIMIENTOS_POR_OMISION;
    char why[FRASE];

    if (!hay_v2(m, "Ver movimientos"))
        return;
    snprintf(prompt, sizeof prompt, "¿Cuántos de los más recientes? (vacío: %d; "
             "«todos»: todos): ", MOVIMIENTOS_POR_OMISION);
    if (pedir_texto("Id del producto (vacío para todos): ", true, campo_id_opcional,
                    &id) != PEDIDO_OK ||
        pedir_texto(prompt, true, campo_cuantos_menu, &cuantos) != PEDIDO_OK)
        goto out;
    if (strcasecmp(cuantos, "todos") == 0)
        ultimos = 0;
    else if (cuantos[0] != '\0')
        (void)campo_cuantos(cuantos, &ultimos, why, sizeof why);
    anotar(m, accion_movimientos(m->s, id, 0, ultimos));
out:
    free(id);
    free(cuantos);
}

static void
menu_vigilar(struct menu *m)
{
    char *id = NULL;

    if (!hay_v2(m, "Vigilar cambios"))
        return;
    if (pedir_texto("Id del producto (vacío para todos): ", true, campo_id_opcional,
                    &id) != PEDIDO_OK)
        return;
    anotar(m, accion_vigilar(m->s, id, true));
    free(id);
    /* Ctrl-C ended the watch, not the menu. */
    entrada_olvidar();
}

static void
menu_estado(struct menu *m)
{
    if (hay_v2(m, "Estado del servidor"))
        anotar(m, accion_estado(m->s));
}

/* The option number in l, or -1. */
static int
opcion(const char *l)
{
    while (isblank((unsigned char)*l))
        l++;
    if (!isdigit((unsigned char)l[0]))
        return -1;
    for (const char *p = l + 1; *p != '\0'; p++)
        if (!isblank((unsigned char)*p))
            return -1;
    return l[0] - '0';
}

/* Runs option n, 1 to 9. */
static void
ejecutar(struct menu *m, int n)
{
    static void (*const acciones[])(struct menu *) = {
        NULL, menu_agregar, menu_obtener, menu_actualizar, menu_listar, menu_eliminar,
        menu_ajustar, menu_movimientos, menu_vigilar, menu_estado
    };

    acciones[n](m);
}

static void
saludar(const struct conexion *c)
{
    fputs("Conectado al servicio de inventario en ", stdout);
    formato_texto(stdout, conexion_host(c));
    printf(" (programa %lu, protocolo versión %u).\n", conexion_programa(c),
           conexion_version(c));
    if (conexion_version(c) < 2)
        fputs("El servidor solo ofrece la versión 1: las opciones 6 a 9 no "
              "están disponibles.\n", stdout);
    fputs("En cada pregunta, Ctrl-C, una respuesta vacía o «cancelar» vuelven a este "
          "menú sin enviar nada.\n", stdout);
}

int
menu_ejecutar(struct salida *s)
{
    struct menu m = { .s = s, .fallo = RES_OK };
    enum resultado r;
    enum entrada e;
    char *l;
    int sig;

    if ((r = conexion_conectar(s->con)) != RES_OK) {
        fputs("inventario-client: ", stderr);
        formato_texto(stderr, conexion_error(s->con));
        fputc('\n', stderr);
        entrada_terminar();
        return resultado_salida(r);
    }
    saludar(s->con);
    for (;;) {
        int n;

        mostrar_menu();
        if ((e = entrada_linea("Elija una opción: ", &l)) != ENTRADA_LINEA)
            break;
        n = opcion(l);
        if (n < 0 && l[strspn(l, " \t")] == '\0') {
            fputs("Escriba un número del 0 al 9.\n", stdout);
        } else if (n < 0) {
            fputs("Opción no válida: «", stdout);
            formato_texto(stdout, l);
            fputs("». Escriba un número del 0 al 9.\n", stdout);
        }
        free(l);
        if (n == 0)
            break;
        if (n > 0)
            ejecutar(&m, n);
        if (entrada_senal() != 0) {
            /* Ctrl-C while the operation ran: it ended the wait for the
             * server (and said so), or came after; the menu stays. */
            fputs("(Ctrl-C) De vuelta al menú.\n", stdout);
            entrada_olvidar();
        }
    }
    fputs("Hasta luego.\n", stdout);
    fflush(stdout);
    sig = entrada_senal();
    entrada_terminar();
    if (sig != 0)
        return 128 + sig;
    return resultado_salida(m.fallo);
}
