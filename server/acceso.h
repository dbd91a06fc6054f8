/* acceso.h - which client networks may write, and which may read.
 *
 * An allow-list of networks in CIDR form ("192.168.1.0/24", "::1/128", or a
 * bare address for one host).  The server checks the caller's address of
 * each call against it before decoding the arguments.  The address is the
 * TCP peer's, which a client cannot forge on an established connection;
 * AUTH_SYS names and uids, by contrast, are only asserted by the client and
 * are never used to decide anything here.
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

/* An empty list allows everybody. */
struct acceso_lista {
    struct acceso_red redes[ACCESO_MAX];
    size_t            n;
};

/* Adds "ADDR" or "ADDR/PREFIX" to the list.  False if it does not parse,
 * the prefix is out of range, or the list is full. */
bool acceso_agregar(struct acceso_lista *l, const char *cidr);

/* True if the list is empty or sa falls in one of its networks. */
bool acceso_permite(const struct acceso_lista *l, const struct sockaddr *sa,
                    size_t salen);

#endif
