/* tls_ajustes.c - the client programs' TLS settings; see tls_ajustes.h. */
#include "tls_ajustes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls_client.h"

static const char *
entorno(const char *nombre)
{
    const char *v = getenv(nombre);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

void
tls_ajustes_entorno(struct tls_ajustes *t)
{
    const char *on = entorno("INVENTARIO_TLS");

    memset(t, 0, sizeof *t);
    t->activo = on != NULL && (strcmp(on, "1") == 0 || strcasecmp(on, "si") == 0 ||
                               strcasecmp(on, "sí") == 0 || strcasecmp(on, "yes") == 0);
    t->cert = entorno("INVENTARIO_TLS_CERT");
    t->key = entorno("INVENTARIO_TLS_KEY");
    t->ca = entorno("INVENTARIO_TLS_CA");
}

bool
tls_ajustes_cargar(const struct tls_ajustes *t, struct tls_client **out, char *err,
                   size_t errlen)
{
    struct tls_client_files f = { t->cert, t->key, t->ca };
    const char *falta = t->cert == NULL ? "--tls-cert (o INVENTARIO_TLS_CERT)"
                      : t->key == NULL ? "--tls-key (o INVENTARIO_TLS_KEY)"
                      : t->ca == NULL ? "--tls-ca (o INVENTARIO_TLS_CA)" : NULL;

    *out = NULL;
    if (!t->activo) {
        if (!t->archivo_en_opcion)
            return true;
        snprintf(err, errlen, "--tls-cert, --tls-key y --tls-ca solo se usan con "
                 "--tls (o INVENTARIO_TLS=1): sin ello la conexión iría en claro");
        return false;
    }
    if (falta != NULL) {
        snprintf(err, errlen, "con --tls hace falta %s", falta);
        return false;
    }
    return (*out = tls_client_new(&f, err, errlen)) != NULL;
}
