/* limpieza.c - delete the products of a run's prefix; see limpieza.h. */
#include "limpieza.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salida.h"
#include "trabajo.h"
#include "util.h"
#include "verificar.h"

#define LIMPIEZA_CLIENTES 8
#define LIMPIEZA_INTENTOS 3

struct ids {
    char  **v;
    size_t  n, cap;
};

struct limpieza {
    const struct destino *d;
    struct ids            ids;
    unsigned              m;
    uint64_t              borrados[LIMPIEZA_CLIENTES];
    uint64_t              fallos[LIMPIEZA_CLIENTES];
};

static bool
anotar(void *ctx, const char *id, const char *nombre, int32_t stock)
{
    struct ids *ids = ctx;

    (void)nombre;
    (void)stock;
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 1024;
        char **v = xrealloc(ids->v, cap, sizeof *v, "la limpieza");

        if (v == NULL)
            return false;
        ids->v = v;
        ids->cap = cap;
    }
    if ((ids->v[ids->n] = strdup(id)) == NULL)
        return false;
    ids->n++;
    return true;
}

/* Client i of m deletes ids i, i+m, i+2m ... A deletion is safe to repeat:
 * a second one answers NO_ENCONTRADO, which counts as done. */
static int
borrar_uno(void *ctx, unsigned i)
{
    struct limpieza *l = ctx;
    struct conexion *c;
    bool ok;

    ok = (c = destino_conexion(l->d)) != NULL && conexion_conectar(c) == RES_OK;
    if (!ok && c != NULL)
        fprintf(stderr, "inventario-stress: limpieza: %s\n", conexion_error(c));
    if (!trabajo_listo(ok))
        goto out;
    for (size_t k = i; k < l->ids.n; k += l->m) {
        enum resultado r = RES_PROTOCOLO;

        for (int t = 0; t < LIMPIEZA_INTENTOS; t++)
            if (!resultado_incierto(r = ops_eliminar(c, l->ids.v[k])))
                break;
        if (r == RES_OK)
            l->borrados[i]++;
        else if (r != RES_NO_ENCONTRADO && l->fallos[i]++ == 0)
            fprintf(stderr, "inventario-stress: limpieza: no se pudo eliminar %s: "
                    "%s%s%s\n", l->ids.v[k], resultado_codigo(r),
                    resultado_incierto(r) ? ": " : "",
                    resultado_incierto(r) ? conexion_error(c) : "");
    }
out:
    conexion_liberar(c);
    return ok ? SALIDA_OK : SALIDA_INALCANZABLE;
}

int
limpieza_prefijo(const struct destino *d, const char *prefijo,
                 const struct informe *inf, uint64_t *borrados)
{
    struct limpieza l = { .d = d };
    struct trabajo_ops ops = { borrar_uno, NULL, NULL, d->plazo_s * 2 + 10 };
    struct conexion *c;
    uint64_t fallos = 0, t0 = reloj_ns();
    enum resultado r;
    int rc = SALIDA_LOCAL;

    *borrados = 0;
    if ((c = destino_conexion(d)) == NULL)
        goto out;
    r = verif_listar_prefijo(c, prefijo, anotar, &l.ids);
    if (r != RES_OK)
        fprintf(stderr, "inventario-stress: limpieza: no se pudieron listar los "
                "productos %s*: %s %s\n", prefijo, resultado_codigo(r),
                conexion_error(c));
    conexion_liberar(c);
    if (r != RES_OK) {
        rc = SALIDA_INALCANZABLE;
        goto out;
    }
    rc = SALIDA_OK;
    if (l.ids.n == 0)
        goto out;
    l.m = l.ids.n < LIMPIEZA_CLIENTES ? (unsigned)l.ids.n : LIMPIEZA_CLIENTES;
    rc = trabajo_ejecutar(l.m, false, &ops, &l);
    for (unsigned i = 0; i < l.m; i++) {
        *borrados += l.borrados[i];
        fallos += l.fallos[i];
    }
    if (rc == SALIDA_OK && fallos > 0)
        rc = SALIDA_INALCANZABLE;
    informe_nota(inf, "limpieza: %zu productos %s*, %llu eliminados, %llu fallidos, "
                 "%.1f s", l.ids.n, prefijo, (unsigned long long)*borrados,
                 (unsigned long long)fallos, (double)(reloj_ns() - t0) / 1e9);
out:
    for (size_t k = 0; k < l.ids.n; k++)
        free(l.ids.v[k]);
    free(l.ids.v);
    return rc;
}
