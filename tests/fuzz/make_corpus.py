#!/usr/bin/env python3
"""make_corpus.py - writes the fuzz targets' seed corpus (tests/fuzz/corpus/).

    python3 tests/fuzz/make_corpus.py        # rewrites the seed-* files

Seeds are valid inputs for every argument type (corpus/xdr_args: one
selector byte, then the XDR argument) and a valid call of every procedure of
both versions (corpus/dispatch: one RPC call message for the harness's own
program number), plus the edge cases the contract names.  The encoder is
tests/lib/rpc.py, written from the RFCs, not our generated stubs.

Files named regr-* are regression inputs: a finding of the fuzzer, or a
defence it must keep checking.  This script only ever rewrites seed-* files,
so regressions stay as they were committed.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import rpc                                  # noqa: E402
from rpc import Packer                      # noqa: E402

FUZZ_PROG = 0x46555A00                      # fuzz_dispatch.c's FUZZ_PROG

# The selector byte of fuzz_xdr_args.c, in its table's order.
PRODUCTO, ID_ARG, STOCK_ARGS, AJUSTAR, MOVIMIENTOS, PAGINA = range(6)


def producto(id, nombre, stock):
    return Packer().string(id).string(nombre).int(stock).bytes()


def ident(id):
    return Packer().string(id).bytes()


def stock_args(id, valor):
    return Packer().string(id).int(valor).bytes()


def ajustar(id, delta, motivo="", clave=""):
    return Packer().string(id).int(delta).string(motivo).string(clave).bytes()


def movimientos(desde=0, id="", max=0):
    return Packer().uhyper(desde).string(id).uint(max).bytes()


def pagina(desde="", max=0):
    return Packer().string(desde).uint(max).bytes()


def raw_string(n, body=b""):
    """A string whose length word says n, followed by body as it is."""
    return Packer().uint(n).bytes() + body


XDR_SEEDS = {
    "producto": (PRODUCTO, producto("tv-55", "Televisor 55\"", 7)),
    "producto-utf8": (PRODUCTO, producto("cámara", "Cámara réflex ñ", 0)),
    "producto-max": (PRODUCTO, producto("x" * 64, "n" * 256, 2147483647)),
    "producto-negativo": (PRODUCTO, producto("a", "b", -1)),
    "id": (ID_ARG, ident("tv-55")),
    "id-vacio": (ID_ARG, ident("")),
    "id-espacio": (ID_ARG, ident(" a ")),
    "id-c1": (ID_ARG, ident(b"a\xc2\x85")),
    "id-sobrelargo": (ID_ARG, ident(b"\xc0\xaf")),
    "stock": (STOCK_ARGS, stock_args("tv-55", 12)),
    "ajustar": (AJUSTAR, ajustar("tv-55", -3, "venta", "k-1")),
    "ajustar-vacio": (AJUSTAR, ajustar("tv-55", 5)),
    "movimientos": (MOVIMIENTOS, movimientos(0, "", 0)),
    "movimientos-id": (MOVIMIENTOS, movimientos(2**64 - 1, "tv-55", 2**32 - 1)),
    "pagina": (PAGINA, pagina("", 100)),
    "pagina-desde": (PAGINA, pagina("m", 0)),
    # Lengths at and past the bounds, and one that asks for 2 GiB.
    "id-65": (ID_ARG, ident("y" * 65)),
    "nombre-257": (PRODUCTO, Packer().string("a").bytes() + ident("n" * 257)),
    "id-2gib": (ID_ARG, raw_string(0x7FFFFFFF, b"abcd")),
    "id-corto": (ID_ARG, raw_string(10, b"abc")),
}

# Regression inputs, written once (never overwritten): each names the
# defence it checks.
XDR_REGRESSIONS = {
    # xdr_cadena.c: an embedded NUL must not cut the string short.
    "regr-id-nul-embebido": (ID_ARG, ident(b"ab\x00cd")),
    "regr-ajustar-clave-nul": (AJUSTAR, ajustar("p", 1, "m", b"k\x00k")),
}


def call(vers, proc, args=b"", cred=(rpc.AUTH_NONE, b""), xid=0x1234, prog=FUZZ_PROG):
    return rpc.call_header(xid, prog, vers, proc, cred) + args


SYS = rpc.auth_sys("caja-03", 1000, 1000, (4, 24))

DISPATCH_SEEDS = {}
for v in (1, 2):
    DISPATCH_SEEDS.update({
        "v%d-0-null" % v: call(v, 0),
        "v%d-1-agregar" % v: call(v, 1, producto("tv-55", "Televisor", 7), SYS),
        "v%d-1-agregar-invalido" % v: call(v, 1, producto(" tv", "T", 7)),
        "v%d-2-obtener" % v: call(v, 2, ident("tv-55")),
        "v%d-2-obtener-nul" % v: call(v, 2, ident(b"tv\x00-55")),
        "v%d-3-actualizar" % v: call(v, 3, stock_args("tv-55", 9), SYS),
        "v%d-4-listar" % v: call(v, 4),
        "v%d-5-eliminar" % v: call(v, 5, ident("tv-55")),
    })
DISPATCH_SEEDS.update({
    "v2-6-ajustar": call(2, 6, ajustar("tv-55", 2, "venta", "clave-1"), SYS),
    "v2-6-ajustar-negativo": call(2, 6, ajustar("tv-55", -100, "", "")),
    "v2-7-movimientos": call(2, 7, movimientos(0, "", 0)),
    "v2-7-movimientos-id": call(2, 7, movimientos(1, "tv-55", 5)),
    "v2-7-movimientos-enorme": call(2, 7, movimientos(2**64 - 1, "", 2**32 - 1)),
    "v2-8-pagina": call(2, 8, pagina("", 2)),
    "v2-8-pagina-desde": call(2, 8, pagina("a", 0)),
    "v2-9-estado": call(2, 9),
    # Edges of the header and of the arguments.
    "v1-6-no-existe-en-v1": call(1, 6, ajustar("a", 1)),
    "v2-10-proc-desconocido": call(2, 10),
    "v3-version-desconocida": call(3, 0),
    "prog-otro": call(1, 0, prog=FUZZ_PROG + 1),
    "v1-2-id-65": call(1, 2, ident("y" * 65)),
    # A decode that fails after allocating the id: svc_freeargs must free it.
    "v1-1-nombre-257": call(1, 1, Packer().string("ok").bytes() + ident("n" * 257)),
    "v1-2-id-2gib": call(1, 2, raw_string(0x7FFFFFFF, b"abcd")),
    "v2-1-maquina-rara": call(2, 1, producto("p", "n", 1),
                              rpc.auth_sys(b"m\x1b[31m\xff\xfe", 0, 0, ())),
    "auth-desconocida": call(1, 0, cred=(99, b"")),
})

DISPATCH_REGRESSIONS = {}


def write(folder, name, data, overwrite):
    path = os.path.join(HERE, "corpus", folder, name)
    if os.path.exists(path) and not overwrite:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    for name, (sel, data) in XDR_SEEDS.items():
        write("xdr_args", "seed-" + name, bytes([sel]) + data, True)
    for name, (sel, data) in XDR_REGRESSIONS.items():
        write("xdr_args", name, bytes([sel]) + data, False)
    for name, data in DISPATCH_SEEDS.items():
        write("dispatch", "seed-" + name, data, True)
    for name, data in DISPATCH_REGRESSIONS.items():
        write("dispatch", name, data, False)


if __name__ == "__main__":
    main()
