/* mezcla.h - the operations the tool can send, and --mix.
 *
 * One X-macro table names every operation (as --mix and the reports spell
 * it), its procedure number, the first protocol version that has it and
 * whether it writes.  How a call ends is the client library's enum
 * resultado (lib/resultado.h), the same for the tool and the client.
 */
#ifndef STRESS_MEZCLA_H
#define STRESS_MEZCLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/*  name            text           proc vers writes */
#define OP_MAP(X)                                             \
    X(OP_NULL,        "null",        0,   1,   false)         \
    X(OP_AGREGAR,     "agregar",     1,   1,   true)          \
    X(OP_OBTENER,     "obtener",     2,   1,   false)         \
    X(OP_ACTUALIZAR,  "actualizar",  3,   1,   true)          \
    X(OP_LISTAR,      "listar",      4,   1,   false)         \
    X(OP_ELIMINAR,    "eliminar",    5,   1,   true)          \
    X(OP_AJUSTAR,     "ajustar",     6,   2,   true)          \
    X(OP_MOVIMIENTOS, "movimientos", 7,   2,   false)         \
    X(OP_PAGINA,      "pagina",      8,   2,   false)         \
    X(OP_ESTADO,      "estado",      9,   2,   false)

enum op {
#define OP_ENUM(name, text, proc, vers, writes) name,
    OP_MAP(OP_ENUM)
#undef OP_ENUM
    OP_N
};

const char *op_nombre(enum op o);
unsigned    op_version(enum op o);
bool        op_escribe(enum op o);
/* The op named s, or OP_N if none is. */
enum op     op_por_nombre(const char *s);

/* Relative weights of each operation.  A weight of 0 leaves it out. */
struct mezcla {
    unsigned peso[OP_N];
    uint64_t total;
};

/* Parses "obtener=60,actualizar=20,...": every name known, every weight an
 * integer 0..1000000, at least one weight positive, no name twice.  On
 * error returns false and writes a Spanish reason to err. */
bool mezcla_parse(const char *s, struct mezcla *m, char *err, size_t errlen);

/* A mix of one operation. */
void mezcla_una(struct mezcla *m, enum op o);

/* A random operation, with probability weight/total. */
enum op mezcla_elegir(const struct mezcla *m, struct azar *a);

/* The highest protocol version any operation with weight > 0 needs. */
unsigned mezcla_version(const struct mezcla *m);

/* "obtener=60,actualizar=20" into buf. */
void mezcla_texto(const struct mezcla *m, char *buf, size_t len);

#endif
