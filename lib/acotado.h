/* acotado.h - decoding the server's answers with a bound on every array.
 *
 * rpcgen's XDR routines for the contract's result arrays (lista_res,
 * pagina_res, movimientos_res) pass no bound to xdr_array: a count of
 * 178 956 970 in eight bytes makes it allocate 4 GiB before reading any
 * item.  The library's CLIENT (rpcclient.h) decodes results through
 * acotado_decodificar instead, which knows those three routines and
 * decodes the same bytes with the caller's bound on the array (the same
 * layout, so xdr_free of the generated routine frees what it built);
 * every other result is decoded by its own generated routine, whose
 * strings are already bounded by the .x.
 */
#ifndef INVENTARIO_LIB_ACOTADO_H
#define INVENTARIO_LIB_ACOTADO_H

#include <rpc/rpc.h>

/* An rpcclient decoder (struct rpcclient_decoder): ctx points to the
 * u_int most items an array of the answer may hold.  FALSE if the array
 * is longer, or the bytes do not decode. */
bool_t acotado_decodificar(XDR *xdrs, xdrproc_t xres, void *res, void *ctx);

#endif
