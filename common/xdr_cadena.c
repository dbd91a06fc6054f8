/* xdr_cadena.c - xdr_string with embedded NULs made visible; see xdr_cadena.h. */
#include "xdr_cadena.h"

#include <stdlib.h>
#include <string.h>

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
    if (!xdr_opaque(xdrs, sp, size)) {
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
