/* acciones.c - what the user asked for, done and told; see acciones.h. */
#include "acciones.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entrada.h"
#include "formato.h"
#include "operaciones.h"
#include "paginador.h"
#include "vigilancia.h"

#define FRASE 1024

void
acciones_fallo(const struct salida *s, enum resultado r, const char *frase)
{
    FILE *f = s->menu ? stdout : stderr;

    if (s->json) {
        (void)formato_json(stderr, formato_json_error(r, frase), true);
        fflush(stderr);
        return;
    }
    if (!s->menu)
        fputs("inventario-client: ", f);
    formato_texto(f, frase);
    fputc('\n', f);
    fflush(f);
}

/* ERROR_INTERNO said by the server: asks ESTADO whether its store is
 * down, which is the case worth naming (a lost database connection, a
 * deleted file), rather than only a full or read-only disk. */
static enum causa
causa_interna(struct conexion *c)
{
    estado_servidor e;
    enum causa causa = CAUSA_DESCONOCIDA;

    if (conexion_version(c) < 2 || ops_estado(c, &e) != RES_OK)
        return causa;
    if (!e.almacen_ok)
        causa = CAUSA_ALMACEN_CAIDO;
    ops_estado_liberar(&e);
    return causa;
}

void
acciones_frase(const struct salida *s, char *frase, size_t n, enum resultado r,
               enum operacion op, const char *id)
{
    /* Empty when the server answered, with an estado, rather than the
     * transport failing. */
    bool del_servidor = conexion_error(s->con)[0] == '\0';
    enum causa causa = CAUSA_DESCONOCIDA;

    if (!del_servidor) {
        size_t len;

        formato_fallo(frase, n, r, op, id, s->con);
        len = strlen(frase);
        /* Ctrl-C: the library says when a change may have been applied;
         * otherwise nothing changed, and that is worth saying too. */
        if (r == RES_CANCELADO && !conexion_incierta(s->con))
            snprintf(frase + len, n - len, " No se ha cambiado nada.");
        return;
    }
    if (r == RES_ERROR_INTERNO)
        causa = causa_interna(s->con);
    formato_fallo_causa(frase, n, r, op, id, causa, "");
}

/* Says why operation op on id failed; returns r. */
static enum resultado
fallar(const struct salida *s, enum resultado r, enum operacion op, const char *id)
{
    char frase[FRASE];

    acciones_frase(s, frase, sizeof frase, r, op, id);
    acciones_fallo(s, r, frase);
    return r;
}

