/* tls_config.h - the server's RPC-with-TLS options: --tls, --tls-cert, --tls-key, --tls-ca, --tls-crl.
 *
 * main passes each of these options here (TLS_CONFIG_LONGOPTS go in its
 * getopt_long table), checks them together after the command line with
 * tls_config_check, and loads the files with tls_config_start before the
 * loop runs: that gives the transport its credentials (conn_tls.h) and the
 * dispatch its policy (dispatch_tls_required).  TLS is off unless a
 * certificate is configured, and then optional unless --tls says otherwise.
 */
#ifndef INVENTARIO_TLS_CONFIG_H
#define INVENTARIO_TLS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "tls_server.h"

enum tls_mode { TLS_MODE_OFF, TLS_MODE_OPTIONAL, TLS_MODE_REQUIRED };

struct tls_config {
    enum tls_mode      mode;
    bool               mode_given;  /* --tls was given */
    struct tls_files   files;
    struct tls_server *srv;         /* loaded by tls_config_start */
};

/* getopt codes of the options, above anything main uses. */
enum { TLS_OPT_MODE = 0x1000, TLS_OPT_CERT, TLS_OPT_KEY, TLS_OPT_CA, TLS_OPT_CRL };

#define TLS_CONFIG_LONGOPTS                                                  \
    { "tls",      required_argument, NULL, TLS_OPT_MODE },                   \
    { "tls-cert", required_argument, NULL, TLS_OPT_CERT },                   \
    { "tls-key",  required_argument, NULL, TLS_OPT_KEY },                    \
    { "tls-ca",   required_argument, NULL, TLS_OPT_CA },                     \
    { "tls-crl",  required_argument, NULL, TLS_OPT_CRL }

#define TLS_CONFIG_HELP                                                       \
"      --tls=MODO         RPC con TLS (RFC 9289) en el mismo puerto: off,\n"  \
"                         optional (cada cliente elige; por omisión si hay\n" \
"                         certificado) o required (las llamadas sin TLS se\n" \
"                         rechazan con un error de autenticación, salvo\n"    \
"                         NULL, así que rpcinfo -t sigue contestando); sin\n" \
"                         certificado, off\n"                                 \
"      --tls-cert=ARCHIVO el certificado del servidor (PEM)\n"               \
"      --tls-key=ARCHIVO  su clave privada (PEM)\n"                           \
"      --tls-ca=ARCHIVO   la CA que firma los certificados de las sucursales\n"\
"                         (PEM): sin uno suyo, vigente, ningún cliente pasa\n" \
"                         del saludo TLS\n"                                   \
"      --tls-crl=ARCHIVO  los certificados revocados (CRL en PEM)\n"

void tls_config_init(struct tls_config *t);

/* One option: true if opt is one of TLS_OPT_*, stored; false otherwise.
 * A --tls that is not off, optional or required is misuse: false with the
 * sentence in err and *misuse set. */
bool tls_config_option(struct tls_config *t, int opt, const char *arg, bool *misuse,
                       char *err, size_t errlen);

/* After the command line: false, with the sentence in err, if the options
 * do not fit together (--tls optional or required without the three files,
 * a file without the others).  Decides the mode. */
bool tls_config_check(struct tls_config *t, char *err, size_t errlen);

/* Loads the files and hands them to the transport and the dispatch; false
 * with the sentence in err if a file cannot be loaded.  Nothing to do when
 * TLS is off. */
bool tls_config_start(struct tls_config *t, char *err, size_t errlen);

/* After the loop has stopped and every connection is closed. */
void tls_config_stop(struct tls_config *t);

#endif
