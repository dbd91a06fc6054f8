/* menu.c - the interactive menu; see menu.h. */
#include "menu.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campos.h"
#include "entrada.h"
#include "formato.h"

#define FRASE 512

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

static void
mostrar_menu(void)
{
    fputs("\n=== Inventario TecnoMarket ===\n", stdout);
    for (size_t i = 0; i < sizeof opciones / sizeof opciones[0]; i++)
        printf("  %s\n", opciones[i]);
}

/* Asks until the answer passes ok; false on end of input or Ctrl-C.
 * *out receives the line (malloc'd). */
static bool
pedir_texto(const char *prompt, bool (*ok)(const char *, char *, size_t), char **out)
{
    for (;;) {
        char why[FRASE], *l;

        if (entrada_linea(prompt, &l) != ENTRADA_LINEA)
            return false;
        if (ok(l, why, sizeof why)) {
            *out = l;
            return true;
        }
        formato_texto(stdout, why);
        fputs(" Inténtelo de nuevo.\n", stdout);
        free(l);
    }
}

static bool
pedir_entero(const char *prompt, bool (*ok)(const char *, int32_t *, char *, size_t),
             int32_t *out)
{
    for (;;) {
        char why[FRASE], *l;
        bool bien;

        if (entrada_linea(prompt, &l) != ENTRADA_LINEA)
            return false;
        bien = ok(l, out, why, sizeof why);
        free(l);
        if (bien)
            return true;
        formato_texto(stdout, why);
        fputs(" Inténtelo de nuevo.\n", stdout);
    }
}

/* True if the server offers version 2; otherwise says why 'que' cannot be
 * done.  Connects first if there is no connection. */
static bool
hay_v2(const struct salida *s, const char *que)
{
    if (conexion_version(s->con) == 0 && conexion_conectar(s->con) != RES_OK) {
        formato_texto(stdout, conexion_error(s->con));
        fputc('\n', stdout);
        return false;
    }
    if (conexion_version(s->con) >= 2)
        return true;
    fputs("El servidor en ", stdout);
    formato_texto(stdout, conexion_host(s->con));
    printf(" solo ofrece la versión 1 del protocolo; «%s» necesita la versión 2.\n", que);
    return false;
}

/* Each option: asks its fields and runs it.  False if input ended. */

static bool
op_agregar(const struct salida *s)
{
    char *id = NULL, *nombre = NULL;
    int32_t stock;
    bool sigue = false;

    if (!pedir_texto("Id: ", campo_id, &id) ||
        !pedir_texto("Nombre: ", campo_nombre, &nombre) ||
        !pedir_entero("Stock (0 a 2147483647): ", campo_stock, &stock))
        goto out;
    accion_agregar(s, id, nombre, stock);
    sigue = true;
out:
    free(id);
    free(nombre);
    return sigue;
}

static bool
op_obtener(const struct salida *s)
{
    char *id = NULL;

    if (!pedir_texto("Id: ", campo_id, &id))
        return false;
    accion_obtener(s, id);
    free(id);
    return true;
}

static bool
op_actualizar(const struct salida *s)
{
    char *id = NULL;
    int32_t stock;
    bool sigue = false;

    if (!pedir_texto("Id: ", campo_id, &id) ||
        !pedir_entero("Nuevo stock (0 a 2147483647): ", campo_stock, &stock))
        goto out;
    accion_actualizar(s, id, stock);
    sigue = true;
out:
    free(id);
    return sigue;
}

static bool
op_listar(const struct salida *s)
{
    accion_listar(s);
    return true;
}

static bool
op_eliminar(const struct salida *s)
{
    char *id = NULL;

    if (!pedir_texto("Id: ", campo_id, &id))
        return false;
    accion_eliminar(s, id);
    free(id);
    return true;
}

static bool
op_ajustar(const struct salida *s)
{
    char *id = NULL, *motivo = NULL;
    int32_t delta;
    bool sigue = false;

    if (!hay_v2(s, "Ajustar stock"))
        return true;
    if (!pedir_texto("Id: ", campo_id, &id) ||
        !pedir_entero("Cantidad (+N entra, -N sale): ", campo_delta, &delta) ||
        !pedir_texto("Motivo (venta, devolución, recuento...; puede quedar vacío): ",
                     campo_motivo, &motivo))
        goto out;
    accion_ajustar(s, id, delta, motivo, NULL);
    sigue = true;
out:
    free(id);
    free(motivo);
    return sigue;
}

static bool
op_movimientos(const struct salida *s)
{
    char *id = NULL;

    if (!hay_v2(s, "Ver movimientos"))
        return true;
    if (!pedir_texto("Id del producto (vacío para todos): ", campo_id_opcional, &id))
        return false;
    accion_movimientos(s, id, 0);
    free(id);
    return true;
}

static bool
op_vigilar(const struct salida *s)
{
    char *id = NULL;

    if (!hay_v2(s, "Vigilar cambios"))
        return true;
    if (!pedir_texto("Id del producto (vacío para todos): ", campo_id_opcional, &id))
        return false;
    accion_vigilar(s, id, true);
    free(id);
    /* Ctrl-C ended the watch, not the menu. */
    entrada_olvidar();
    return true;
}

static bool
op_estado(const struct salida *s)
{
    if (hay_v2(s, "Estado del servidor"))
        accion_estado(s);
    return true;
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

/* Runs option n, 1 to 9.  False if input ended. */
static bool
ejecutar(const struct salida *s, int n)
{
    static bool (*const acciones[])(const struct salida *) = {
        NULL, op_agregar, op_obtener, op_actualizar, op_listar, op_eliminar,
        op_ajustar, op_movimientos, op_vigilar, op_estado
    };

    return acciones[n](s);
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
}

int
menu_ejecutar(struct salida *s)
{
    enum resultado r;
    char *l;

    entrada_iniciar(true);
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
        if (entrada_linea("Elija una opción: ", &l) != ENTRADA_LINEA)
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
        if (n == 0 || (n > 0 && !ejecutar(s, n)))
            break;
    }
    fputs("Hasta luego.\n", stdout);
    fflush(stdout);
    entrada_terminar();
    return 0;
}
