/* operaciones.h - the operations the tool can send, how a call can end, and --mix.
 *
 * One X-macro table names every operation (as --mix and the reports spell
 * it), its procedure number, the first protocol version that has it and
 * whether it writes; another names every way a call can end: one of the
 * contract's `estado` values, or an RPC failure.  Both enums and their
 * strings come from those tables, so they cannot drift apart.
 */
#ifndef STRESS_OPERACIONES_H
#define STRESS_OPERACIONES_H

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

/* The first six are the contract's `estado`, same values, same order.
 * RES_RECHAZADA: the server answered the call with an RPC-level refusal
 * (authentication, as its --allow-write lists answer; version or procedure
 * unavailable; arguments it could not decode), so it certainly did not run
 * it.  The last three leave the call's fate unknown. */
#define RES_MAP(X)                                                        \
    X(RES_OK,                 "OK")                                       \
    X(RES_YA_EXISTE,          "YA_EXISTE")                                \
    X(RES_NO_ENCONTRADO,      "NO_ENCONTRADO")                            \
    X(RES_INVALIDO,           "INVALIDO")                                 \
    X(RES_ERROR_INTERNO,      "ERROR_INTERNO")                            \
    X(RES_STOCK_INSUFICIENTE, "STOCK_INSUFICIENTE")                       \
    X(RES_RECHAZADA,          "RPC_RECHAZADA") /* refused, not run */     \
    X(RES_TIMEOUT,            "RPC_TIMEOUT")   /* no answer in time */    \
    X(RES_CONEXION,           "RPC_CONEXION")  /* connect/send/recv */    \
    X(RES_RPC,                "RPC_OTRO")      /* any other RPC error */

enum res {
#define RES_ENUM(name, text) name,
    RES_MAP(RES_ENUM)
#undef RES_ENUM
    RES_N
};

const char *op_nombre(enum op o);
unsigned    op_version(enum op o);
bool        op_escribe(enum op o);
/* The op named s, or OP_N if none is. */
enum op     op_por_nombre(const char *s);

const char *res_nombre(enum res r);
/* True if the call may or may not have been applied (no answer, or an
 * RPC failure that does not say). */
bool        res_incierto(enum res r);
/* True for the estado values, i.e. the server answered. */
bool        res_respondida(enum res r);

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
