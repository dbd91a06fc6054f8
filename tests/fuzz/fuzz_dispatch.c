/* fuzz_dispatch.c - fuzz target: one RPC call message through the server's real path.
 *
 * Input: the bytes of one ONC RPC call message (header, credential,
 * verifier, arguments), as a client would put in one record.
 *
 * The transport, and why: the server's own listener code (rpcreg_listen on
 * 127.0.0.1, port 0, with RPC_SVC_CONNMAXREC_SET at the server's 8192 bytes)
 * accepts a real loopback TCP connection through svc_getreq_common on the
 * listener, exactly as the poller does; the harness writes the input as one
 * record and runs svc_getreq_common on the connection, exactly as a worker
 * does.  So each input goes through libtirpc's non-blocking record layer
 * (xdrrec with its size cap), xdr_callmsg, _authenticate (AUTH_NONE,
 * AUTH_SYS and whatever flavour the bytes name), the program/version
 * lookup, our dispatch_inventario (svc_getargs -> validation -> handler ->
 * SQLite store -> svc_sendreply -> svc_freeargs) and the transport's
 * teardown.  svc_raw_create() was the other choice, and a worse one: it
 * skips the record layer, has no caller address (so make_origen and the
 * allow-lists never see one) and never destroys a transport.  The program
 * number is registered in this process only (svc_reg with no netconfig):
 * rpcbind never hears of it.
 *
 * The store is a real one (store_open, synchronous=NORMAL to spare the
 * disk) in a temporary folder; it is emptied every RESET_EVERY inputs so
 * listings stay small.  A crash that needs earlier inputs' state may
 * therefore not reproduce from its one input alone: replay the run's
 * corpus in order (replay_dispatch DIR) to reproduce it.
 *
 * After each input the harness reads the server's answer and aborts if the
 * contract is broken:
 *   - the message parses as a call (xdr_callmsg) exactly when a reply comes
 *     back; at most one reply; its xid is the call's; it decodes as a reply
 *     whose results decode with the procedure's own result type;
 *   - PROG_UNAVAIL, PROG_MISMATCH (1..2), PROC_UNAVAIL and GARBAGE_ARGS
 *     exactly where the header and the arguments say so;
 *   - arguments that break docs/protocolo.md's rules answer INVALIDO, valid ones
 *     never do (but AJUSTAR's overflow and reused key), nothing answers
 *     ERROR_INTERNO, and results keep their promises (pages within the cap
 *     and in order, movements in order and of the asked product, the
 *     product asked for);
 *   - the server's transport is gone once the client has gone (no fd left);
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
#include <rpc/rpc_com.h>

#include "acceso.h"
#include "dispatch.h"
#include "fuzz_alloc.h"
#include "handlers.h"
#include "inventario.h"
#include "log.h"
#include "rpcreg.h"
#include "store.h"
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
    SVCXPRT            *listener;
    int                 lfd;
    unsigned            port;
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
    static const rpcvers_t vers[] = { INVENTARIO_V1, INVENTARIO_V2 };
    const char *tmp = getenv("TMPDIR");
    int maxrec = MAX_RECORD;
    char err[512];

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
    if (!rpc_control(RPC_SVC_CONNMAXREC_SET, &maxrec))
        die("RPC_SVC_CONNMAXREC_SET");
    /* announce=false: svc_reg without a netconfig, rpcbind is never told. */
    F.listener = rpcreg_listen("127.0.0.1", 0, FUZZ_PROG, vers, 2,
                               dispatch_inventario, false, err, sizeof err);
    if (F.listener == NULL) {
        fprintf(stderr, "fuzz_dispatch: %s\n", err);
        abort();
    }
    F.lfd = F.listener->xp_fd;
    F.port = rpcreg_port(F.lfd);
    return 0;
}

/* -- the connection ---------------------------------------------------- */

static bool
registered(int fd)
{
    for (int i = 0; i < svc_max_pollfd; i++)
        if (svc_pollfd[i].fd == fd)
            return true;
    return false;
}

/* The one connection transport libtirpc holds (each input's is gone before
 * the next starts), or -1. */
static int
connection_fd(void)
{
    int found = -1;

    for (int i = 0; i < svc_max_pollfd; i++) {
        int fd = svc_pollfd[i].fd;

        if (fd < 0 || fd == F.lfd)
            continue;
        if (found >= 0)
            die("more than one connection transport alive: one was not destroyed");
        found = fd;
    }
    return found;
}

struct buf {
    uint8_t *p;
    size_t   len, cap;
};

/* Appends what the socket has now (flags MSG_DONTWAIT) or until EOF. */
static void
drain(int s, struct buf *b, int flags)
{
    for (;;) {
        ssize_t n;

        if (b->len == b->cap) {
            if (b->cap >= REPLY_MAX)
                die("more than 8 MiB of reply to one call");
            b->cap = b->cap ? 2 * b->cap : 65536;
            if ((b->p = realloc(b->p, b->cap)) == NULL)
                die_sys("out of memory");
        }
        n = recv(s, b->p + b->len, b->cap - b->len, flags);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        b->len += (size_t)n;
    }
}

