"""hostiles.py - fake servers that break the contract on purpose, and ones that speak version 3.

Each is a cliente.ServidorFalso (registered with the real rpcbind under a
transient program number, answering NULL and PROG_MISMATCH as a server
would) whose answer to one procedure is hostile: trickled, with the wrong
xid, a pagination that never advances, or an array count of 178 956 970.
They test the client library's "no trust in the server" (lib/rpcclient.h,
lib/acotado.h, lib/operaciones.h), never the server.
"""
import os
import socket
import struct
import threading
import time

import cliente
import rpc

OBTENER, LISTAR_PAGINA, MOVIMIENTOS, ESPERAR = 2, 8, 7, 10


def producto(p, pid, nombre, stock):
    return p.string(pid).string(nombre).int(stock)


def movimiento(p, seq, pid="A1", antes=3, despues=4):
    return (p.uhyper(seq).hyper(int(time.time() * 1000)).uint(rpc.STOCK)
            .string(pid).int(antes).int(despues).string("venta").string("127.0.0.1"))


class Hostil(cliente.ServidorFalso):
    """Versions 1 and 2.  A call of procedure 'proc' is answered by
    self.hostil(conn, xid, u) (which writes what it wants, for as long as
    the connection lasts); every other call as ServidorFalso does."""

    versiones = (1, 2)
    proc = None

    def _serve(self, conn):
        with conn:
            try:
                while True:
                    msg = self._record(conn)
                    if msg is None:
                        return
                    u = rpc.Unpacker(msg)
                    xid, _, _, _, vers, proc = (u.uint() for _ in range(6))
                    if proc == self.proc and vers in self.versiones:
                        u.uint(); u.opaque(); u.uint(); u.opaque()
                        with self.lock:
                            self.procs.append((vers, proc))
                        self.hostil(conn, xid, u)
                        return
                    reply = self._reply(msg)
                    if reply is not None:
                        conn.sendall(rpc.record(reply))
            except OSError:
                return          # the client gave up and closed: as expected

    @staticmethod
    def cabecera(xid):
        return (rpc.Packer().uint(xid).uint(rpc.REPLY).uint(rpc.MSG_ACCEPTED)
                .uint(rpc.AUTH_NONE).opaque(b"").uint(rpc.SUCCESS))


class Goteo(Hostil):
    """OBTENER answered one byte every 1.5 s: a whole reply would take more
    than a minute."""

    proc = OBTENER

    def hostil(self, conn, xid, u):
        p = self.cabecera(xid).uint(rpc.OK)
        body = producto(p, "A1", "Radio con un nombre largo de verdad", 3).bytes()
        for b in rpc.record(body):
            conn.sendall(bytes([b]))
            time.sleep(1.5)


class XidAjeno(Hostil):
    """OBTENER answered with replies to other calls, valid but for their xid,
    one after another for as long as the client listens."""

    proc = OBTENER

    def hostil(self, conn, xid, u):
        n = 1
        while True:
            p = self.cabecera((xid + n) & 0xFFFFFFFF).uint(rpc.OK)
            conn.sendall(rpc.record(producto(p, "A1", "Radio", 3).bytes()))
            n += 1
            time.sleep(0.01)


class PaginaSinFin(cliente.ServidorFalso):
    """LISTAR_PAGINA always answers the same one product and "there is
    more": a client that follows hay_mas blindly never ends."""

    versiones = (1, 2)

    def _llamada(self, vers, proc, u):
        if proc != LISTAR_PAGINA:
            return None
        p = rpc.Packer().uint(rpc.OK).uint(1)
        return producto(p, "A1", "Radio", 3).bool(True).bytes()


ENORME = 178956970      # 178 956 970 x 24 bytes: 4 GiB for the array alone


class CuentaEnorme(Hostil):
    """LISTAR_PAGINA announces ENORME products and then streams products
    for as long as the client reads.  modo 'fragmentos': 64 KiB fragments,
    none the last; 'marca': one fragment that claims 2 GiB; 'corta': a
    complete record of three products under the huge count."""

    proc = LISTAR_PAGINA

    def __init__(self, modo):
        super().__init__()
        self.modo = modo

    def hostil(self, conn, xid, u):
        item = producto(rpc.Packer(), "A1", "Radio", 3).bytes()
        head = self.cabecera(xid).uint(rpc.OK).uint(ENORME).bytes()
        if self.modo == "corta":
            body = head + item * 3 + struct.pack(">I", 0)
            conn.sendall(rpc.record(body))
            time.sleep(30)
            return
        if self.modo == "marca":
            conn.sendall(struct.pack(">I", 0x7FFFFFF0) + head)
            while True:
                conn.sendall(item * 1000)
        trozo = item * (65536 // len(item))
        conn.sendall(struct.pack(">I", len(head)) + head)
        while True:
            conn.sendall(struct.pack(">I", len(trozo)) + trozo)


class Feed(cliente.ServidorFalso):
    """A server with ultimo_seq 5 and a movement log the test feeds
    (nuevo()).  With version 3 among 'versiones', ESPERAR_MOVIMIENTOS holds
    its reply until a movement after desde_seq exists or espera_ms pass, as
    the contract says; MOVIMIENTOS answers at once.  esperas records the
    espera_ms of each ESPERAR_MOVIMIENTOS."""

    def __init__(self, versiones):
        super().__init__()
        self.versiones = versiones
        self.seq = 5
        self.cambio = threading.Condition(self.lock)
        self.esperas = []

    def nuevo(self):
        with self.cambio:
            self.seq += 1
            self.cambio.notify_all()

    def _serve(self, conn):
        try:
            super()._serve(conn)
        except OSError:
            return      # the client cancelled a held call and closed

    def contar(self, vers, proc):
        with self.lock:
            return sum(1 for c in self.procs if c == (vers, proc))

    def _respuesta(self, desde):
        p = rpc.Packer().uint(rpc.OK)
        nuevos = list(range(desde + 1, self.seq + 1))
        p.uint(len(nuevos))
        for s in nuevos:
            movimiento(p, s)
        return p.uhyper(self.seq).bytes()

    def _llamada(self, vers, proc, u):
        if proc == MOVIMIENTOS:
            desde, _, maximo = u.uhyper(), u.string(), u.uint()
            return self._respuesta(min(max(desde, self.seq - maximo), self.seq))
        if proc == ESPERAR and vers == 3:
            desde, _, _, espera = u.uhyper(), u.string(), u.uint(), u.uint()
            self.esperas.append(espera)
            fin = time.monotonic() + min(espera, 60000) / 1000.0
            # Called with self.lock held (ServidorFalso._reply): the
            # condition shares it, and wait() lets it go.
            while self.seq <= desde and time.monotonic() < fin:
                self.cambio.wait(fin - time.monotonic())
            return self._respuesta(desde)
        return None


def rss_maximo_kib(cmd, env, limite=60):
    """Runs cmd to completion; (returncode, stdout, stderr, peak RSS in KiB)."""
    import subprocess
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    fin = time.monotonic() + limite
    out = err = b""
    while True:
        pid, status, uso = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            break
        if time.monotonic() > fin:
            p.kill()
            pid, status, uso = os.wait4(p.pid, 0)
            break
        time.sleep(0.05)
    out, err = p.stdout.read(), p.stderr.read()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), \
        uso.ru_maxrss
