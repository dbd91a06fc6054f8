/* acceso.h - which clients may write, and which may read: networks and TLS identities.
 *
 * An allow-list of networks in CIDR form ("192.168.1.0/24", "::1/128", or a
 * bare address for one host) and of TLS identities ("tls:sucursal-norte":
 * the name a client's certificate proves, see tls_server.h).  The server checks
 * each call's caller against it before decoding the arguments.  The
 * address is the TCP peer's, which a client cannot forge on an established
 * connection, and the identity is proven by the TLS handshake; AUTH_SYS
 * names and uids, by contrast, are only asserted by the client and are
 * never used to decide anything here.
 */
#ifndef INVENTARIO_ACCESO_H
#define INVENTARIO_ACCESO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define ACCESO_MAX 32

struct acceso_red {
    sa_family_t   family;
    unsigned char addr[16];
    unsigned      prefix;
};

/* The longest identity (tls_server.h's TLS_IDENTITY_MAX). */
#define ACCESO_IDENTIDAD_MAX 64

/* An empty list (no network, no identity) allows everybody.  Zeroed
 * storage is an empty list. */
struct acceso_lista {
    struct acceso_red redes[ACCESO_MAX];
    size_t            n;
    char            **identidades;      /* malloc'd, nidentidades of them */
    size_t            nidentidades;
};

/* Adds "ADDR", "ADDR/PREFIX" or "tls:NAME" (NAME: 1 to 64 visible ASCII
 * characters) to the list.  False if it does not parse, the prefix is out
 * of range, the networks are full (ACCESO_MAX) or memory ran out. */
bool acceso_agregar(struct acceso_lista *l, const char *entrada);

/* Adds every entry of a file, one per line as acceso_agregar takes them;
 * blank lines and lines starting with '#' are skipped, and so are spaces
 * around an entry.  False with a Spanish sentence in err (naming the line)
 * if the file cannot be read or a line is not an entry. */
bool acceso_agregar_archivo(struct acceso_lista *l, const char *ruta, char *err,
                            size_t errlen);

/* True if the list has no network and no identity. */
bool acceso_vacia(const struct acceso_lista *l);

/* True if the list is empty or sa falls in one of its networks. */
bool acceso_permite(const struct acceso_lista *l, const struct sockaddr *sa,
                    size_t salen);

/* True if the list is empty, sa falls in one of its networks, or the
 * caller's TLS identity (NULL or "" on a connection without TLS) is one of
 * its identities. */
bool acceso_permite_llamada(const struct acceso_lista *l, const struct sockaddr *sa,
                            size_t salen, const char *identidad);

/* Frees the identities; the list is then empty of them. */
void acceso_liberar(struct acceso_lista *l);

#endif
