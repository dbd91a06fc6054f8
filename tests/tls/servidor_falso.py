"""servidor_falso.py - an RPC-with-TLS server written with Python's ssl, to
test the project's client against a peer that is not the project's code.

It registers with the real rpcbind under a test program number (versions
1 to 3), answers the AUTH_TLS probe as asked ("starttls", "denied": an
AUTH_ERROR, "plain": accepted without STARTTLS), and then, inside TLS,
answers NULL and OBTENER_PRODUCTO (a fixed product) and PROC_UNAVAIL to
anything else.  It records what it saw: every record's credential flavor
and whether it came inside TLS, the client certificate's CN, the ALPN.
"""
import socket
import ssl
import struct
import threading

import harness
import rpc
import tlslib

PRODUCTO = ("A1", "Cámara réflex", 7)


def rpcbind_set(prog, vers, port):
    """PMAPPROC_SET over the portmapper (version 2), as a server does."""
    with rpc.Client("127.0.0.1", 111, 100000, 2, timeout=5.0) as c:
        c.call(1, rpc.Packer().uint(prog).uint(vers).uint(6).uint(port).bytes())


def read_record(recv):
    data = b""
    while True:
        mark = b""
        while len(mark) < 4:
            chunk = recv(4 - len(mark))
            if not chunk:
                return None
            mark += chunk
        (m,) = struct.unpack(">I", mark)
        n, frag = m & 0x7FFFFFFF, b""
        while len(frag) < n:
            chunk = recv(n - len(frag))
            if not chunk:
                return None
            frag += chunk
        data += frag
        if m & 0x80000000:
            return data


def reply(xid, body=b"", stat=0):
    msg = struct.pack(">6I", xid, 1, 0, 0, 0, stat) + body
    return rpc.record(msg)


class Servidor:
    def __init__(self, pki, probe="starttls", ctx=None):
        self.pki, self.probe = pki, probe
        cert, key, ca, _ = pki.server_files()
        self.ctx = ctx or tlslib.server_context(cert, key, ca)
        self.ctx.num_tickets = 0        # nothing unasked arrives between calls
        self.program = harness.unique_program()
        self.seen = []                  # (flavor, proc, inside_tls)
        self.peers = []                 # (cn, alpn, version) per TLS session
        self.errors = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        for v in (1, 2, 3):
            rpcbind_set(self.program, v, self.port)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                conn, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(30)
        try:
            self._session(conn)
        except (OSError, ssl.SSLError, EOFError, struct.error) as e:
            self.errors.append(repr(e))
        finally:
            conn.close()

    def _session(self, conn):
        rec = read_record(conn.recv)
        if rec is None:
            return
        xid, _, _, _, _, proc, flavor = struct.unpack(">7I", rec[:28])
        self.seen.append((flavor, proc, False))
        if flavor != tlslib.AUTH_TLS or self.probe == "denied":
            conn.sendall(rpc.record(struct.pack(">5I", xid, 1, 1, 1, 2)))
            return
        if self.probe == "plain":
            conn.sendall(reply(xid))
            return
        conn.sendall(rpc.record(struct.pack(">5I", xid, 1, 0, 0, 8) + b"STARTTLS" +
                                struct.pack(">I", 0)))
        with self.ctx.wrap_socket(conn, server_side=True) as t:
            self.peers.append((tlslib.peer_cn(t), t.selected_alpn_protocol(),
                               t.version()))
            while True:
                rec = read_record(t.recv)
                if rec is None:
                    return
                u = rpc.Unpacker(rec)
                xid, _, _, _, vers, proc = (u.uint() for _ in range(6))
                flavor = u.uint()
                u.opaque()
                u.uint()
                u.opaque()
                self.seen.append((flavor, proc, True))
                if proc == 0:
                    t.sendall(reply(xid))
                elif proc == 2:
                    p = rpc.Packer().uint(rpc.OK).string(PRODUCTO[0]) \
                        .string(PRODUCTO[1]).int(PRODUCTO[2])
                    t.sendall(reply(xid, p.bytes()))
                else:
                    t.sendall(reply(xid, stat=rpc.PROC_UNAVAIL))

    def close(self):
        self.lsock.close()
        for v in (1, 2, 3):
            rpc.unset(self.program, v)