enum resultado
acciones_json(const struct salida *s, json_t *j)
{
    if (formato_json(stdout, j, false) < 0) {
        acciones_fallo(s, RES_ERROR_INTERNO, "No se pudo escribir la respuesta en JSON.");
        return RES_ERROR_INTERNO;
    }
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_agregar(const struct salida *s, const char *id, const char *nombre, int32_t stock)
{
    producto p = { .id = ops_prestado(id), .nombre = ops_prestado(nombre),
                   .stock = stock };
    enum resultado r = ops_agregar(s->con, id, nombre, stock);

    if (r != RES_OK)
        return fallar(s, r, OP_AGREGAR, id);
    if (s->json)
        return acciones_json(s, formato_json_producto(&p));
    fputs("Producto agregado:\n", stdout);
    formato_producto(stdout, &p);
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_obtener(const struct salida *s, const char *id)
{
    producto_res res;
    enum resultado r = ops_obtener(s->con, id, &res);

    if (r != RES_OK)
        return fallar(s, r, OP_OBTENER, id);
    if (s->json) {
        r = acciones_json(s, formato_json_producto(&res.producto_res_u.p));
    } else {
        formato_producto(stdout, &res.producto_res_u.p);
        fflush(stdout);
    }
    ops_producto_liberar(&res);
    return r;
}

enum resultado
accion_actualizar(const struct salida *s, const char *id, int32_t stock)
{
    enum resultado r = ops_actualizar(s->con, id, stock);

    if (r != RES_OK)
        return fallar(s, r, OP_ACTUALIZAR, id);
    if (s->json)
        return acciones_json(s, json_pack("{s:o, s:i}", "id",
                                           formato_json_cadena(id), "stock", stock));
    fputs("Stock de ", stdout);
    formato_texto(stdout, id);
    printf(" actualizado a %d %s.\n", stock, stock == 1 ? "unidad" : "unidades");
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_listar(const struct salida *s)
{
    struct ops_lista l;
    enum resultado r = ops_listar(s->con, &l);

    if (r != RES_OK)
        return fallar(s, r, OP_LISTAR, NULL);
    if (s->json) {
        r = acciones_json(s, formato_json_productos(l.v, l.n));
    } else {
        struct paginador *p;
        FILE *f = paginador_abrir(&p, false);

        formato_productos(f, l.v, l.n);
        paginador_cerrar(p, f);
    }
    ops_lista_liberar(&l);
    return r;
}

enum resultado
accion_eliminar(const struct salida *s, const char *id)
{
    enum resultado r = ops_eliminar(s->con, id);

    if (r != RES_OK)
        return fallar(s, r, OP_ELIMINAR, id);
    if (s->json)
        return acciones_json(s, json_pack("{s:o, s:b}", "id", formato_json_cadena(id),
                                           "eliminado", 1));
    fputs("Producto ", stdout);
    formato_texto(stdout, id);
    fputs(" eliminado.\n", stdout);
    fflush(stdout);
    return RES_OK;
}

/* -- vigilar ----------------------------------------------------------------- */

/* A notice while following: a line of text on stdout, or with --json a
 * {"aviso": ...} line on stderr, out of the way of the movements' JSON
 * lines (as the library's notices, main.c). */
static void
avisar(const struct salida *s, const char *frase)
{
    if (s->json) {
        (void)formato_json(stderr, json_pack("{s:o}", "aviso",
                                             formato_json_cadena(frase)), true);
        fflush(stderr);
        return;
    }
    formato_texto(stdout, frase);
    fputc('\n', stdout);
    fflush(stdout);
}

/* The newest seq now: following starts after it. */
static enum resultado
vigilar_inicio(const struct salida *s, const char *id, uint64_t *desde)
{
    enum resultado r = vigilancia_inicio(s->con, desde);
    char frase[FRASE];

    if (r != RES_OK)
        return fallar(s, r, OP_VIGILAR, id);
    if (id[0] != '\0')
        snprintf(frase, sizeof frase, "Vigilando los cambios del producto %s", id);
    else
        snprintf(frase, sizeof frase, "Vigilando los cambios de todos los productos");
    snprintf(frase + strlen(frase), sizeof frase - strlen(frase), " (desde el "
             "movimiento n.º %" PRIu64 "). Pulse Enter o Ctrl-C para terminar.", *desde);
    avisar(s, frase);
    return RES_OK;
}

/* Prints one movement as it arrives (vigilancia_fn). */
static void
vigilar_mostrar(void *ctx, const movimiento *m)
{
    const struct salida *s = ctx;

    if (s->json)
        (void)formato_json(stdout, formato_json_movimiento(m), true);
    else
        formato_movimiento(stdout, m);
    fflush(stdout);
}

/* Says once per outage that the server could not be asked. */
static void
vigilar_caido(const struct salida *s, enum resultado r, const char *id, bool *caido)
{
    char frase[FRASE];
    size_t n;

    if (*caido)
        return;
    formato_fallo(frase, sizeof frase, r, OP_VIGILAR, id, s->con);
    n = strlen(frase);
    snprintf(frase + n, sizeof frase - n, " Se sigue intentando...");
    avisar(s, frase);
    *caido = true;
}

/*
 * Follows the log until Enter (when mirar_stdin), Ctrl-C or SIGTERM.  Each
 * round (vigilancia.h) is a long poll on a version 3 server, a poll and a
 * pause on version 2; stdin and the interruptor cancel it at once, and the
 * loop's top tells which it was.  A cancelled call drops the connection,
 * and the next round connects again without a word.
 */
enum resultado
accion_vigilar(const struct salida *s, const char *id, bool mirar_stdin)
{
    struct salida ctx = *s;     /* vigilar_mostrar's, which reads it only */
    uint64_t desde;
    bool caido = false;
    enum resultado r;

    if ((r = vigilar_inicio(s, id, &desde)) != RES_OK)
        return r;
    for (;;) {
        enum espera e = entrada_esperar(0, mirar_stdin);
        unsigned n;

        if (e == ESPERA_ENTER || e == ESPERA_INTERRUMPIDA)
            break;
        if (e == ESPERA_FIN) {
            /* The menu has nothing more to read; a one-shot watch
             * whose stdin closed goes on until a signal. */
            if (s->menu)
                break;
            mirar_stdin = false;
        }
        conexion_cancelable(s->con, mirar_stdin ? STDIN_FILENO : -1);
        r = vigilancia_ronda(s->con, id, &desde, vigilar_mostrar, &ctx, &n);
        conexion_cancelable(s->con, -1);
        if (r == RES_OK) {
            caido = false;
        } else if (r != RES_CANCELADO) {
            vigilar_caido(s, r, id, &caido);
            /* A server that is down is asked again after a pause, which
             * Enter and Ctrl-C still end. */
            e = entrada_esperar(VIGILANCIA_INTERVALO_MS * 3, mirar_stdin);
            if (e == ESPERA_ENTER || e == ESPERA_INTERRUMPIDA)
                break;
        }
    }
    if (!s->json) {
        fputs("Fin de la vigilancia.\n", stdout);
        fflush(stdout);
    }
    return RES_OK;
}

/* -- estado ------------------------------------------------------------------ */

enum resultado
accion_estado(const struct salida *s)
{
    estado_servidor e;
    enum resultado r = ops_estado(s->con, &e);

    if (r != RES_OK)
        return fallar(s, r, OP_ESTADO, NULL);
    if (s->json) {
        r = acciones_json(s, formato_json_estado(&e, s->con));
    } else {
        formato_estado(stdout, &e, s->con);
        fflush(stdout);
    }
    ops_estado_liberar(&e);
    return r;
}
