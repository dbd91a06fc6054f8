/* store_uri.c - which --db targets name a PostgreSQL database, and how a
 * URI is shown in logs; see store_backend.h.  Plain text work: built with
 * or without PostgreSQL. */
#include "store_backend.h"

#include <stdlib.h>
#include <string.h>

bool
pg_target_is_uri(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 ||
           strncmp(target, "postgres://", 11) == 0;
}

/* Appends n bytes of s to the string being built at *d. */
static void
put(char **d, const char *s, size_t n)
{
    memcpy(*d, s, n);
    *d += n;
}

char *
pg_target_shown(const char *uri)
{
    const char *auth = strstr(uri, "://"), *end, *at, *colon, *q;
    char *out = malloc(2 * strlen(uri) + 8), *d = out;   /* each '***' adds 3 at most */

    if (out == NULL)
        return NULL;
    if (auth == NULL) {
        strcpy(out, uri);
        return out;
    }
    auth += 3;
    end = auth + strcspn(auth, "/?");
    /* userinfo ends at the authority's last '@'; its password after ':'. */
    at = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    put(&d, uri, (size_t)(auth - uri));
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        put(&d, auth, (size_t)(colon - auth));
        put(&d, ":***", 4);
        auth = at;
    }
    put(&d, auth, (size_t)(end - auth));
    /* The path, then each parameter, hiding password=. */
    q = strchr(end, '?');
    put(&d, end, q ? (size_t)(q - end) : strlen(end));
    while (q != NULL) {
        const char *next = strchr(q + 1, '&');
        size_t n = next ? (size_t)(next - q) : strlen(q);

        if (strncmp(q + 1, "password=", 9) == 0) {
            put(&d, q, 10);
            put(&d, "***", 3);
        } else {
            put(&d, q, n);
        }
        q = next;
    }
    *d = '\0';
    return out;
}

