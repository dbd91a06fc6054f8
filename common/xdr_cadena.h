/* xdr_cadena.h - an xdr_string that keeps an embedded NUL byte visible.
 *
 * libtirpc's xdr_string decodes "ab\0cd" into the C string "ab": the NUL
 * ends it early and the rest is silently dropped, so a server would accept
 * a truncated id.  The contract counts an embedded NUL as a control
 * character (answer INVALIDO).  inv_xdr_string decodes exactly like
 * xdr_string, bound and all, but turns each embedded NUL into DEL (0x7F),
 * which every rule of validar.h refuses as a control character as well:
 * the string keeps its full length and validation sees the bad byte.
 * Encoding and freeing are xdr_string's own.  Its padding is read into a
 * buffer of its own, not into the static one libtirpc's xdr_opaque shares
 * between threads, so decoders running at once do not race.
 *
 * rpcgen's XDR routines call it by name: right after rpcgen writes
 * inventario_xdr.c, cmake/rpcgen_cadena.cmake renames every xdr_string
 * call in it and adds an #include of this header, with a comment that
 * says so (inventario.x says it too).
 */
#ifndef INVENTARIO_XDR_CADENA_H
#define INVENTARIO_XDR_CADENA_H

#include <rpc/types.h>
#include <rpc/xdr.h>

bool_t inv_xdr_string(XDR *xdrs, char **cpp, u_int maxsize);

#endif
