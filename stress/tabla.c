/* tabla.c - id -> log state hash table; see tabla.h. */
#include "tabla.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct celda {
    char              *id;      /* NULL: empty */
    struct tabla_valor v;
};

struct tabla {
    struct celda *c;
    size_t        cap, n;       /* cap is a power of two */
};

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;        /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct tabla *
tabla_nueva(void)
{
    struct tabla *t = xcalloc(1, sizeof *t, "la tabla de ids");

    if (t == NULL)
        return NULL;
    t->cap = 1024;
    if ((t->c = xcalloc(t->cap, sizeof *t->c, "la tabla de ids")) == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void
tabla_libre(struct tabla *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->c[i].id);
    free(t->c);
    free(t);
}

static struct celda *
hueco(struct celda *c, size_t cap, const char *id)
{
    size_t i = (size_t)hash(id) & (cap - 1);

    while (c[i].id != NULL && strcmp(c[i].id, id) != 0)
        i = (i + 1) & (cap - 1);
    return &c[i];
}

static bool
crecer(struct tabla *t)
{
    size_t cap = t->cap * 2;
    struct celda *c = xcalloc(cap, sizeof *c, "la tabla de ids");

    if (c == NULL)
        return false;
    for (size_t i = 0; i < t->cap; i++)
        if (t->c[i].id != NULL)
            *hueco(c, cap, t->c[i].id) = t->c[i];
    free(t->c);
    t->c = c;
    t->cap = cap;
    return true;
}

struct tabla_valor *
tabla_entrada(struct tabla *t, const char *id)
{
    struct celda *c;

    if ((t->n + 1) * 10 > t->cap * 7 && !crecer(t))
        return NULL;
    c = hueco(t->c, t->cap, id);
    if (c->id == NULL) {
        if ((c->id = strdup(id)) == NULL)
            return NULL;
        c->v = (struct tabla_valor){ false, 0 };
        t->n++;
    }
    return &c->v;
}

struct tabla_valor *
tabla_buscar(const struct tabla *t, const char *id)
{
    struct celda *c = hueco(t->c, t->cap, id);

    return c->id != NULL ? &c->v : NULL;
}
