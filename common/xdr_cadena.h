/* xdr_cadena.h - an xdr_string that keeps an embedded NUL byte visible.
 *
 * libtirpc's xdr_string decodes "ab\0cd" into the C string "ab": the NUL
 * ends it early and the rest is silently dropped, so a server would accept
 * a truncated id.  The contract counts an embedded NUL as a control
 * character (answer INVALIDO).  inv_xdr_string decodes exactly like
 * xdr_string, bound and all, but turns each embedded NUL into DEL (0x7F),
 * which every rule of validar.h refuses as a control character as well:
 * the string keeps its full length and validation sees the bad byte.
 * Encoding and freeing are xdr_string's own.
 *
 * The generated XDR routines are compiled with this header forced in
 * (-include), which renames their calls; the generated code itself is
 * never edited.
 */
#ifndef INVENTARIO_XDR_CADENA_H
#define INVENTARIO_XDR_CADENA_H

#include <rpc/types.h>
#include <rpc/xdr.h>

bool_t inv_xdr_string(XDR *xdrs, char **cpp, u_int maxsize);

#ifndef INV_XDR_CADENA_IMPL
#define xdr_string inv_xdr_string
#endif

#endif
