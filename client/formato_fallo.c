/* formato_fallo.c - the sentences that explain a failure (formato.h's formato_fallo*).
 *
 * Apart from formato.c, which draws text, so that each file stays about
 * one concern: what went wrong, said once, naming only causes that apply. */
#include <stdio.h>

#include "formato.h"

void
formato_fallo(char *buf, size_t n, enum resultado r, enum operacion op,
              const char *id, const struct conexion *c)
{
    formato_fallo_causa(buf, n, r, op, id, CAUSA_DESCONOCIDA, conexion_error(c));
}

/* INVALIDO from AJUSTAR_STOCK: the fields were checked here first, so
 * only the causes the client cannot check by itself are left. */
static void
fallo_ajuste_invalido(char *buf, size_t n, const char *id, enum causa causa)
{
    switch (causa) {
    case CAUSA_DESBORDA:
        snprintf(buf, n, "El servidor rechazó el ajuste de %s: el stock pasaría "
                 "de 2147483647, el máximo. No se cambió nada.", id);
        break;
    case CAUSA_CLAVE_USADA:
        snprintf(buf, n, "El servidor rechazó el ajuste de %s: esa clave ya se "
                 "usó en un ajuste distinto (de otro producto o de otra "
                 "cantidad). Use otra clave. No se cambió nada.", id);
        break;
    default:
        snprintf(buf, n, "El servidor rechazó el ajuste de %s: el stock pasaría "
                 "de 2147483647, o la clave ya se usó en un ajuste distinto "
                 "(no se pudo averiguar cuál de las dos). No se cambió nada.", id);
        break;
    }
}

void
formato_fallo_causa(char *buf, size_t n, enum resultado r, enum operacion op,
                    const char *id, enum causa causa, const char *t)
{
    if (id == NULL)
        id = "";
    if (t[0] != '\0') {             /* the transport failed, not the server */
        snprintf(buf, n, "%s", t);
        return;
    }
    switch (r) {
    case RES_NO_ENCONTRADO:
        snprintf(buf, n, "No existe ningún producto con id %s.", id);
        break;
    case RES_YA_EXISTE:
        snprintf(buf, n, "Ya existe un producto con id %s.", id);
        break;
    case RES_STOCK_INSUFICIENTE:
        snprintf(buf, n, "No hay stock suficiente de %s para ese ajuste: el "
                 "stock no puede quedar por debajo de cero. No se cambió nada.", id);
        break;
    case RES_INVALIDO:
        if (op == OP_AJUSTAR)
            fallo_ajuste_invalido(buf, n, id, causa);
        else
            snprintf(buf, n, "El servidor rechazó los datos: no cumplen sus "
                     "reglas (quizá más estrictas que las de este cliente). No "
                     "se cambió nada.");
        break;
    case RES_ERROR_INTERNO:
        if (causa == CAUSA_ALMACEN_CAIDO)
            snprintf(buf, n, "El servidor ha perdido su base de datos (su estado "
                     "dice que el almacén no responde: conexión perdida, archivo "
                     "borrado o disco inaccesible). No se cambió nada; revise el "
                     "registro del servidor.");
        else
            snprintf(buf, n, "El servidor no pudo completar la operación porque "
                     "falló su almacén (disco lleno, solo lectura, base de datos "
                     "dañada o conexión con ella perdida). No se cambió nada.");
        break;
    default:
        snprintf(buf, n, "La operación no se completó (%s).", resultado_codigo(r));
        break;
    }
}

