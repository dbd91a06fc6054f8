/* test_rpcclient.c - the library's CLIENT (lib/rpcclient.h) and bounded decoding (lib/acotado.h).
 *
 * The test plays the server on the other end of a socketpair: it writes
 * the reply bytes first (the call's xid is fixed with CLSET_XID), then
 * makes the call, which finds them waiting.  Fragments, replies to other
 * xids, an over-long record, no reply at all, a cancel descriptor, and an
 * array count far past the bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acotado.h"
#include "inventario.h"
#include "rpcclient.h"
#include "stream.h"
#include "xdrproc.h"

#define XID 0x1234u

struct par {
    CLIENT *cl;
    int     servidor;       /* the test's end */
};

static int
abrir(void **state)
{
    static struct par p;
    struct stream st;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_true(stream_tcp(sv[0], &st));
    p.cl = rpcclient_create(st, INVENTARIO_PROG, INVENTARIO_V2);
    assert_non_null(p.cl);
    p.servidor = sv[1];
    *state = &p;
    return 0;
}

static int
cerrar(void **state)
{
    struct par *p = *state;

    clnt_destroy(p->cl);
    close(p->servidor);
    return 0;
}

/* A reply to xid carrying *res (encoded by xr), without record marks;
 * its length in *len. */
static void
respuesta(uint32_t xid, xdrproc_t xr, void *res, char *buf, size_t cap, size_t *len)
{
    struct rpc_msg m;
    XDR x;

    memset(&m, 0, sizeof m);
    m.rm_xid = xid;
    m.rm_direction = REPLY;
    m.rm_reply.rp_stat = MSG_ACCEPTED;
    m.acpted_rply.ar_verf = _null_auth;
    m.acpted_rply.ar_stat = SUCCESS;
    m.acpted_rply.ar_results.where = res;
    m.acpted_rply.ar_results.proc = xr;
    xdrmem_create(&x, buf, (u_int)cap, XDR_ENCODE);
    assert_true(xdr_replymsg(&x, &m));
    *len = XDR_GETPOS(&x);
    XDR_DESTROY(&x);
}

/* Writes body as 'partes' fragments, the last one marked. */
static void
enviar(int fd, const char *body, size_t len, unsigned partes)
{
    size_t hecho = 0;

    for (unsigned i = 0; i < partes; i++) {
        size_t n = i + 1 < partes ? len / partes : len - hecho;
        uint32_t marca = htonl((uint32_t)n | (i + 1 == partes ? 0x80000000u : 0));

        assert_int_equal(write(fd, &marca, 4), 4);
        assert_int_equal(write(fd, body + hecho, n), (ssize_t)n);
        hecho += n;
    }
}

static enum clnt_stat
llamar(struct par *p, xdrproc_t xr, void *res, unsigned ms, u_int max)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    struct rpcclient_decoder dec = { acotado_decodificar, &max };
    u_int32_t xid = XID;

    assert_true(clnt_control(p->cl, CLSET_XID, &xid));
    assert_true(clnt_control(p->cl, CLSET_TIMEOUT, &tv));
    assert_true(clnt_control(p->cl, RPCCLIENT_SET_DECODER, &dec));
    return clnt_call(p->cl, LISTAR_PAGINA, XDRPROC(xdr_void), NULL, xr, res, tv);
}

static pagina_res
pagina(producto *v, u_int n)
{
    pagina_res r;

    memset(&r, 0, sizeof r);
    r.e = OK;
    r.pagina_res_u.ok.productos.productos_val = v;
    r.pagina_res_u.ok.productos.productos_len = n;
    r.pagina_res_u.ok.hay_mas = TRUE;
    return r;
}