static void
write_all(int s, const void *p, size_t len)
{
    const uint8_t *c = p;

    while (len > 0) {
        ssize_t n = send(s, c, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;             /* the server cut us off: fine */
        }
        c += n;
        len -= (size_t)n;
    }
}

/* Runs one record through a fresh connection; returns the reply bytes. */
static void
serve(const uint8_t *data, size_t size, struct buf *reply)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct linger rst = { 1, 0 };
    struct timeval tv = { 5, 0 };
    uint32_t mark = htonl(0x80000000u | (uint32_t)size);
    int s, fd, round;

    sin.sin_port = htons((uint16_t)F.port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        die_sys("socket");
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* libFuzzer's -timeout alarm may interrupt connect(): then the
     * connection completes on its own, and poll tells when. */
    if (connect(s, (struct sockaddr *)&sin, sizeof sin) < 0) {
        struct pollfd pw = { .fd = s, .events = POLLOUT };
        int soerr = 0;
        socklen_t sl = sizeof soerr;

        if (errno != EINTR)
            die_sys("connect to the harness's own listener");
        while (poll(&pw, 1, 5000) < 0 && errno == EINTR)
            continue;
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0)
            die_sys("connect to the harness's own listener (after EINTR)");
    }
    svc_getreq_common(F.lfd);               /* the poller's accept */
    if ((fd = connection_fd()) < 0)
        die("the listener did not accept the connection");

    write_all(s, &mark, sizeof mark);
    write_all(s, data, size);
    /* On loopback the whole record is in the server's socket now: one
     * worker round reads and serves it (or cuts the connection). */
    fuzz_alloc_begin("serving one call", SERVE_ALLOC_MAX);
    svc_getreq_common(fd);
    (void)fuzz_alloc_end();
    drain(s, reply, MSG_DONTWAIT);
    /* Leave with a reset (no TIME_WAIT: long runs would use up the
     * ephemeral ports); the server must see it and destroy the transport. */
    setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    close(s);
    for (round = 0; round < 16 && registered(fd); round++)
        svc_getreq_common(fd);
    if (registered(fd))
        die("the transport outlived its connection");
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
    case MOVIMIENTOS: {
        const movimientos_ok *ok = &r->movimientos.movimientos_res_u.ok;
        uint64_t prev = a->movimientos.desde_seq;

        if (ok->movimientos.movimientos_len > cap_of(a->movimientos.max))
            die("more movements than asked for, or than the cap");
        for (u_int i = 0; i < ok->movimientos.movimientos_len; i++) {
            const movimiento *m = &ok->movimientos.movimientos_val[i];

            if (m->seq <= prev || m->seq > ok->ultimo_seq)
                die("movements out of order, or past ultimo_seq");
            prev = m->seq;
            if (a->movimientos.id[0] != '\0' && strcmp(m->id, a->movimientos.id) != 0)
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
    bool call_ok, args_ok = false, ours;
    u_int argpos = 0;
    int n;
    XDR x;

    /* What the server was sent. */
    memset(&call, 0, sizeof call);
    call.rm_call.cb_cred.oa_base = credbuf;
    call.rm_call.cb_verf.oa_base = credbuf + MAX_AUTH_BYTES;
    xdrmem_create(&x, (char *)(uintptr_t)data, (u_int)size, XDR_DECODE);
    call_ok = size <= MAX_RECORD && size > 0 && xdr_callmsg(&x, &call);
    argpos = xdr_getpos(&x);
    xdr_destroy(&x);
    ours = call_ok && call.rm_call.cb_prog == FUZZ_PROG &&
           (call.rm_call.cb_vers == 1 || call.rm_call.cb_vers == 2) &&
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
        if (call_ok)
            die("a well-formed call got no reply");
        goto out;
    }
    if (!call_ok)
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
    if (rep.rm_xid != call.rm_xid || rep.rm_direction != REPLY)
        die("the reply's xid is not the call's");
    if (rep.rm_reply.rp_stat == MSG_ACCEPTED) {
        enum accept_stat st = rep.acpted_rply.ar_stat;

        if (call.rm_call.cb_prog != FUZZ_PROG) {
            if (st != PROG_UNAVAIL)
                die("another program was not answered PROG_UNAVAIL");
        } else if (call.rm_call.cb_vers != 1 && call.rm_call.cb_vers != 2) {
            if (st != PROG_MISMATCH || rep.acpted_rply.ar_vers.low != 1 ||
                rep.acpted_rply.ar_vers.high != 2)
                die("an unknown version was not answered PROG_MISMATCH 1..2");
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

    if (size > INPUT_MAX)
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
