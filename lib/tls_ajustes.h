/* tls_ajustes.h - the client programs' TLS settings: --tls and its files, or the environment.
 *
 * inventario-client and inventario-stress take the same four options,
 * --tls, --tls-cert, --tls-key and --tls-ca, and the same environment
 * variables, INVENTARIO_TLS (1, si or yes: on), INVENTARIO_TLS_CERT,
 * INVENTARIO_TLS_KEY and INVENTARIO_TLS_CA, which the options override.
 * With TLS on, the three files are required and every connection uses
 * RPC-with-TLS or fails (conexion_opts.tls); a file option without TLS on
 * is a mistake the programs report, so that nobody believes a connection
 * is protected when it is not.
 */
#ifndef INVENTARIO_LIB_TLS_AJUSTES_H
#define INVENTARIO_LIB_TLS_AJUSTES_H

#include <stdbool.h>
#include <stddef.h>

struct tls_client;

struct tls_ajustes {
    bool        activo;
    const char *cert, *key, *ca;
    bool        archivo_en_opcion;  /* a --tls-* file option was given */
};

/* Starts from the environment (the variables above). */
void tls_ajustes_entorno(struct tls_ajustes *t);

/* The option's help lines, for --help. */
#define TLS_AJUSTES_AYUDA                                                      \
"      --tls            RPC con TLS (RFC 9289): cifrado, y el servidor\n"      \
"                       comprobado con la CA; nunca se habla en claro: si el\n"\
"                       servidor no ofrece TLS, falla y dice por qué\n"        \
"                       (también INVENTARIO_TLS=1)\n"                          \
"      --tls-cert=ARCHIVO  el certificado de esta sucursal (PEM; también\n"   \
"                       INVENTARIO_TLS_CERT)\n"                                \
"      --tls-key=ARCHIVO   su clave privada (PEM; INVENTARIO_TLS_KEY)\n"      \
"      --tls-ca=ARCHIVO    la CA que firmó el certificado del servidor (PEM;\n"\
"                       INVENTARIO_TLS_CA)\n"

/*
 * After the options: *out gets the loaded credentials (NULL when TLS is
 * off) and true; or false with a Spanish sentence in err: a file option
 * without --tls, a file missing from the settings, or one that cannot be
 * loaded.  The caller frees *out with tls_client_free.
 */
bool tls_ajustes_cargar(const struct tls_ajustes *t, struct tls_client **out,
                        char *err, size_t errlen);

#endif