static void
fragmentos_y_xid_ajenos(void **state)
{
    struct par *p = *state;
    char a[] = "A1", b[] = "B2", n[] = "Radio", buf[4096];
    producto v[2] = { { a, n, 3 }, { b, n, 4 } };
    pagina_res envio = pagina(v, 2), rec;
    size_t len;

    /* Two replies to other calls, then ours in three fragments. */
    respuesta(XID - 1, XDRPROC(xdr_pagina_res), &envio, buf, sizeof buf, &len);
    enviar(p->servidor, buf, len, 1);
    respuesta(XID + 7, XDRPROC(xdr_pagina_res), &envio, buf, sizeof buf, &len);
    enviar(p->servidor, buf, len, 2);
    respuesta(XID, XDRPROC(xdr_pagina_res), &envio, buf, sizeof buf, &len);
    enviar(p->servidor, buf, len, 3);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 2000, 10), RPC_SUCCESS);
    assert_int_equal(rec.pagina_res_u.ok.productos.productos_len, 2);
    assert_string_equal(rec.pagina_res_u.ok.productos.productos_val[1].id, "B2");
    assert_true(rec.pagina_res_u.ok.hay_mas);
    xdr_free(XDRPROC(xdr_pagina_res), &rec);
}

static void
lista_mas_larga_que_la_cota(void **state)
{
    struct par *p = *state;
    char a[] = "A1", n[] = "Radio", buf[4096];
    producto v[3] = { { a, n, 1 }, { a, n, 2 }, { a, n, 3 } };
    pagina_res envio = pagina(v, 3), rec;
    struct rpc_err e;
    size_t len;

    respuesta(XID, XDRPROC(xdr_pagina_res), &envio, buf, sizeof buf, &len);
    enviar(p->servidor, buf, len, 1);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 2000, 2),
                     RPC_CANTDECODERES);
    clnt_geterr(p->cl, &e);
    assert_int_equal(e.re_errno, 0);
    assert_null(rec.pagina_res_u.ok.productos.productos_val);
}

static void
cuenta_enorme(void **state)
{
    struct par *p = *state;
    char buf[64];
    pagina_res envio = pagina(NULL, 0), rec;
    size_t len;
    uint32_t cuenta = htonl(178956970u);

    /* An empty page, whose count (the last 8 bytes: count, hay_mas) is
     * then made huge. */
    respuesta(XID, XDRPROC(xdr_pagina_res), &envio, buf, sizeof buf, &len);
    memcpy(buf + len - 8, &cuenta, 4);
    enviar(p->servidor, buf, len, 1);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 2000, 200),
                     RPC_CANTDECODERES);
}

static void
registro_demasiado_largo(void **state)
{
    struct par *p = *state;
    uint32_t marca = htonl(0x80000000u | (RPCCLIENT_RECORD_MAX + 1));
    pagina_res rec;
    struct rpc_err e;

    assert_int_equal(write(p->servidor, &marca, 4), 4);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 2000, 200),
                     RPC_CANTDECODERES);
    clnt_geterr(p->cl, &e);
    assert_int_equal(e.re_errno, EMSGSIZE);
    /* Out of step now: the next call does not even try. */
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 2000, 200), RPC_CANTSEND);
}

static void
sin_respuesta_y_cancelacion(void **state)
{
    struct par *p = *state;
    pagina_res rec;
    int tubo[2], fds[2];

    memset(&rec, 0, sizeof rec);
    /* Half a reply, then nothing: the deadline of the whole call ends it. */
    assert_int_equal(write(p->servidor, "\x80\0\0\x40" "ab", 6), 6);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 200, 200), RPC_TIMEDOUT);

    clnt_destroy(p->cl);
    close(p->servidor);
    assert_int_equal(abrir(state), 0);
    p = *state;
    assert_int_equal(pipe(tubo), 0);
    fds[0] = -1;
    fds[1] = tubo[0];
    assert_true(clnt_control(p->cl, RPCCLIENT_SET_CANCEL_FDS, fds));
    assert_int_equal(write(tubo[1], "x", 1), 1);
    assert_int_equal(llamar(p, XDRPROC(xdr_pagina_res), &rec, 60000, 200), RPC_INTR);
    close(tubo[0]);
    close(tubo[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fragmentos_y_xid_ajenos, abrir, cerrar),
        cmocka_unit_test_setup_teardown(lista_mas_larga_que_la_cota, abrir, cerrar),
        cmocka_unit_test_setup_teardown(cuenta_enorme, abrir, cerrar),
        cmocka_unit_test_setup_teardown(registro_demasiado_largo, abrir, cerrar),
        cmocka_unit_test_setup_teardown(sin_respuesta_y_cancelacion, abrir, cerrar),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
