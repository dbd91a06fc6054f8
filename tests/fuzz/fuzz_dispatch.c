/* fuzz_dispatch.c - fuzz target: one RPC call message through the server's real path.
 *
 * Input: the bytes of one ONC RPC call message (header, credential,
 * verifier, arguments), as a client would put in one record.
 *
 * The path, and why: the record the server's event loop would hand to a
 * worker goes to svcx_new and svcx_run exactly as the loop and the worker
 * do (svcx.h), with the server's program configuration (versions 1 to 3,
 * dispatch_inventario) and a caller at 127.0.0.1; the reply record comes
 * back through the call's sink.  So each input goes through the server's
 * own header decoding, RPC_MISMATCH, authentication (AUTH_NONE, AUTH_SYS
 * decoded into the call's buffers, any other flavour refused), the
 * program/version lookup, dispatch_inventario (svc_getargs -> validation
 * -> handler -> SQLite store -> svc_sendreply -> svc_freeargs), and the
 * call's end.  The record layer and the sockets are fuzzed apart
 * (fuzz_recmark.c).  ESPERAR_MOVIMIENTOS answers at once: the long polls
 * are stopped (espera_stop) before the first input, as at shutdown.
 *
 * The store is a real one (store_open, synchronous=NORMAL to spare the
 * disk) in a temporary folder; it is emptied every RESET_EVERY inputs so
 * listings stay small.  A crash that needs earlier inputs' state may
 * therefore not reproduce from its one input alone: replay the run's
 * corpus in order (replay_dispatch DIR) to reproduce it.
 *
 * After each input the harness reads the server's answer and aborts if the
 * contract is broken:
 *   - a reply comes back exactly when the message starts as a call (xid,
 *     CALL, and rpcvers, or with rpcvers 2 the program, version and
 *     procedure); at most one reply; its xid is the call's; it decodes as a
 *     reply whose results decode with the procedure's own result type;
 *   - RPC_MISMATCH (2..2) for rpcvers other than 2; AUTH_ERROR where the
 *     credential or verifier does not decode;
 *   - PROG_UNAVAIL, PROG_MISMATCH (1..3), PROC_UNAVAIL and GARBAGE_ARGS
 *     exactly where the header and the arguments say so;
 *   - arguments that break docs/protocolo.md's rules answer INVALIDO, valid ones
 *     never do (but AJUSTAR's overflow and reused key), nothing answers
 *     ERROR_INTERNO, and results keep their promises (pages within the cap
 *     and in order, movements in order and of the asked product, the
 *     product asked for);
 *   - the call ends (its sink hears so) exactly once, and frees everything;
 *   - no single allocation while the call is served exceeds 4 MiB.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include "acceso.h"
#include "dispatch.h"
#include "espera.h"
#include "fuzz_alloc.h"
#include "handlers.h"
#include "inventario.h"
#include "log.h"
#include "store.h"
#include "svcx.h"
#include "uniones.h"
#include "validar.h"
#include "xdrproc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "FUZ" in the transient range; the seed corpus (make_corpus.py) uses it. */
#define FUZZ_PROG    0x46555A00u
#define MAX_RECORD   8192            /* server/main.c's MAX_RECORD */
#define RESET_EVERY  200
#define INPUT_MAX    16384
#define REPLY_MAX    (8u << 20)
#define SERVE_ALLOC_MAX ((size_t)4 << 20)

static struct {
    char                dir[256];
    char                db[300];
    struct store       *store;
    struct svcx_conf    conf;
    unsigned long       runs;
    struct acceso_lista escritura, lectura;  /* empty: everybody, as by default */
    struct servicio_info info;
} F;

/* A broken rule, or a harness failure: report it and crash (libFuzzer
 * keeps the input).  die_sys adds errno, for system calls. */
static void
die(const char *what)
{
    fprintf(stderr, "fuzz_dispatch: %s\n", what);
    abort();
}

static void
die_sys(const char *what)
{
    fprintf(stderr, "fuzz_dispatch: %s: %s\n", what, strerror(errno));
    abort();
}

/* -- set-up ------------------------------------------------------------ */

