/* salida.h - the exit statuses of inventario-stress, one table for code and --help. */
#ifndef STRESS_SALIDA_H
#define STRESS_SALIDA_H

#define SALIDA_MAP(X)                                                           \
    X(SALIDA_OK,            0, "todo bien (y, con --verify, se cumplen los "     \
                               "invariantes)")                                   \
    X(SALIDA_VERIFICACION,  1, "una verificación falló: un invariante no se "   \
                               "cumple")                                         \
    X(SALIDA_USO,           2, "opciones incorrectas, o el servicio real sin "  \
                               "--contra-servicio-real")                         \
    X(SALIDA_INALCANZABLE,  3, "el servidor no responde (rpcbind, programa no "  \
                               "registrado, plazo agotado)")                     \
    X(SALIDA_LOCAL,         4, "fallo local (memoria, hilos, procesos, "        \
                               "archivos, la prueba de --db-dir, el servidor "   \
                               "propio no arrancó o no terminó bien)")           \
    X(SALIDA_ERRORES,       5, "con --fail-on-error: hubo llamadas fallidas "   \
                               "(RPC, INVALIDO, ERROR_INTERNO)")                 \
    X(SALIDA_INTERRUMPIDA,  6, "interrumpida (SIGINT o SIGTERM) sin otro fallo: " \
                               "el informe es parcial")

enum salida {
#define SALIDA_ENUM(name, code, text) name = code,
    SALIDA_MAP(SALIDA_ENUM)
#undef SALIDA_ENUM
};

#endif
