/* acceso.c - client network allow-lists; see acceso.h. */
#include "acceso.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

bool
acceso_agregar(struct acceso_lista *l, const char *cidr)
{
    struct acceso_red r;
    char buf[INET6_ADDRSTRLEN + 8];
    char *slash, *end;
    unsigned max;

    if (l->n == ACCESO_MAX || strlen(cidr) >= sizeof buf)
        return false;
    strcpy(buf, cidr);
    memset(&r, 0, sizeof r);
    slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, r.addr) == 1) {
        r.family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, r.addr) == 1) {
        r.family = AF_INET6;
        max = 128;
    } else {
        return false;
    }
    r.prefix = max;
    if (slash != NULL) {
        unsigned long v;

        errno = 0;
        v = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || errno != 0 || v > max)
            return false;
        r.prefix = (unsigned)v;
    }
    l->redes[l->n++] = r;
    return true;
}

/* True if the first 'prefix' bits of a and b agree. */
static bool
same_prefix(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned bytes = prefix / 8, bits = prefix % 8;

    if (memcmp(a, b, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    return ((a[bytes] ^ b[bytes]) & (0xFFu << (8 - bits))) == 0;
}

bool
acceso_permite(const struct acceso_lista *l, const struct sockaddr *sa,
               size_t salen)
{
    const unsigned char *addr;
    unsigned char mapped[4];
    sa_family_t family;

    if (l->n == 0)
        return true;
    if (sa == NULL)
        return false;
    family = sa->sa_family;
    if (family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
        addr = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
    } else if (family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

        addr = a6->s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {     /* ::ffff:a.b.c.d is IPv4 a.b.c.d */
            memcpy(mapped, a6->s6_addr + 12, 4);
            addr = mapped;
            family = AF_INET;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->redes[i].family == family &&
            same_prefix(addr, l->redes[i].addr, l->redes[i].prefix))
            return true;
    return false;
}