static void
remove_db(void)
{
    char p[320];

    snprintf(p, sizeof p, "%s-wal", F.db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", F.db);
    unlink(p);
    unlink(F.db);
}

static void
open_store(void)
{
    char err[512];

    remove_db();
    F.store = store_open(F.db, &(struct store_opciones){ STORE_SYNC_NORMAL, true, 0, 1 },
                         err, sizeof err);
    if (F.store == NULL) {
        fprintf(stderr, "fuzz_dispatch: %s\n", err);
        abort();
    }
    handlers_init(F.store, &F.info);
}

static void
cleanup(void)
{
    if (F.store != NULL)
        store_close(F.store);
    F.store = NULL;
    remove_db();
    rmdir(F.dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(F.dir, sizeof F.dir, "%s/inventario-fuzz-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(F.dir) == NULL)
        die_sys("mkdtemp");
    snprintf(F.db, sizeof F.db, "%s/fuzz.db", F.dir);
    atexit(cleanup);
    log_init(false);
    signal(SIGPIPE, SIG_IGN);
    F.info.arranque_ms = (uint64_t)time(NULL) * 1000;
    F.info.hilos = 1;
    open_store();
    dispatch_init(&F.escritura, &F.lectura);
    espera_stop();          /* long polls answer at once; no timer thread */
    F.conf = (struct svcx_conf){ .prog = FUZZ_PROG, .low = INVENTARIO_V1,
                                 .high = INVENTARIO_V3,
                                 .dispatch = dispatch_inventario };
    return 0;
}

/* -- the call ------------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t   len, cap;
};

struct sinkctx {
    struct buf *reply;
    int         ends;
};

static void
sink_send(void *ctx, const char *p, size_t len)
{
    struct buf *b = ((struct sinkctx *)ctx)->reply;

    if (((struct sinkctx *)ctx)->ends > 0)
        die("a reply after the call ended");
    if (b->len + len > REPLY_MAX)
        die("more than 8 MiB of reply to one call");
    if (b->cap < b->len + len) {
        b->cap = b->len + len;
        if ((b->p = realloc(b->p, b->cap)) == NULL)
            die_sys("out of memory");
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
}

static void
sink_done(void *ctx, enum svcx_result r)
{
    (void)r;
    ((struct sinkctx *)ctx)->ends++;
}

static const struct svcx_sink sink = { sink_send, sink_done };

/* Runs one record as the loop and a worker would; returns the reply bytes. */
static void
serve(const uint8_t *data, size_t size, struct buf *reply)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sinkctx ctx = { reply, 0 };
    struct svcx_call *c;
    char *rec = size > 0 ? malloc(size) : NULL;

    if (size > 0 && rec == NULL)
        die_sys("out of memory");
    if (size > 0)
        memcpy(rec, data, size);
    sin.sin_port = htons(40000);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fuzz_alloc_begin("serving one call", SERVE_ALLOC_MAX);
    c = svcx_new(&F.conf, rec, size, (struct sockaddr *)&sin, sizeof sin, &sink, &ctx);
    if (c == NULL)
        die("svcx_new");
    (void)svcx_run(c);
    (void)fuzz_alloc_end();
    if (ctx.ends != 1)
        die("the call did not end exactly once");
}

/* -- what came back ---------------------------------------------------- */

/* Splits the reply bytes into records; returns how many, the first in rec. */
static int
records(const struct buf *b, struct buf *rec)
{
    size_t pos = 0;
    int n = 0;
    bool last;

    rec->len = 0;
    while (pos < b->len) {
        uint32_t m, len;

        if (b->len - pos < 4)
            die("a reply ends inside a record marker");
        memcpy(&m, b->p + pos, 4);
        m = ntohl(m);
        len = m & 0x7FFFFFFFu;
        last = (m & 0x80000000u) != 0;
        pos += 4;
        if (b->len - pos < len)
            die("a reply ends inside a fragment");
        if (n == 0) {
            if (rec->cap < rec->len + len) {
                rec->cap = rec->len + len;
                if ((rec->p = realloc(rec->p, rec->cap)) == NULL)
                    die_sys("out of memory");
            }
            memcpy(rec->p + rec->len, b->p + pos, len);
            rec->len += len;
        }
        pos += len;
        if (last)
            n++;
    }
    if (pos != b->len || (b->len > 0 && !last))
        die("a reply ends inside a record");
    return n;
}

struct proc {
    xdrproc_t arg, res;
    rpcvers_t since;
};

static const struct proc procs[] = {
    [0]                 = { XDRPROC(xdr_void), XDRPROC(xdr_void), 1 },
    [AGREGAR_PRODUCTO]  = { XDRPROC(xdr_producto), XDRPROC(xdr_estado), 1 },
    [OBTENER_PRODUCTO]  = { XDRPROC(xdr_id_arg), XDRPROC(xdr_producto_res), 1 },
    [ACTUALIZAR_STOCK]  = { XDRPROC(xdr_stock_args), XDRPROC(xdr_estado), 1 },
    [LISTAR_PRODUCTOS]  = { XDRPROC(xdr_void), XDRPROC(xdr_lista_res), 1 },
    [ELIMINAR_PRODUCTO] = { XDRPROC(xdr_id_arg), XDRPROC(xdr_estado), 1 },
    [AJUSTAR_STOCK]     = { XDRPROC(xdr_ajustar_args), XDRPROC(xdr_producto_res), 2 },
    [MOVIMIENTOS]       = { XDRPROC(xdr_movimientos_args), XDRPROC(xdr_movimientos_res), 2 },
    [LISTAR_PAGINA]     = { XDRPROC(xdr_pagina_args), XDRPROC(xdr_pagina_res), 2 },
    [ESTADO]            = { XDRPROC(xdr_void), XDRPROC(xdr_estado_servidor), 2 },
    [ESPERAR_MOVIMIENTOS] = { XDRPROC(xdr_esperar_args), XDRPROC(xdr_movimientos_res), 3 },
};
#define NPROCS (sizeof procs / sizeof procs[0])

static bool
id_ok(const char *s)
{
    return validar_id(s, strlen(s)) == VALIDO;
}

static bool
opt_ok(const char *s)
{
    return validar_id_opcional(s, strlen(s)) == VALIDO;
}

static bool
texto_ok(const char *s)
{
    return validar_texto(s, strlen(s)) == VALIDO;
}

/* Whether the arguments keep docs/protocolo.md's rules. */
static bool
args_valid(rpcproc_t proc, const union inventario_args *a)
{
    switch (proc) {
    case AGREGAR_PRODUCTO:
        return id_ok(a->producto.id) && a->producto.stock >= 0 &&
               validar_nombre(a->producto.nombre, strlen(a->producto.nombre)) == VALIDO;
    case OBTENER_PRODUCTO:
    case ELIMINAR_PRODUCTO:
        return id_ok(a->id);
    case ACTUALIZAR_STOCK:
        return id_ok(a->stock.id) && a->stock.valor >= 0;
    case AJUSTAR_STOCK:
        return id_ok(a->ajustar.id) && texto_ok(a->ajustar.motivo) &&
               texto_ok(a->ajustar.clave);
    case MOVIMIENTOS:
        return opt_ok(a->movimientos.id);
    case LISTAR_PAGINA:
        return opt_ok(a->pagina.desde_id);
    case ESPERAR_MOVIMIENTOS:
        return opt_ok(a->esperar.id);
    default:
        return true;
    }
}

static void
check_producto(const producto *p, const char *id)
{
    if (!id_ok(p->id) ||
        validar_nombre(p->nombre, strlen(p->nombre)) != VALIDO || p->stock < 0)
        die("a product in a result breaks the contract's rules");
    if (id != NULL && strcmp(p->id, id) != 0)
        die("the product returned is not the one asked for");
}

static size_t
cap_of(u_int max)
{
    return max == 0 ? HANDLERS_PAGINA_DEFECTO
                    : max > HANDLERS_PAGINA_MAX ? HANDLERS_PAGINA_MAX : max;
}

static void
check_lista(const producto *v, u_int n, const char *after)
{
    for (u_int i = 0; i < n; i++) {
        check_producto(&v[i], NULL);
        if (strcmp(v[i].id, i == 0 ? after : v[i - 1].id) <= 0)
            die("a listing is not in id order, or starts too early");
    }
}

/* The contract's promises on one successful call's result. */
static void
check_result(rpcproc_t proc, const union inventario_args *a, const union inventario_res *r)
{
    estado e = proc == 0 ? OK : proc == ESTADO ? OK : r->e;
    bool valid = args_valid(proc, a);

    if ((int)e < OK || (int)e > STOCK_INSUFICIENTE)
        die("an estado outside the contract's enum");
    if (e == ERROR_INTERNO)
        die("ERROR_INTERNO on a healthy store: some input reached SQLite badly");
    if (!valid && e != INVALIDO)
        die("arguments that break the rules were not answered INVALIDO");
    if (valid && e == INVALIDO && proc != AJUSTAR_STOCK)
        die("valid arguments were answered INVALIDO");
    if (e != OK)
        return;
    switch (proc) {
    case OBTENER_PRODUCTO:
        check_producto(&r->producto.producto_res_u.p, a->id);
        break;
    case AJUSTAR_STOCK:
        check_producto(&r->producto.producto_res_u.p, a->ajustar.id);
        break;
    case LISTAR_PRODUCTOS:
        check_lista(r->lista.lista_res_u.productos.productos_val,
                    r->lista.lista_res_u.productos.productos_len, "");
        break;
    case LISTAR_PAGINA: {
        const pagina_ok *ok = &r->pagina.pagina_res_u.ok;

        if (ok->productos.productos_len > cap_of(a->pagina.max))
            die("a page is longer than asked for, or than the cap");
        check_lista(ok->productos.productos_val, ok->productos.productos_len,
                    a->pagina.desde_id);
        break;
    }
    case MOVIMIENTOS:
    case ESPERAR_MOVIMIENTOS: {
        const movimientos_ok *ok = &r->movimientos.movimientos_res_u.ok;
        bool w = proc == ESPERAR_MOVIMIENTOS;
        uint64_t prev = w ? a->esperar.desde_seq : a->movimientos.desde_seq;
        const char *id = w ? a->esperar.id : a->movimientos.id;

        if (ok->movimientos.movimientos_len > cap_of(w ? a->esperar.max : a->movimientos.max))
            die("more movements than asked for, or than the cap");
        for (u_int i = 0; i < ok->movimientos.movimientos_len; i++) {
            const movimiento *m = &ok->movimientos.movimientos_val[i];

            if (m->seq <= prev || m->seq > ok->ultimo_seq)
                die("movements out of order, or past ultimo_seq");
            prev = m->seq;
            if (id[0] != '\0' && strcmp(m->id, id) != 0)
                die("a movement of another product than the one asked for");
            if (m->tipo < ALTA || m->tipo > BAJA || !id_ok(m->id) ||
                strlen(m->origen) > INV_ORIGEN_MAX ||
                strncmp(m->origen, "127.0.0.1", 9) != 0)
                die("a movement breaks the contract's rules");
        }
        break;
    }
    case ESTADO:
        if (!r->estado.almacen_ok || r->estado.hilos != 1)
            die("ESTADO does not tell the truth about the harness's server");
        break;
    default:
        break;
    }
}

static void
check(const uint8_t *data, size_t size, const struct buf *reply)
{
    char credbuf[2 * MAX_AUTH_BYTES];
    struct rpc_msg call, rep;
    struct buf rec = { NULL, 0, 0 };
    union inventario_args a;
    union inventario_res r;
    const struct proc *p = NULL;
    bool call_ok, args_ok = false, ours, starts_call, other_rpcvers;
    u_int argpos = 0;
    uint32_t w[6] = { 0 };
    int n;
    XDR x;

    /* How far the message goes as a call: xid, CALL, rpcvers, and with
     * rpcvers 2 the program, version and procedure. */
    for (size_t i = 0; i < 6 && size >= 4 * (i + 1); i++) {
        memcpy(&w[i], data + 4 * i, 4);
        w[i] = ntohl(w[i]);
    }
    other_rpcvers = size >= 12 && w[1] == CALL && w[2] != 2;
    starts_call = other_rpcvers || (size >= 24 && w[1] == CALL);

    /* What the server was sent. */
    memset(&call, 0, sizeof call);
    call.rm_call.cb_cred.oa_base = credbuf;
    call.rm_call.cb_verf.oa_base = credbuf + MAX_AUTH_BYTES;
    xdrmem_create(&x, (char *)(uintptr_t)data, (u_int)size, XDR_DECODE);
    call_ok = size <= MAX_RECORD && size > 0 && xdr_callmsg(&x, &call);
    argpos = xdr_getpos(&x);
    xdr_destroy(&x);
    ours = call_ok && call.rm_call.cb_prog == FUZZ_PROG &&
           call.rm_call.cb_vers >= 1 && call.rm_call.cb_vers <= 3 &&
           call.rm_call.cb_proc < NPROCS &&
           procs[call.rm_call.cb_proc].since <= call.rm_call.cb_vers;
    memset(&a, 0, sizeof a);
    if (ours) {
        p = &procs[call.rm_call.cb_proc];
        xdrmem_create(&x, (char *)(uintptr_t)data + argpos, (u_int)(size - argpos),
                      XDR_DECODE);
        args_ok = p->arg(&x, &a, 0);
        xdr_destroy(&x);
    }

    /* What came back. */
    n = records(reply, &rec);
    if (n > 1)
        die("more than one reply to one call");
    if (n == 0) {
        if (starts_call)
            die("a message that starts as a call got no reply");
        goto out;
    }
    if (!starts_call)
        die("a message that is not a call got a reply");
    memset(&rep, 0, sizeof rep);
    memset(&r, 0, sizeof r);
    rep.acpted_rply.ar_verf = _null_auth;
    rep.acpted_rply.ar_results.where = (caddr_t)&r;
    rep.acpted_rply.ar_results.proc = ours ? p->res : XDRPROC(xdr_void);
    xdrmem_create(&x, (char *)rec.p, (u_int)rec.len, XDR_DECODE);
    if (!xdr_replymsg(&x, &rep))
        die("a reply that does not decode (as this procedure's result)");
    if (xdr_getpos(&x) != rec.len)
        die("bytes left over after a reply");
    xdr_destroy(&x);
    if (rep.rm_xid != w[0] || rep.rm_direction != REPLY)
        die("the reply's xid is not the call's");
    if (other_rpcvers) {
        if (rep.rm_reply.rp_stat != MSG_DENIED ||
            rep.rjcted_rply.rj_stat != RPC_MISMATCH ||
            rep.rjcted_rply.rj_vers.low != 2 || rep.rjcted_rply.rj_vers.high != 2)
            die("rpcvers other than 2 was not answered RPC_MISMATCH 2..2");
    } else if (!call_ok) {
        if (rep.rm_reply.rp_stat != MSG_DENIED || rep.rjcted_rply.rj_stat != AUTH_ERROR)
            die("a call whose credential does not decode was not denied AUTH_ERROR");
    } else if (rep.rm_reply.rp_stat == MSG_ACCEPTED) {
        enum accept_stat st = rep.acpted_rply.ar_stat;

        if (call.rm_call.cb_prog != FUZZ_PROG) {
            if (st != PROG_UNAVAIL)
                die("another program was not answered PROG_UNAVAIL");
        } else if (call.rm_call.cb_vers < 1 || call.rm_call.cb_vers > 3) {
            if (st != PROG_MISMATCH || rep.acpted_rply.ar_vers.low != 1 ||
                rep.acpted_rply.ar_vers.high != 3)
                die("an unknown version was not answered PROG_MISMATCH 1..3");
        } else if (!ours) {
            if (st != PROC_UNAVAIL)
                die("an unknown procedure was not answered PROC_UNAVAIL");
        } else if (!args_ok) {
            if (st != GARBAGE_ARGS)
                die("arguments that do not decode were not answered GARBAGE_ARGS");
        } else if (st != SUCCESS) {
            die("a call with good arguments was not answered SUCCESS");
        } else {
            check_result(call.rm_call.cb_proc, &a, &r);
        }
        if (st == SUCCESS && ours)
            xdr_free(p->res, (char *)&r);
        xdr_free(XDRPROC(xdr_opaque_auth), (char *)&rep.acpted_rply.ar_verf);
    } else if (call.rm_call.cb_cred.oa_flavor == AUTH_NONE) {
        die("a call with AUTH_NONE was denied");
    }
out:
    if (ours)
        xdr_free(p->arg, (char *)&a);
    free(rec.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf reply = { NULL, 0, 0 };

    /* Past the record cap the event loop closes the connection before any
     * of this runs (fuzz_recmark covers that). */
    if (size > INPUT_MAX || size > MAX_RECORD)
        return 0;
    if (++F.runs % RESET_EVERY == 0) {
        store_close(F.store);
        open_store();
    }
    serve(data, size, &reply);
    check(data, size, &reply);
    free(reply.p);
    return 0;
}
