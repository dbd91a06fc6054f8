/* operaciones.h - the contract's procedures as C calls: arguments in, answers out.
 *
 * Each function runs one procedure (a listing, a sequence of pages) over a
 * conexion and turns the answer into an outcome (resultado.h): the server's
 * estado, or the transport's failure, whose sentence is then in
 * conexion_error.  Answers are the generated XDR types, owned by the caller
 * on RES_OK and freed with the function named beside each; on any other
 * outcome there is nothing to free.  No output, no prompts: menu.c and
 * comandos.c say things to people.
 */
#ifndef INVENTARIO_CLIENTE_OPERACIONES_H
#define INVENTARIO_CLIENTE_OPERACIONES_H

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

enum resultado ops_agregar(struct conexion *c, const char *id,
                           const char *nombre, int32_t stock);

/* *res: free with ops_producto_liberar. */
enum resultado ops_obtener(struct conexion *c, const char *id, producto_res *res);

enum resultado ops_actualizar(struct conexion *c, const char *id, int32_t stock);

enum resultado ops_eliminar(struct conexion *c, const char *id);

/* Every product: LISTAR_PAGINA page by page where the server offers
 * version 2, LISTAR_PRODUCTOS on a version 1 server. */
enum resultado ops_listar(struct conexion *c, struct ops_lista *out);
void ops_lista_liberar(struct ops_lista *l);

/* Fills clave with a fresh random key.  False if the system's random
 * source failed (then no adjustment should be sent). */
bool ops_clave_nueva(char clave[OPS_CLAVE_LEN + 1]);

/* AJUSTAR_STOCK with the given key, repeated with that same key after a
 * timeout or a lost connection, so that it is applied at most once.
 * *res (the product after): free with ops_producto_liberar. */
enum resultado ops_ajustar(struct conexion *c, const char *id, int32_t delta,
                           const char *motivo, const char *clave,
                           producto_res *res);

/* One page of MOVIMIENTOS: seq > desde, of product id ("" all), at most
 * max (0: the server's page).  *res: free with ops_movimientos_liberar. */
enum resultado ops_movimientos(struct conexion *c, uint64_t desde,
                               const char *id, unsigned max,
                               movimientos_res *res);

/* ESTADO.  *res: free with ops_estado_liberar. */
enum resultado ops_estado(struct conexion *c, estado_servidor *res);

void ops_producto_liberar(producto_res *res);
void ops_movimientos_liberar(movimientos_res *res);
void ops_estado_liberar(estado_servidor *res);

#endif
