/* operaciones.h - the contract's procedures as C calls: arguments in, answers out.
 *
 * Each function runs one procedure (a listing: a sequence of pages) over a
 * conexion, through rpcgen's generated client stub, and turns the answer
 * into an outcome (resultado.h): the server's estado, or the transport's
 * failure, whose sentence is then in conexion_error.  Answers are the
 * generated XDR types, owned by the caller on RES_OK and freed with the
 * function named beside each; on any other outcome there is nothing to
 * free.  No output, no prompts: the programs say things to people.
 *
 * Nothing the server sends is trusted: every array is decoded with a
 * bound (a page at most what was asked, a listing at most OPS_LISTA_MAX
 * products), so that a hostile or broken server cannot make the client
 * allocate more than a few MiB (RES_PROTOCOLO instead).
 */
#ifndef INVENTARIO_LIB_OPERACIONES_H
#define INVENTARIO_LIB_OPERACIONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conexion.h"
#include "inventario.h"
#include "resultado.h"

/* The XDR structs have plain char * members, though encoding only reads
 * them: this lends them a const string without a cast. */
static inline char *
ops_prestado(const char *s)
{
    union {
        const char *c;
        char       *m;
    } u = { .c = s };

    return u.m;
}

/* A whole listing, in id order; free with ops_lista_liberar. */
struct ops_lista {
    producto *v;
    size_t    n;
    size_t    cap;
};

/* An idempotency key: 32 hex digits (128 random bits) and a NUL. */
#define OPS_CLAVE_LEN 32

/* Pages (LISTAR_PAGINA, MOVIMIENTOS, ESPERAR_MOVIMIENTOS): a max of 0
 * asks for OPS_PAGINA, and none asks for more than OPS_PAGINA_MAX (the
 * server's own cap), so that a page's bound is always known. */
#define OPS_PAGINA     200u
#define OPS_PAGINA_MAX 1000u

/* The most products a whole listing may hold (ops_listar, and a version
 * 1 server's single LISTAR_PRODUCTOS): past it the listing fails with
 * RES_PROTOCOLO rather than grow the client's memory.  50 000 products of
 * the longest id and name take about 19 MiB here, and as much again in a
 * program's JSON or table of them, which keeps the client under 64 MiB. */
#define OPS_LISTA_MAX 50000u

/* NULL: a ping, which also connects. */
enum resultado ops_null(struct conexion *c);

enum resultado ops_agregar(struct conexion *c, const char *id,
                           const char *nombre, int32_t stock);

/* *res: free with ops_producto_liberar. */
enum resultado ops_obtener(struct conexion *c, const char *id, producto_res *res);

enum resultado ops_actualizar(struct conexion *c, const char *id, int32_t stock);

enum resultado ops_eliminar(struct conexion *c, const char *id);

/* Every product: LISTAR_PAGINA page by page where the server offers
 * version 2, LISTAR_PRODUCTOS on a version 1 server.  RES_PROTOCOLO if the
 * pages do not advance (a page's last id not past the one before) or the
 * listing passes OPS_LISTA_MAX. */
enum resultado ops_listar(struct conexion *c, struct ops_lista *out);
void ops_lista_liberar(struct ops_lista *l);

/* LISTAR_PRODUCTOS itself, one call (at most OPS_LISTA_MAX products).
 * *res: free with ops_lista_res_liberar. */
enum resultado ops_listar_productos(struct conexion *c, lista_res *res);
void ops_lista_res_liberar(lista_res *res);

/* One page of LISTAR_PAGINA: ids after desde ("" first), at most max
 * (0: OPS_PAGINA).  *res: free with ops_pagina_liberar. */
enum resultado ops_listar_pagina(struct conexion *c, const char *desde,
                                 unsigned max, pagina_res *res);
void ops_pagina_liberar(pagina_res *res);

/* Fills clave with a fresh random key.  False if the system's random
 * source failed (then no adjustment should be sent). */
bool ops_clave_nueva(char clave[OPS_CLAVE_LEN + 1]);

/* AJUSTAR_STOCK with the given key, repeated with that same key after a
 * timeout or a lost connection, so that it is applied at most once.  With
 * no key ("" or NULL) it is sent once, never repeated.
 * *res (the product after): free with ops_producto_liberar. */
enum resultado ops_ajustar(struct conexion *c, const char *id, int32_t delta,
                           const char *motivo, const char *clave,
                           producto_res *res);

/* One page of MOVIMIENTOS: seq > desde, of product id ("" all), at most
 * max (0: OPS_PAGINA).  *res: free with ops_movimientos_liberar. */
enum resultado ops_movimientos(struct conexion *c, uint64_t desde,
                               const char *id, unsigned max,
                               movimientos_res *res);

/* ESPERAR_MOVIMIENTOS (version 3): as ops_movimientos, but when nothing
 * newer than desde exists the server holds the reply until a movement
 * commits or espera_ms (at most INV_ESPERA_MAX_MS) pass; the call's
 * deadline is espera_ms plus the conexion's timeout.  RES_NO_OFRECIDO,
 * with nothing sent, on an older server.  *res: free with
 * ops_movimientos_liberar. */
enum resultado ops_esperar_movimientos(struct conexion *c, uint64_t desde,
                                       const char *id, unsigned max,
                                       unsigned espera_ms, movimientos_res *res);

/* ESTADO.  *res: free with ops_estado_liberar. */
enum resultado ops_estado(struct conexion *c, estado_servidor *res);

/* OBTENER_PRODUCTO and AJUSTAR_STOCK with the product's fields copied
 * out and nothing to free: *stock (if not NULL), and the nombre cut to
 * len bytes (if nombre is not NULL).  For callers that keep no answer,
 * such as the stress tool's clients. */
enum resultado ops_obtener_copia(struct conexion *c, const char *id,
                                 int32_t *stock, char *nombre, size_t len);
enum resultado ops_ajustar_copia(struct conexion *c, const char *id,
                                 int32_t delta, const char *motivo,
                                 const char *clave, int32_t *stock);

void ops_producto_liberar(producto_res *res);
void ops_movimientos_liberar(movimientos_res *res);
void ops_estado_liberar(estado_servidor *res);

#endif
