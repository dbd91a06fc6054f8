/* main.c - inventario-stress: load, verification and benchmark of the inventory service. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "carga.h"
#include "config.h"
#include "conexion.h"
#include "informe.h"
#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"

/* One NULL call before anything else, so that a server that is not there
 * is told apart, with its reason, from a run that went wrong. */
static int
alcanzable(const struct config *c)
{
    struct conexion con;
    enum res r;

    conexion_init(&con, &c->destino, 1);
    r = con_null(&con);
    conexion_cerrar(&con);
    if (r == RES_OK)
        return SALIDA_OK;
    fprintf(stderr, "inventario-stress: el servidor no responde en %s, programa %lu: "
            "%s\n", c->destino.host, (unsigned long)c->destino.programa, con.error);
    return SALIDA_INALCANZABLE;
}

static int
ejecutar(struct config *c, struct informe *inf)
{
    char etiqueta[16];
    int rc;

    if ((rc = alcanzable(c)) != SALIDA_OK)
        return rc;
    if (c->bench)
        return bench_modo(c, inf);
    if (c->verificar == VERIF_NINGUNA)
        return carga_modo(c, inf);
    /* Each verification gets ids no earlier run has used. */
    if (c->prefijo[0] == '\0') {
        etiqueta_ejecucion(etiqueta, sizeof etiqueta);
        snprintf(c->prefijo, sizeof c->prefijo, "v%s-", etiqueta);
    }
    switch (c->verificar) {
    case VERIF_DISJUNTO:
        return verif_disjunto(c, inf);
    case VERIF_CHURN:
        return verif_churn(c, inf);
    default:
        return verif_contador(c, inf);
    }
}

int
main(int argc, char **argv)
{
    struct config c;
    struct informe inf;
    int rc;

    config_parse(&c, argc, argv);
    trabajo_senales();
    if (!informe_init(&inf, &c, c.bench ? "bench"
                                : c.verificar != VERIF_NINGUNA ? "verificacion"
                                                               : "carga")) {
        fprintf(stderr, "inventario-stress: sin memoria para el informe\n");
        return SALIDA_LOCAL;
    }
    rc = ejecutar(&c, &inf);
    if (conexion_vivas() != 0) {
        fprintf(stderr, "inventario-stress: error interno: %u conexiones sin "
                "cerrar\n", conexion_vivas());
        if (rc == SALIDA_OK)
            rc = SALIDA_LOCAL;
    }
    /* A run cut short is not a success, even if what it did checks out:
     * a script must not take it for a full run.  Any other failure says
     * more, and wins. */
    if (trabajo_parar() && rc == SALIDA_OK)
        rc = SALIDA_INTERRUMPIDA;
    informe_poner(&inf, "salida", json_integer(rc));
    if (!informe_fin(&inf) && (rc == SALIDA_OK || rc == SALIDA_INTERRUMPIDA))
        rc = SALIDA_LOCAL;
    if (trabajo_parar())
        fprintf(stderr, "inventario-stress: interrumpido; los resultados son "
                "parciales\n");
    return rc;
}
