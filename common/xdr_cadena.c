/* xdr_cadena.c - xdr_string with embedded NULs made visible; see xdr_cadena.h. */
#include "xdr_cadena.h"

#include <stdlib.h>
#include <string.h>

/* xdr_opaque's decoding, but the padding goes to a buffer of the caller's
 * stack: libtirpc's goes to one static buffer that every thread decoding
 * at once writes (harmless, but a data race all the same). */
static bool_t
bytes_in(XDR *xdrs, char *sp, u_int size)
{
    char pad[BYTES_PER_XDR_UNIT];
    u_int rest = size % BYTES_PER_XDR_UNIT;

    if (size > 0 && !XDR_GETBYTES(xdrs, sp, size))
        return FALSE;
    if (rest > 0 && !XDR_GETBYTES(xdrs, pad, BYTES_PER_XDR_UNIT - rest))
        return FALSE;
    return TRUE;
}

bool_t
inv_xdr_string(XDR *xdrs, char **cpp, u_int maxsize)
{
    u_int size;
    char *sp;

    if (xdrs->x_op != XDR_DECODE)
        return xdr_string(xdrs, cpp, maxsize);

    if (!xdr_u_int(xdrs, &size) || size > maxsize)
        return FALSE;
    sp = *cpp;
    if (sp == NULL) {
        /* The bound above caps this allocation at maxsize + 1. */
        sp = malloc((size_t)size + 1);
        if (sp == NULL)
            return FALSE;
    }
    if (!bytes_in(xdrs, sp, size)) {
        if (*cpp == NULL)
            free(sp);
        return FALSE;
    }
    sp[size] = '\0';
    for (char *p = memchr(sp, '\0', size); p != NULL;
         p = memchr(p, '\0', (size_t)(sp + size - p)))
        *p = 0x7F;
    *cpp = sp;
    return TRUE;
}
