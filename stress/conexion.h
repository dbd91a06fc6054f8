/* conexion.h - one client's connection to the server, and one call per procedure.
 *
 * Each client (thread or process) owns one struct conexion: its own CLIENT
 * and TCP connection, never shared, so no lock is needed and libtirpc's rule
 * of one thread per client handle holds.  Every call answers an enum res:
 * the estado the server answered, or how the call failed.  A call that ends
 * in RES_TIMEOUT or RES_CONEXION closes the connection (its stream may hold
 * a late reply), and the next call opens a new one, asking rpcbind again
 * for the port, so a restarted server is found.  Nothing here retries: the
 * callers decide, because only they know whether a retry is safe.
 *
 * Functions here never print; the reason of the last failure is kept in
 * c->error.  They do not use clnt_sperror & co., whose buffer libtirpc
 * shares between threads.
 */
#ifndef STRESS_CONEXION_H
#define STRESS_CONEXION_H

#include <stdint.h>

#include "inventario.h"
#include "operaciones.h"

/* Where the server is; fixed for the whole run. */
struct destino {
    const char *host;
    rpcprog_t   programa;
    double      plazo_s;    /* per call, and to connect */
};

struct conexion {
    const struct destino *d;
    rpcvers_t             version;
    CLIENT               *clnt;         /* NULL while not connected */
    uint64_t              aperturas;    /* successful connects, first included */
    char                  error[160];   /* why the last failure failed */
};

/* The default program number: the one /etc/rpc gives inventario.servicio,
 * or the contract's 541675094.  Uses getrpcbyname: call it from one thread,
 * before clients start. */
rpcprog_t conexion_programa_defecto(void);

/* Connections of this process open now (a leak check for main). */
unsigned conexion_vivas(void);

/* Prepares c; does not connect. */
void conexion_init(struct conexion *c, const struct destino *d, rpcvers_t version);
/* Connects now if not connected: RES_OK, or RES_CONEXION / RES_TIMEOUT. */
enum res conexion_abrir(struct conexion *c);
void conexion_cerrar(struct conexion *c);

/* The procedures.  Output pointers may be NULL where the caller does not
 * need the value.  Results a caller receives whole (pagina, movimientos,
 * estado) are freed with conexion_liberar and the same XDR routine. */
enum res con_null(struct conexion *c);
enum res con_agregar(struct conexion *c, char *id, char *nombre, int32_t stock);
enum res con_obtener(struct conexion *c, char *id, int32_t *stock, char *nombre,
                     size_t nombre_len);
enum res con_actualizar(struct conexion *c, char *id, int32_t valor);
enum res con_listar(struct conexion *c, uint64_t *n);
enum res con_eliminar(struct conexion *c, char *id);
enum res con_ajustar(struct conexion *c, char *id, int32_t delta, char *motivo,
                     char *clave, int32_t *stock);
enum res con_movimientos(struct conexion *c, uint64_t desde, char *id,
                         unsigned max, movimientos_res *out);
enum res con_pagina(struct conexion *c, char *desde, unsigned max, pagina_res *out);
enum res con_estado(struct conexion *c, estado_servidor *out);
void conexion_liberar(xdrproc_t xdr, void *res);

#endif
