/* acciones.c - what the user asked for, done and told; see acciones.h. */
#include "acciones.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entrada.h"
#include "formato.h"
#include "operaciones.h"
#include "vigilancia.h"

#define FRASE 1024

void
acciones_fallo(const struct salida *s, enum resultado r, const char *frase)
{
    FILE *f = s->menu ? stdout : stderr;

    if (s->json) {
        (void)formato_json(stdout, formato_json_error(r, frase), false);
        fflush(stdout);
        return;
    }
    if (!s->menu)
        fputs("inventario-client: ", f);
    formato_texto(f, frase);
    fputc('\n', f);
    fflush(f);
}

/* Says why operation op on id failed; returns r. */
static enum resultado
fallar(const struct salida *s, enum resultado r, enum operacion op, const char *id)
{
    char frase[FRASE];

    formato_fallo(frase, sizeof frase, r, op, id, s->con);
    acciones_fallo(s, r, frase);
    return r;
}

/* Writes a JSON answer to stdout (taking the reference). */
static enum resultado
responder_json(const struct salida *s, json_t *j)
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
        return responder_json(s, formato_json_producto(&p));
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
        r = responder_json(s, formato_json_producto(&res.producto_res_u.p));
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
        return responder_json(s, json_pack("{s:o, s:i}", "id",
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
        r = responder_json(s, formato_json_productos(l.v, l.n));
    } else {
        formato_productos(stdout, l.v, l.n);
        fflush(stdout);
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
        return responder_json(s, json_pack("{s:o, s:b}", "id", formato_json_cadena(id),
                                           "eliminado", 1));
    fputs("Producto ", stdout);
    formato_texto(stdout, id);
    fputs(" eliminado.\n", stdout);
    fflush(stdout);
    return RES_OK;
}

/* -- ajustar ----------------------------------------------------------------- */

/* The failure of an adjustment; when it may have been applied, names the
 * key that repeats it safely (in JSON, also as the error's "clave"). */
static enum resultado
fallar_ajuste(const struct salida *s, enum resultado r, const char *id,
              int32_t delta, const char *clave)
{
    bool incierta = conexion_incierta(s->con);
    char frase[FRASE];
    size_t n;

    formato_fallo(frase, sizeof frase, r, OP_AJUSTAR, id, s->con);
    n = strlen(frase);
    if (incierta && s->menu)
        snprintf(frase + n, sizeof frase - n, " La clave de este ajuste es %s.", clave);
    else if (incierta)
        snprintf(frase + n, sizeof frase - n, " Para repetirlo sin riesgo de "
                 "aplicarlo dos veces, use la misma clave: inventario-client "
                 "ajustar '%s' %" PRId32 " --clave %s", id, delta, clave);
    if (s->json && incierta) {
        json_t *j = formato_json_error(r, frase);

        json_object_set_new(json_object_get(j, "error"), "clave", json_string(clave));
        (void)formato_json(stdout, j, false);
        fflush(stdout);
        return r;
    }
    acciones_fallo(s, r, frase);
    return r;
}

static void
ajuste_texto(const producto *p, int32_t delta, const char *motivo)
{
    long long antes = (long long)p->stock - delta;

    fputs("Stock de ", stdout);
    formato_texto(stdout, p->id);
    printf(" ajustado en %+" PRId32, delta);
    if (motivo[0] != '\0') {
        fputs(" (", stdout);
        formato_texto(stdout, motivo);
        fputc(')', stdout);
    }
    printf(": antes %lld, ahora %d.\n", antes, p->stock);
    formato_producto(stdout, p);
    fflush(stdout);
}

enum resultado
accion_ajustar(const struct salida *s, const char *id, int32_t delta,
               const char *motivo, const char *clave)
{
    char propia[OPS_CLAVE_LEN + 1];
    producto_res res;
    enum resultado r;

    if (clave == NULL) {
        if (!ops_clave_nueva(propia)) {
            acciones_fallo(s, RES_ERROR_INTERNO, "No se pudo generar una clave "
                           "aleatoria para el ajuste (getrandom falló).");
            return RES_ERROR_INTERNO;
        }
        clave = propia;
    }
    r = ops_ajustar(s->con, id, delta, motivo, clave, &res);
    if (r != RES_OK)
        return fallar_ajuste(s, r, id, delta, clave);
    if (s->json) {
        const producto *p = &res.producto_res_u.p;

        r = responder_json(s, json_pack("{s:o, s:o, s:i, s:i, s:o, s:s}",
                                        "id", formato_json_cadena(p->id),
                                        "nombre", formato_json_cadena(p->nombre),
                                        "stock", p->stock, "delta", delta,
                                        "motivo", formato_json_cadena(motivo),
                                        "clave", clave));
    } else {
        ajuste_texto(&res.producto_res_u.p, delta, motivo);
    }
    ops_producto_liberar(&res);
    return r;
}

/* -- movimientos ------------------------------------------------------------- */

/* The pages of a movement listing, as the server sent them. */
struct paginas {
    movimientos_res *v;
    size_t           n, cap;
};

static void
paginas_liberar(struct paginas *pg)
{
    for (size_t i = 0; i < pg->n; i++)
        ops_movimientos_liberar(&pg->v[i]);
    free(pg->v);
}

/* Fetches every movement after desde, page after page, up to the newest
 * one the first page reported. */
static enum resultado
juntar(struct conexion *c, const char *id, uint64_t desde, struct paginas *pg,
       uint64_t *ultimo)
{
    for (;;) {
        movimientos_ok *ok;
        enum resultado r;
        u_int n;

        if (pg->n == pg->cap) {
            size_t cap = pg->cap ? pg->cap * 2 : 8;
            movimientos_res *v = realloc(pg->v, cap * sizeof *v);

            if (v == NULL)
                return RES_ERROR_INTERNO;
            pg->v = v;
            pg->cap = cap;
        }
        if ((r = ops_movimientos(c, desde, id, 0, &pg->v[pg->n])) != RES_OK)
            return r;
        ok = &pg->v[pg->n++].movimientos_res_u.ok;
        if (pg->n == 1)
            *ultimo = ok->ultimo_seq;
        n = ok->movimientos.movimientos_len;
        if (n == 0)
            return RES_OK;
        desde = ok->movimientos.movimientos_val[n - 1].seq;
        if (desde >= *ultimo)
            return RES_OK;
    }
}

/* The movements of all pages in one array that borrows their strings. */
static movimiento *
aplanar(const struct paginas *pg, size_t *total)
{
    movimiento *v;
    size_t n = 0;

    for (size_t i = 0; i < pg->n; i++)
        n += pg->v[i].movimientos_res_u.ok.movimientos.movimientos_len;
    *total = n;
    if ((v = calloc(n ? n : 1, sizeof *v)) == NULL)
        return NULL;
    n = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const movimientos_ok *ok = &pg->v[i].movimientos_res_u.ok;

        for (u_int k = 0; k < ok->movimientos.movimientos_len; k++)
            v[n++] = ok->movimientos.movimientos_val[k];
    }
    return v;
}

