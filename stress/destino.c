/* destino.c - a conexion to the server under test; see destino.h. */
#include "destino.h"

#include <stdio.h>

struct conexion *
destino_conexion(const struct destino *d)
{
    double ms = d->plazo_s * 1000.0;
    struct conexion_opts o = {
        .host = d->host, .programa = d->programa,
        .espera_ms = ms < 1.0 ? 1u : ms > 3600000.0 ? 3600000u : (unsigned)ms,
        .aviso = NULL, .sin_repetir = true, .tls = d->tls,
    };
    struct conexion *c = conexion_nueva(&o);

    if (c == NULL)
        fputs("inventario-stress: sin memoria para una conexión\n", stderr);
    return c;
}
