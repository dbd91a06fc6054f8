/* xdrproc.h - XDR routines as the generic xdrproc_t libtirpc calls them with.
 *
 * libtirpc declares xdr_void as taking no arguments and every routine is
 * called through xdrproc_t; casting through void (*)(void), the generic
 * function pointer, says so without a -Wcast-function-type warning.
 */
#ifndef INVENTARIO_XDRPROC_H
#define INVENTARIO_XDRPROC_H

#include <rpc/xdr.h>

#define XDRPROC(f) ((xdrproc_t)(void (*)(void))(f))

#endif
