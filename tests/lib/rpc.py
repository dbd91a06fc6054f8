"""rpc.py - a small ONC RPC client over TCP, for tests that speak the wire.

Written from RFC 5531 (RPC), RFC 4506 (XDR) and RFC 1833 (rpcbind) so that
tests check the server against the contract itself, not against our own
generated stubs.  It can also send malformed records on purpose.
"""
import socket
import struct
import subprocess
import os

# Contract numbers (inventario.x, docs/protocolo.md).
OK, YA_EXISTE, NO_ENCONTRADO, INVALIDO, ERROR_INTERNO, STOCK_INSUFICIENTE = range(6)
ESTADOS = ["OK", "YA_EXISTE", "NO_ENCONTRADO", "INVALIDO", "ERROR_INTERNO",
           "STOCK_INSUFICIENTE"]
ALTA, STOCK, BAJA = 1, 2, 3

CALL, REPLY = 0, 1
MSG_ACCEPTED, MSG_DENIED = 0, 1
SUCCESS, PROG_UNAVAIL, PROG_MISMATCH, PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR = range(6)
AUTH_NONE, AUTH_SYS = 0, 1


class RpcError(Exception):
    """The call was answered, but not with SUCCESS."""
    def __init__(self, kind, stat, detail=None):
        super().__init__("%s %s %r" % (kind, stat, detail))
        self.kind, self.stat, self.detail = kind, stat, detail


class Packer:
    def __init__(self):
        self.parts = []

    def uint(self, v):
        self.parts.append(struct.pack(">I", v & 0xFFFFFFFF)); return self

    def int(self, v):
        self.parts.append(struct.pack(">i", v)); return self

    def uhyper(self, v):
        self.parts.append(struct.pack(">Q", v)); return self

    def hyper(self, v):
        self.parts.append(struct.pack(">q", v)); return self

    def bool(self, v):
        return self.uint(1 if v else 0)

    def opaque(self, b):
        """Variable-length opaque or string: length, bytes, padding."""
        if isinstance(b, str):
            b = b.encode("utf-8")
        self.uint(len(b))
        self.parts.append(b + b"\0" * ((4 - len(b) % 4) % 4))
        return self

    string = opaque

    def bytes(self):
        return b"".join(self.parts)


