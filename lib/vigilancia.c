/* vigilancia.c - one round of following the log; see vigilancia.h. */
#include "vigilancia.h"

#include <errno.h>
#include <poll.h>

#include "conexion_privada.h"
#include "operaciones.h"

enum resultado
vigilancia_inicio(struct conexion *c, uint64_t *desde)
{
    movimientos_res res;
    enum resultado r = ops_movimientos(c, 0, "", 1, &res);

    if (r != RES_OK)
        return r;
    *desde = res.movimientos_res_u.ok.ultimo_seq;
    ops_movimientos_liberar(&res);
    return RES_OK;
}

/* Waits ms, or less if a cancel descriptor of c becomes readable
 * (RES_CANCELADO). */
static enum resultado
pausa(const struct conexion *c, unsigned ms)
{
    struct pollfd p[2];
    int fds[2], n;

    conexion_cancelar_fds(c, fds);
    p[0] = (struct pollfd){ .fd = fds[0], .events = POLLIN };
    p[1] = (struct pollfd){ .fd = fds[1], .events = POLLIN };
    do {
        n = poll(p, 2, (int)ms);
    } while (n < 0 && errno == EINTR && p[0].fd < 0 && p[1].fd < 0);
    return n > 0 ? RES_CANCELADO : RES_OK;
}

enum resultado
vigilancia_ronda(struct conexion *c, const char *id, uint64_t *desde,
                 vigilancia_fn fn, void *ctx, unsigned *n)
{
    movimientos_res res;
    const movimientos_ok *ok = &res.movimientos_res_u.ok;
    enum resultado r;

    *n = 0;
    /* The version is known once connected. */
    if ((r = conexion_conectar(c)) != RES_OK)
        return r;
    if (conexion_version(c) >= INVENTARIO_V3)
        r = ops_esperar_movimientos(c, *desde, id, 0, VIGILANCIA_ESPERA_MS, &res);
    else
        r = ops_movimientos(c, *desde, id, 0, &res);
    if (r != RES_OK)
        return r;
    for (u_int i = 0; i < ok->movimientos.movimientos_len; i++) {
        const movimiento *m = &ok->movimientos.movimientos_val[i];

        /* Only forward: a server that sent an older seq again is not
         * followed back into a loop. */
        if (m->seq <= *desde)
            continue;
        fn(ctx, m);
        *desde = m->seq;
        (*n)++;
    }
    ops_movimientos_liberar(&res);
    if (*n == 0 && conexion_version(c) < INVENTARIO_V3)
        return pausa(c, VIGILANCIA_INTERVALO_MS);
    return RES_OK;
}
