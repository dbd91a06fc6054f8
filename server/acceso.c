/* acceso.c - client allow-lists, networks and TLS identities; see acceso.h. */
#include "acceso.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most identities one list holds (a file of branches). */
#define ACCESO_IDENTIDADES_MAX 100000

/* tls_server.h's rule for an identity: visible ASCII, no space, 1 to 64 bytes. */
static bool
identidad_valida(const char *p)
{
    size_t n = strlen(p);

    if (n == 0 || n > ACCESO_IDENTIDAD_MAX)
        return false;
    for (; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F)
            return false;
    return true;
}

static bool
agregar_identidad(struct acceso_lista *l, const char *nombre)
{
    char **nv, *copia;

    if (!identidad_valida(nombre) || l->nidentidades == ACCESO_IDENTIDADES_MAX)
        return false;
    if ((copia = strdup(nombre)) == NULL)
        return false;
    nv = realloc(l->identidades, (l->nidentidades + 1) * sizeof *nv);
    if (nv == NULL) {
        free(copia);
        return false;
    }
    nv[l->nidentidades++] = copia;
    l->identidades = nv;
    return true;
}

static bool
agregar_red(struct acceso_lista *l, const char *cidr)
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

bool
acceso_agregar(struct acceso_lista *l, const char *entrada)
{
    if (strncmp(entrada, "tls:", 4) == 0)
        return agregar_identidad(l, entrada + 4);
    return agregar_red(l, entrada);
}

bool
acceso_agregar_archivo(struct acceso_lista *l, const char *ruta, char *err,
                       size_t errlen)
{
    FILE *f = fopen(ruta, "r");
    char linea[512];
    unsigned num = 0;
    bool ok = true;

    if (f == NULL) {
        snprintf(err, errlen, "no se puede leer %s: %s", ruta, strerror(errno));
        return false;
    }
    while (ok && fgets(linea, sizeof linea, f) != NULL) {
        char *p = linea, *fin;

        num++;
        p += strspn(p, " \t");
        fin = p + strcspn(p, "\r\n");
        while (fin > p && (fin[-1] == ' ' || fin[-1] == '\t'))
            fin--;
        *fin = '\0';
        if (*p == '\0' || *p == '#')
            continue;
        if (!acceso_agregar(l, p)) {
            snprintf(err, errlen, "%s, línea %u: '%s' no es una red CIDR ni una "
                     "identidad tls:NOMBRE (o la lista está llena)", ruta, num, p);
            ok = false;
        }
    }
    if (ok && ferror(f)) {
        snprintf(err, errlen, "no se puede leer %s: %s", ruta, strerror(errno));
        ok = false;
    }
    fclose(f);
    return ok;
}

bool
acceso_vacia(const struct acceso_lista *l)
{
    return l->n == 0 && l->nidentidades == 0;
}

void
acceso_liberar(struct acceso_lista *l)
{
    for (size_t i = 0; i < l->nidentidades; i++)
        free(l->identidades[i]);
    free(l->identidades);
    l->identidades = NULL;
    l->nidentidades = 0;
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

    if (acceso_vacia(l))
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

bool
acceso_permite_llamada(const struct acceso_lista *l, const struct sockaddr *sa,
                       size_t salen, const char *identidad)
{
    if (acceso_permite(l, sa, salen))
        return true;
    if (identidad == NULL || identidad[0] == '\0')
        return false;
    /* Linear: the check runs per call, and a list of a few hundred
     * branches costs microseconds. */
    for (size_t i = 0; i < l->nidentidades; i++)
        if (strcmp(l->identidades[i], identidad) == 0)
            return true;
    return false;
}
