"""cliente.py - running inventario-client in tests, and a server that only speaks version 1.

    r = run(["listar"], srv)        # r.rc, r.out, r.err (text), r.secs
    r.json()                         # stdout parsed as JSON

The client binary comes from INVENTARIO_CLIENT (ctest sets it).  Every run
has a timeout, so a client that hangs fails its test instead of the suite.
"""
import json
import os
import socket
import struct
import subprocess
import threading
import time

import harness
import rpc

CLIENT = harness.CLIENT

# Exit statuses, as `inventario-client --help` lists them.
OK, INTERNO, USO, INVALIDO, NO_ENCONTRADO, YA_EXISTE, STOCK_INSUFICIENTE, \
    SIN_SERVIDOR, TIEMPO_AGOTADO, NO_OFRECIDO, SIN_PERMISO, PROTOCOLO = range(12)
SIN_TLS, ARCHIVO = 13, 14
INTERRUMPIDA = 130      # Ctrl-C (the library's CANCELADO)
CODIGOS = list(range(12)) + [SIN_TLS, ARCHIVO, INTERRUMPIDA]

# The client's text is UTF-8 whatever the caller's locale; the tests say
# which server to use on the command line, never through the environment.
ENV = {k: v for k, v in os.environ.items()
       if k not in ("INVENTARIO_HOST", "INVENTARIO_PROGRAM", "INVENTARIO_TIMEOUT")}
# No pager: on a pseudo-terminal the client would page long listings
# (tests that check paging set PAGER themselves).
ENV.update(LC_ALL="C.UTF-8", TERM="xterm", PAGER="cat")


class Result:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def json(self):
        return json.loads(self.out)

    def json_err(self):
        """The JSON error document that --json writes to stderr: its last
        line (notices before it are JSON lines too)."""
        return json.loads(self.err.splitlines()[-1])

    def avisos(self):
        """The notices of a --json run: {"aviso": ...} lines on stderr."""
        return [json.loads(l)["aviso"] for l in self.err.splitlines()
                if l.startswith('{"aviso"')]

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.out, self.err)


def command(args, srv=None, program=None, timeout=None):
    """The client's command line; INVENTARIO_* in the caller's environment
    never reach it (ENV leaves them out)."""
    cmd = [CLIENT]
    if srv is not None or program is not None:
        cmd += ["--program", str(program if program is not None else srv.program)]
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    return cmd + list(args)


def run(args, srv=None, input=None, program=None, timeout=None, limit=30, env=None):
    """Runs the client to completion; input is text for stdin (or None for
    /dev/null); env adds variables to ENV."""
    t0 = time.monotonic()
    p = subprocess.run(command(args, srv, program, timeout),
                       input=(input or "").encode(), capture_output=True,
                       timeout=limit, env=dict(ENV, **(env or {})))
    return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def fast_server(**kw):
    """A real server that does not wait for the disk: these tests are about
    the client, and durability has tests of its own."""
    args = ["--sync", "normal"] + list(kw.pop("args", []))
    return harness.Server(args=args, **kw)


def servidor(test, **kw):
    """A fast_server for test, started; stopped and removed when the test
    ends, even if the rest of its setUp fails."""
    srv = fast_server(**kw)
    test.addCleanup(srv.__exit__, None, None, None)
    return srv.start()


def conexion_directa(test, srv, version=2):
    """A raw RPC client (tests/lib/rpc.py), closed when the test ends."""
    raw = srv.client(version)
    test.addCleanup(raw.close)
    return raw


def version_alta(programa):
    """The highest protocol version rpcbind has for programa: the one the
    client speaks with that server (lib/conexion.h)."""
    return max(v for v, _ in rpc.registrations(programa))


def calls(srv, proc, vers=None):
    """How many calls of procedure name proc the server logged (it must run
    with -v)."""
    tag = "llamada v%s %s " % (vers, proc) if vers else None
    n = 0
    for line in srv.log().splitlines():
        if (tag and tag in line) or (not tag and (" %s de " % proc) in line):
            n += 1
    return n


# -- scripted servers ----------------------------------------------------
MUDO = object()         # a call that is never answered


