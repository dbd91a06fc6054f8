/* main.c - inventario-stress: load, verification and benchmark of the inventory service. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "carga.h"
#include "config.h"
#include "destino.h"
#include "informe.h"
#include "limpieza.h"
#include "salida.h"
#include "servidor.h"
#include "tls_client.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"

/* One NULL call before anything else, so that a server that is not there
 * is told apart, with its reason, from a run that went wrong. */
static int
alcanzable(const struct config *c)
{
    struct conexion *con = destino_conexion(&c->destino);
    enum resultado r;
    int rc = SALIDA_OK;

    if (con == NULL)
        return SALIDA_LOCAL;
    if ((r = ops_null(con)) != RES_OK) {
        fprintf(stderr, "inventario-stress: el servidor no responde en %s, programa "
                "%lu: %s\n", c->destino.host, c->destino.programa,
                conexion_error(con));
        rc = SALIDA_INALCANZABLE;
    }
    conexion_liberar(con);
    return rc;
}

static int
ejecutar(struct config *c, struct informe *inf)
{
    int rc;

    if ((rc = alcanzable(c)) != SALIDA_OK)
        return rc;
    if (c->bench)
        return bench_modo(c, inf);
    switch (c->verificar) {
    case VERIF_NINGUNA:
        return carga_modo(c, inf);
    case VERIF_DISJUNTO:
        return verif_disjunto(c, inf);
    case VERIF_CHURN:
        return verif_churn(c, inf);
    default:
        return verif_contador(c, inf);
    }
}

/* Without --host, --program or --contra-servicio-real: our own server, and
 * the run's target becomes it. */
static int
arrancar_propio(struct config *c, struct servidor_propio *s, struct informe *inf)
{
    char err[1536];

    if (c->externo)
        return SALIDA_OK;
    if (!servidor_arrancar(s, c->servidor_bin, c->db_dir, 30.0, err, sizeof err)) {
        fprintf(stderr, "inventario-stress: %s\n", err);
        return SALIDA_LOCAL;
    }
    c->destino.host = "127.0.0.1";
    c->destino.programa = s->programa;
    if (c->db_dir == NULL)
        c->db_dir = s->dir;     /* the disk probe beside the store */
    informe_nota(inf, "servidor propio: %s, programa %lu (0x%lX), base de datos %s",
                 s->binario, (unsigned long)s->programa, (unsigned long)s->programa,
                 s->db);
    return SALIDA_OK;
}

/* What the run leaves behind: against another server, the products of its
 * prefix are deleted (unless --conservar); our own server is stopped and
 * its folder deleted (unless --conservar).  Returns rc, or a worse status
 * if this went wrong. */
static int
terminar(const struct config *c, struct servidor_propio *s, struct informe *inf,
         int rc)
{
    FILE *f = informe_texto(inf);
    uint64_t borrados = 0;
    char err[1536];
    int lrc = SALIDA_OK;
    bool parado = true;

    if (c->externo && !c->conservar && rc != SALIDA_INALCANZABLE && rc != SALIDA_USO) {
        lrc = limpieza_prefijo(&c->destino, c->prefijo, inf, &borrados);
        if (f != NULL)
            fprintf(f, "\nLimpieza: %llu %s con el prefijo %s %s%s.\n",
                    (unsigned long long)borrados,
                    borrados == 1 ? "producto" : "productos", c->prefijo,
                    borrados == 1 ? "eliminado" : "eliminados",
                    lrc == SALIDA_OK ? "" : " (incompleta: quedan algunos)");
    } else if (c->externo && f != NULL) {
        fprintf(f, "\nSe conservan los productos con el prefijo %s (--conservar).\n",
                c->prefijo);
    }
    if (!c->externo) {
        parado = servidor_parar(s, c->conservar, err, sizeof err);
        if (!parado)
            fprintf(stderr, "inventario-stress: %s\n", err);
        if (f != NULL && parado && !c->conservar)
            fprintf(f, "\nServidor propio (programa %lu) parado; su base de datos "
                    "temporal, borrada.\n", (unsigned long)s->programa);
        if (c->conservar)
            fprintf(stderr, "inventario-stress: se conserva la carpeta del servidor "
                    "propio: %s (base de datos inventario.db, registro "
                    "servidor.log)\n", s->dir);
    }
    informe_poner(inf, "servidor", json_pack(
        "{s:b, s:s, s:I, s:s?, s:b}", "propio", !c->externo, "host", c->destino.host,
        "programa", (json_int_t)c->destino.programa,
        "carpeta_conservada", !c->externo && c->conservar ? s->dir : NULL,
        "parado_bien", parado));
    informe_poner(inf, "limpieza", json_pack(
        "{s:s, s:b, s:I}", "prefijo", c->prefijo, "conservados", c->conservar,
        "borrados", (json_int_t)borrados));
    if (lrc != SALIDA_OK && (rc == SALIDA_OK || rc == SALIDA_INTERRUMPIDA))
        rc = lrc;
    /* Our own server failing to stop cleanly is a finding: a load that
     * crashed it, or a shutdown that lost its way. */
    if (!parado && rc == SALIDA_OK)
        rc = SALIDA_LOCAL;
    return rc;
}

int
main(int argc, char **argv)
{
    struct servidor_propio propio;
    struct config c;
    struct informe inf;
    int rc;

    config_parse(&c, argc, argv);
    trabajo_senales();
    memset(&propio, 0, sizeof propio);
    if (!informe_init(&inf, &c, c.bench ? "bench"
                                : c.verificar != VERIF_NINGUNA ? "verificacion"
                                                               : "carga")) {
        fprintf(stderr, "inventario-stress: sin memoria para el informe\n");
        return SALIDA_LOCAL;
    }
    if ((rc = arrancar_propio(&c, &propio, &inf)) == SALIDA_OK) {
        informe_config(&inf, &c);
        rc = ejecutar(&c, &inf);
        rc = terminar(&c, &propio, &inf, rc);
    }
    if (conexion_abiertas() != 0) {
        fprintf(stderr, "inventario-stress: error interno: %u conexiones sin "
                "cerrar\n", conexion_abiertas());
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
    tls_client_free(c.destino.tls);
    return rc;
}