static enum resultado
mostrar_movimientos(const struct salida *s, const char *id, uint64_t desde,
                    const movimiento *v, size_t n, uint64_t ultimo)
{
    if (s->json) {
        json_t *a = json_array();

        for (size_t i = 0; a != NULL && i < n; i++)
            if (json_array_append_new(a, formato_json_movimiento(&v[i])) < 0) {
                json_decref(a);
                a = NULL;
            }
        return responder_json(s, a == NULL ? NULL :
                              json_pack("{s:o, s:I}", "movimientos", a,
                                        "ultimo_seq", (json_int_t)ultimo));
    }
    if (id[0] != '\0') {
        fputs("Movimientos del producto ", stdout);
        formato_texto(stdout, id);
    } else {
        fputs("Movimientos de todos los productos", stdout);
    }
    if (desde > 0)
        printf(" posteriores al n.º %" PRIu64, desde);
    fputs(":\n", stdout);
    formato_movimientos(stdout, v, n);
    fflush(stdout);
    return RES_OK;
}

enum resultado
accion_movimientos(const struct salida *s, const char *id, uint64_t desde)
{
    struct paginas pg = { NULL, 0, 0 };
    movimiento *v = NULL;
    uint64_t ultimo = 0;
    size_t n = 0;
    enum resultado r;

    if ((r = juntar(s->con, id, desde, &pg, &ultimo)) != RES_OK) {
        fallar(s, r, OP_MOVIMIENTOS, id);
        goto out;
    }
    if ((v = aplanar(&pg, &n)) == NULL) {
        r = RES_ERROR_INTERNO;
        acciones_fallo(s, r, "No hay memoria para mostrar los movimientos.");
        goto out;
    }
    r = mostrar_movimientos(s, id, desde, v, n, ultimo);
out:
    free(v);
    paginas_liberar(&pg);
    return r;
}

/* -- vigilar ----------------------------------------------------------------- */

/* Notices while following go where they do not mix with JSON lines. */
static FILE *
avisos(const struct salida *s)
{
    return s->json ? stderr : stdout;
}

/* The newest seq now: following starts after it. */
static enum resultado
vigilar_inicio(const struct salida *s, const char *id, uint64_t *desde)
{
    enum resultado r = vigilancia_inicio(s->con, desde);
    FILE *f = avisos(s);

    if (r != RES_OK)
        return fallar(s, r, OP_VIGILAR, id);
    if (id[0] != '\0') {
        fputs("Vigilando los cambios del producto ", f);
        formato_texto(f, id);
    } else {
        fputs("Vigilando los cambios de todos los productos", f);
    }
    fprintf(f, " (desde el movimiento n.º %" PRIu64 "). Pulse Enter o Ctrl-C "
            "para terminar.\n", *desde);
    fflush(f);
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
    FILE *f = avisos(s);
    char frase[FRASE];

    if (*caido)
        return;
    formato_fallo(frase, sizeof frase, r, OP_VIGILAR, id, s->con);
    formato_texto(f, frase);
    fputs(" Se sigue intentando...\n", f);
    fflush(f);
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
        r = responder_json(s, formato_json_estado(&e, s->con));
    } else {
        formato_estado(stdout, &e, s->con);
        fflush(stdout);
    }
    ops_estado_liberar(&e);
    return r;
}
