/* verificar.h - the verification modes (--verify) and what they share.
 *
 * Each mode runs N clients that record what they sent and what the server
 * acknowledged, then reads the server's final state on a fresh connection
 * and checks an invariant against those records:
 *
 *   disjoint  every client writes only its own ids and checks every answer
 *             against its own model as it goes; at the end each id holds
 *             its owner's last acknowledged value, none lost, none extra.
 *   churn     clients add, update and delete the same few ids at once; the
 *             final state of each id must be the effect of an operation
 *             that could have been the last one (see verif_churn.c), and no
 *             id exists that nobody added.
 *   counter   clients apply AJUSTAR_STOCK deltas to the same few products;
 *             the final stock is the initial one plus exactly the applied
 *             deltas, each acknowledged adjustment is in the movement log
 *             exactly once, and the log chains with no gaps (verif_contador.c).
 *
 * Every id a mode creates starts with a prefix that is new for each run
 * (or --prefix), so runs on the same server never see each other.
 *
 * Hook: if the environment variable INVENTARIO_STRESS_ANTES_DE_VERIFICAR
 * is set, it is run with /bin/sh after the load has stopped and before the
 * final state is read, with STRESS_PREFIJO set to the run's prefix.  The
 * tests use it to break an invariant behind the tool's back and check that
 * the verification notices; an operator may restart the server there and
 * check that nothing was lost.  Not in --help (the man page has it).
 */
#ifndef STRESS_VERIFICAR_H
#define STRESS_VERIFICAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "destino.h"
#include "informe.h"
#include "validar.h"

/* Violations printed to stderr and kept in the JSON, at most. */
#define VERIF_DETALLES_MAX 20
/* Attempts of each idempotent read of the final check. */
#define VERIF_INTENTOS_LECTURA 5

/* The outcome of one verification. */
struct verif {
    const char *modo;
    uint64_t    violaciones;
    uint64_t    inciertas;      /* calls whose outcome was never known */
    json_t     *detalles;       /* the first violations, as text */
    json_t     *datos;          /* the mode's own figures */
    json_t     *productos;      /* expected and final value per product */
};

bool verif_init(struct verif *v, const char *modo);
/* Counts a broken invariant; the first ones go to stderr and the JSON. */
void verif_violacion(struct verif *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A figure of the mode, for the text summary and the JSON. */
void verif_dato(struct verif *v, const char *clave, int64_t valor);
/* One product's expected and final value, with how the expectation was
 * reached ('como', in Spanish); shown as a table, marked where they differ
 * (the mode also reports that as a violation). */
void verif_producto(struct verif *v, const char *id, int64_t esperado, int64_t final,
                    const char *como);
/* Prints the summary, adds "verificacion" to the JSON and frees v.  'rc'
 * is how the run and the final check went (SALIDA_OK if the check was
 * completed).  Returns SALIDA_VERIFICACION if anything was violated (a
 * broken invariant outranks any other trouble), else rc. */
int verif_fin(struct verif *v, struct informe *inf, int rc);

/* Runs the test hook, if there is one (see above). */
void verif_gancho(const char *prefijo, const struct informe *inf);

/* Calls fn for every product whose id starts with prefijo, in id order,
 * paging with LISTAR_PAGINA (c must be version 2).  RES_OK, or how the
 * listing failed after VERIF_INTENTOS_LECTURA attempts at one page;
 * RES_PROTOCOLO if a page does not move past the id before it. */
typedef bool (*verif_visita)(void *ctx, const char *id, const char *nombre,
                             int32_t stock);
enum resultado verif_listar_prefijo(struct conexion *c, const char *prefijo,
                              verif_visita fn, void *ctx);

/* A growable array of fixed-size records that a forked client can hand back
 * (verif_registro_guardar/cargar). */
struct verif_registro {
    void  *v;
    size_t n, cap, tam;
};

void  verif_registro_init(struct verif_registro *r, size_t tam);
/* A zeroed record at the end, or NULL if out of memory. */
void *verif_registro_nuevo(struct verif_registro *r);
void  verif_registro_libre(struct verif_registro *r);
bool  verif_registro_guardar(const struct verif_registro *r, int fd);
bool  verif_registro_cargar(struct verif_registro *r, int fd);

/* A call timed into e: t = verif_t0(); r = ops_x(...); verif_t1(e, op, r, t). */
uint64_t verif_t0(void);
void     verif_t1(struct estad *e, enum op op, enum resultado r, uint64_t t0);

/* Violations a client finds while the load runs, kept as plain data so a
 * forked client can return them; verif_notas_volcar adds them to v. */
#define VERIF_NOTAS_MAX 4
struct verif_notas {
    uint64_t n;
    char     texto[VERIF_NOTAS_MAX][240];
};
void verif_nota(struct verif_notas *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void verif_notas_volcar(struct verif *v, const struct verif_notas *n);

/* When a client stops: at the run's deadline or after its share of --ops. */
struct verif_ritmo {
    uint64_t fin;
    bool     limitado;
    uint64_t objetivo, hechas;
};
/* Starts client i of n's clock now. */
void verif_ritmo_init(struct verif_ritmo *r, const struct config *c, unsigned i,
                      unsigned n);
/* True if the client may make one more call (and counts it). */
bool verif_ritmo_sigue(struct verif_ritmo *r);

/* The modes. */
int verif_disjunto(const struct config *c, struct informe *inf);
int verif_churn(const struct config *c, struct informe *inf);
int verif_contador(const struct config *c, struct informe *inf);

/* The table and JSON of the load a verification ran. */
void verif_informe_carga(struct informe *inf, const char *modo, unsigned clientes,
                         const struct estad *e);

#endif