class ServidorFalso:
    """A server written for one test, speaking the contract's wire format:
    registered with the real rpcbind (portmapper SET) under its own
    transient program number for each version in 'versiones', removed on
    exit.  Answers NULL; any other version with PROG_MISMATCH; every other
    call as _llamada says.  Records (vers, proc) of every call in procs."""

    versiones = (1,)

    def __init__(self):
        self.program = harness.unique_program()
        self.procs = []
        self.lock = threading.Lock()

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        for v in self.versiones:
            with rpc.Client("127.0.0.1", 111, 100000, 2, timeout=3.0) as c:
                r = c.call(1, rpc.Packer().uint(self.program).uint(v).uint(6)
                           .uint(self.port).bytes())
            assert rpc.Unpacker(r).uint() == 1, "rpcbind refused the registration"
        return self

    def __exit__(self, *exc):
        for v in self.versiones:
            rpc.unset(self.program, v)
        self.sock.close()

    def _llamada(self, vers, proc, u):
        """The result's XDR bytes, None for PROC_UNAVAIL, or MUDO."""
        return None

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _record(conn):
        data = b""
        while True:
            head = _recv(conn, 4)
            if head is None:
                return None
            (mark,) = struct.unpack(">I", head)
            body = _recv(conn, mark & 0x7FFFFFFF)
            if body is None:
                return None
            data += body
            if mark & 0x80000000:
                return data

    def _serve(self, conn):
        with conn:
            while True:
                msg = self._record(conn)
                if msg is None:
                    return
                reply = self._reply(msg)
                if reply is not None:
                    conn.sendall(rpc.record(reply))

    def _reply(self, msg):
        u = rpc.Unpacker(msg)
        xid, _, _, _, vers, proc = (u.uint() for _ in range(6))
        u.uint(); u.opaque(); u.uint(); u.opaque()      # credential, verifier
        head = rpc.Packer().uint(xid).uint(rpc.REPLY).uint(rpc.MSG_ACCEPTED) \
                  .uint(rpc.AUTH_NONE).opaque(b"")
        with self.lock:
            self.procs.append((vers, proc))
            if vers not in self.versiones:
                return head.uint(rpc.PROG_MISMATCH).uint(min(self.versiones)) \
                           .uint(max(self.versiones)).bytes()
            body = b"" if proc == 0 else self._llamada(vers, proc, u)
        if body is MUDO:
            return None
        if body is None:
            return head.uint(rpc.PROC_UNAVAIL).bytes()
        return head.uint(rpc.SUCCESS).bytes() + body


class ServidorV1(ServidorFalso):
    """A server of version 1 only, as an older deployment would be: the
    procedures of version 1 over a dict (ACTUALIZAR and ELIMINAR left out)."""

    versiones = (1,)

    def __init__(self):
        super().__init__()
        self.productos = {}

    def _llamada(self, vers, proc, u):
        p = rpc.Packer()
        if proc == 1:
            pid, nombre, stock = u.string(), u.string(), u.int()
            if pid in self.productos:
                return p.uint(rpc.YA_EXISTE).bytes()
            self.productos[pid] = (nombre, stock)
            return p.uint(rpc.OK).bytes()
        if proc == 2:
            pid = u.string()
            if pid not in self.productos:
                return p.uint(rpc.NO_ENCONTRADO).bytes()
            nombre, stock = self.productos[pid]
            return p.uint(rpc.OK).string(pid).string(nombre).int(stock).bytes()
        if proc == 4:
            p.uint(rpc.OK).uint(len(self.productos))
            for pid in sorted(self.productos, key=lambda s: s.encode()):
                nombre, stock = self.productos[pid]
                p.string(pid).string(nombre).int(stock)
            return p.bytes()
        return None


class ServidorMudo(ServidorFalso):
    """Versions 1 and 2, and never a reply to AJUSTAR_STOCK: a server whose
    every answer to an adjustment is lost.  Keeps the arguments (id, delta,
    motivo, clave) of each AJUSTAR it got, in ajustes."""

    versiones = (1, 2)

    def __init__(self):
        super().__init__()
        self.ajustes = []

    def _llamada(self, vers, proc, u):
        if proc == 6:
            self.ajustes.append((u.string(), u.int(), u.string(), u.string()))
            return MUDO
        return None


class ServidorSordo(ServidorFalso):
    """Answers NULL in every version (so a client connects) and no other
    call: a call waits until its timeout, or until Ctrl-C."""

    versiones = (1, 2, 3)

    def _llamada(self, vers, proc, u):
        return MUDO

    def llamadas(self):
        """The procedures called so far, NULL left out."""
        with self.lock:
            return [p for _, p in self.procs if p != 0]


def _recv(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf
