/* resultado.c - outcomes, exit statuses, their names and sentences; see resultado.h. */
#include "resultado.h"

static const struct {
    const char *codigo;
    bool        incierto;
    const char *frase;
} tabla[] = {
#define RESULTADO_FILA(name, code, incierto, frase) { code, incierto, frase },
    RESULTADO_MAP(RESULTADO_FILA)
#undef RESULTADO_FILA
};

_Static_assert(sizeof tabla / sizeof tabla[0] == RES_CUANTOS,
               "one row per outcome");

const char *
resultado_codigo(enum resultado r)
{
    return (unsigned)r < RES_CUANTOS ? tabla[r].codigo : "ERROR_INTERNO";
}

const char *
resultado_frase(enum resultado r)
{
    return (unsigned)r < RES_CUANTOS ? tabla[r].frase : tabla[RES_ERROR_INTERNO].frase;
}

int
resultado_salida(enum resultado r)
{
    /* Ctrl-C: what shells expect of a program SIGINT stopped (128 + 2). */
    if (r == RES_CANCELADO)
        return 130;
    return (unsigned)r < RES_CUANTOS ? (int)r : (int)RES_ERROR_INTERNO;
}

void
resultado_ayuda(FILE *f)
{
    /* In exit-status order: RES_CANCELADO's 130 goes last. */
    for (unsigned i = 0; i < RES_CUANTOS; i++)
        if (i != RES_CANCELADO)
            fprintf(f, "  %d  %s\n", resultado_salida((enum resultado)i), tabla[i].frase);
    fprintf(f, "  %d  %s\n", resultado_salida(RES_CANCELADO), tabla[RES_CANCELADO].frase);
}

bool
resultado_incierto(enum resultado r)
{
    return (unsigned)r < RES_CUANTOS && tabla[r].incierto;
}

bool
resultado_de_servidor(enum resultado r)
{
    switch (r) {
    case RES_OK:
    case RES_YA_EXISTE:
    case RES_NO_ENCONTRADO:
    case RES_INVALIDO:
    case RES_ERROR_INTERNO:
    case RES_STOCK_INSUFICIENTE:
        return true;
    default:
        return false;
    }
}

enum resultado
resultado_de_estado(estado e)
{
    switch (e) {
    case OK:                 return RES_OK;
    case YA_EXISTE:          return RES_YA_EXISTE;
    case NO_ENCONTRADO:      return RES_NO_ENCONTRADO;
    case INVALIDO:           return RES_INVALIDO;
    case ERROR_INTERNO:      return RES_ERROR_INTERNO;
    case STOCK_INSUFICIENTE: return RES_STOCK_INSUFICIENTE;
    }
    return RES_PROTOCOLO;
}
