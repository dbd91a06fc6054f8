/* mezcla.c - the operation table, and --mix; see mezcla.h. */
#include "mezcla.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *nombre;
    unsigned    version;
    bool        escribe;
} ops[OP_N] = {
#define OP_ROW(name, text, proc, vers, writes) { text, vers, writes },
    OP_MAP(OP_ROW)
#undef OP_ROW
};

const char *
op_nombre(enum op o)
{
    return (unsigned)o < OP_N ? ops[o].nombre : "?";
}

unsigned
op_version(enum op o)
{
    return (unsigned)o < OP_N ? ops[o].version : 1;
}

bool
op_escribe(enum op o)
{
    return (unsigned)o < OP_N && ops[o].escribe;
}

enum op
op_por_nombre(const char *s)
{
    for (unsigned i = 0; i < OP_N; i++)
        if (strcmp(s, ops[i].nombre) == 0)
            return (enum op)i;
    return OP_N;
}

/* One "name=weight" item of a mix. */
static bool
mezcla_item(char *item, struct mezcla *m, bool *visto, char *err, size_t errlen)
{
    char *eq = strchr(item, '='), *end;
    unsigned long v;
    enum op o;

    if (eq == NULL) {
        snprintf(err, errlen, "'%s' no tiene la forma operación=peso", item);
        return false;
    }
    *eq = '\0';
    if ((o = op_por_nombre(item)) == OP_N) {
        snprintf(err, errlen, "operación desconocida '%s'", item);
        return false;
    }
    if (visto[o]) {
        snprintf(err, errlen, "'%s' aparece dos veces", item);
        return false;
    }
    errno = 0;
    v = strtoul(eq + 1, &end, 10);
    if (eq[1] == '\0' || eq[1] == '-' || *end != '\0' || errno != 0 || v > 1000000) {
        snprintf(err, errlen, "el peso de '%s' debe ser un entero de 0 a 1000000",
                 item);
        return false;
    }
    visto[o] = true;
    m->peso[o] = (unsigned)v;
    m->total += v;
    return true;
}

bool
mezcla_parse(const char *s, struct mezcla *m, char *err, size_t errlen)
{
    bool visto[OP_N] = { false };
    char *copia = strdup(s), *save = NULL, *item;
    bool ok = false;

    memset(m, 0, sizeof *m);
    if (copia == NULL) {
        snprintf(err, errlen, "sin memoria");
        return false;
    }
    for (item = strtok_r(copia, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save))
        if (!mezcla_item(item, m, visto, err, errlen))
            goto out;
    if (m->total == 0) {
        snprintf(err, errlen, "alguna operación debe tener peso mayor que 0");
        goto out;
    }
    ok = true;
out:
    free(copia);
    return ok;
}

void
mezcla_una(struct mezcla *m, enum op o)
{
    memset(m, 0, sizeof *m);
    m->peso[o] = 1;
    m->total = 1;
}

enum op
mezcla_elegir(const struct mezcla *m, struct azar *a)
{
    uint64_t r = azar_menor(a, m->total);

    for (unsigned i = 0; i < OP_N; i++) {
        if (r < m->peso[i])
            return (enum op)i;
        r -= m->peso[i];
    }
    return OP_NULL;     /* unreachable while total is the sum of weights */
}

unsigned
mezcla_version(const struct mezcla *m)
{
    unsigned v = 1;

    for (unsigned i = 0; i < OP_N; i++)
        if (m->peso[i] > 0 && ops[i].version > v)
            v = ops[i].version;
    return v;
}

void
mezcla_texto(const struct mezcla *m, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < OP_N && off < len; i++) {
        int w;

        if (m->peso[i] == 0)
            continue;
        w = snprintf(buf + off, len - off, "%s%s=%u", off ? "," : "",
                     ops[i].nombre, m->peso[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}