class Unpacker:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise EOFError("short XDR data")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self):
        return struct.unpack(">I", self._take(4))[0]

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def uhyper(self):
        return struct.unpack(">Q", self._take(8))[0]

    def hyper(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self.uint() != 0

    def opaque(self):
        n = self.uint()
        b = self._take(n)
        self._take((4 - n % 4) % 4)
        return b

    def string(self):
        return self.opaque().decode("utf-8", "surrogateescape")

    def done(self):
        return self.pos == len(self.data)


def auth_sys(machine="pruebas", uid=1000, gid=1000, gids=()):
    body = Packer().uint(0).string(machine).uint(uid).uint(gid).uint(len(gids))
    for g in gids:
        body.uint(g)
    return AUTH_SYS, body.bytes()


def call_header(xid, prog, vers, proc, cred=(AUTH_NONE, b""), rpcvers=2,
                msgtype=CALL):
    p = Packer().uint(xid).uint(msgtype).uint(rpcvers).uint(prog).uint(vers).uint(proc)
    p.uint(cred[0]).opaque(cred[1]).uint(AUTH_NONE).opaque(b"")
    return p.bytes()


def record(payload, last=True):
    return struct.pack(">I", (0x80000000 if last else 0) | len(payload)) + payload


class Client:
    """One TCP connection to one program and version."""

    def __init__(self, host, port, prog, vers, timeout=5.0, cred=None, rcvbuf=0,
                 source=None):
        self.prog, self.vers = prog, vers
        self.cred = cred or (AUTH_NONE, b"")
        self.xid = (os.getpid() << 12) & 0x7FFFFFFF
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        try:
            if source is not None:      # a source address of our own
                self.sock.bind((source, 0))
            self.sock.connect((host, port))
        except OSError:
            self.sock.close()
            raise

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        # A bytearray and bounded reads: a record of several MB in one
        # fragment would otherwise cost a buffer of its size per recv.
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise ConnectionError("connection closed by the server")
            buf += chunk
        return bytes(buf)

    def recv_record(self):
        data = b""
        while True:
            (mark,) = struct.unpack(">I", self.recv_exact(4))
            data += self.recv_exact(mark & 0x7FFFFFFF)
            if mark & 0x80000000:
                return data

    def call(self, proc, args=b"", vers=None):
        """Sends one call and returns the result's XDR bytes."""
        self.xid += 1
        msg = call_header(self.xid, self.prog, vers or self.vers, proc, self.cred) + args
        self.send_raw(record(msg))
        return self.parse_reply(self.recv_record(), self.xid)

    @staticmethod
    def parse_reply(data, xid=None):
        u = Unpacker(data)
        rxid, mtype = u.uint(), u.uint()
        if mtype != REPLY or (xid is not None and rxid != xid):
            raise RpcError("bad-reply", mtype)
        if u.uint() == MSG_DENIED:
            raise RpcError("denied", u.uint())
        u.uint(); u.opaque()                    # verifier
        stat = u.uint()
        if stat == PROG_MISMATCH:
            raise RpcError("accepted", stat, (u.uint(), u.uint()))
        if stat != SUCCESS:
            raise RpcError("accepted", stat)
        return data[u.pos:]

    # -- the contract's procedures -----------------------------------------
    def null(self):
        return self.call(0)

    def agregar(self, id, nombre, stock):
        return Unpacker(self.call(1, Packer().string(id).string(nombre).int(stock).bytes())).uint()

    def obtener(self, id):
        u = Unpacker(self.call(2, Packer().string(id).bytes()))
        e = u.uint()
        return (e, _producto(u) if e == OK else None)

    def actualizar(self, id, valor):
        return Unpacker(self.call(3, Packer().string(id).int(valor).bytes())).uint()

    def listar(self):
        u = Unpacker(self.call(4))
        e = u.uint()
        return (e, [_producto(u) for _ in range(u.uint())] if e == OK else None)

    def eliminar(self, id):
        return Unpacker(self.call(5, Packer().string(id).bytes())).uint()

    def ajustar(self, id, delta, motivo="", clave=""):
        a = Packer().string(id).int(delta).string(motivo).string(clave).bytes()
        u = Unpacker(self.call(6, a))
        e = u.uint()
        return (e, _producto(u) if e == OK else None)

    def movimientos(self, desde_seq=0, id="", max=0):
        u = Unpacker(self.call(7, Packer().uhyper(desde_seq).string(id).uint(max).bytes()))
        e = u.uint()
        if e != OK:
            return (e, None, None)
        movs = [_movimiento(u) for _ in range(u.uint())]
        return (e, movs, u.uhyper())

    def esperar(self, desde_seq=0, id="", max=0, espera_ms=0):
        """ESPERAR_MOVIMIENTOS (version 3): as movimientos()."""
        u = Unpacker(self.call(10, Packer().uhyper(desde_seq).string(id).uint(max)
                               .uint(espera_ms).bytes(), vers=3))
        e = u.uint()
        if e != OK:
            return (e, None, None)
        movs = [_movimiento(u) for _ in range(u.uint())]
        return (e, movs, u.uhyper())

    def pagina(self, desde_id="", max=0):
        u = Unpacker(self.call(8, Packer().string(desde_id).uint(max).bytes()))
        e = u.uint()
        if e != OK:
            return (e, None, None)
        prods = [_producto(u) for _ in range(u.uint())]
        return (e, prods, u.bool())

    def estado(self):
        u = Unpacker(self.call(9))
        return dict(version=u.string(), arranque_ms=u.uhyper(), productos=u.uhyper(),
                    ultimo_seq=u.uhyper(), llamadas=u.uhyper(), conexiones=u.uint(),
                    hilos=u.uint(), almacen_ok=u.bool())


def _producto(u):
    return (u.string(), u.string(), u.int())


def _movimiento(u):
    return dict(seq=u.uhyper(), cuando_ms=u.hyper(), tipo=u.uint(), id=u.string(),
                stock_antes=u.int(), stock_despues=u.int(), motivo=u.string(),
                origen=u.string())


# -- rpcbind ---------------------------------------------------------------
def getport(prog, vers, host="127.0.0.1"):
    """The TCP port rpcbind has for prog/vers (portmapper GETPORT), 0 if none."""
    with Client(host, 111, 100000, 2, timeout=3.0) as c:
        r = c.call(3, Packer().uint(prog).uint(vers).uint(6).uint(0).bytes())
    return Unpacker(r).uint()


def registrations(prog):
    """(vers, netid) pairs rpcbind holds for prog, from `rpcinfo`."""
    out = subprocess.run(["rpcinfo"], capture_output=True, text=True).stdout
    regs = set()
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) >= 3 and f[0] == str(prog):
            regs.add((int(f[1]), f[2]))
    return regs


def unset(prog, vers):
    """Removes a registration (rpcinfo -d speaks to rpcbind as our uid)."""
    subprocess.run(["rpcinfo", "-d", str(prog), str(vers)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
