"""The TLS modules on their own, against Python's ssl module (OpenSSL) as
the independent peer: the server's sessions (server/tls_server.c, driven by
tls_eco as the transport drives them) and the client's probe and stream
(common/tls_client.c, driven by tls_cliente)."""
import os
import socket
import ssl
import struct
import subprocess
import threading
import time
import unittest

import harness
import tlslib

TLS_ECO = os.environ["TLS_ECO"]
TLS_CLIENTE = os.environ["TLS_CLIENTE"]


def closes(s):
    """True once the peer closes s (a TLS alert may come first)."""
    try:
        for _ in range(100):
            if not s.recv(4096):
                return True
    except ConnectionError:
        return True
    return False


class Eco:
    """tls_eco running on the chain's files; its log is its stderr."""

    def __init__(self, pki, crl=True):
        cert, key, ca, crlf = pki.server_files()
        self.logpath = os.path.join(pki.dir, "eco-%d.log" % id(self))
        self._log = open(self.logpath, "wb")
        args = [TLS_ECO, cert, key, ca] + ([crlf] if crl else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("puerto "):
            raise RuntimeError("tls_eco did not start: %s" % self.log())
        self.port = int(line.split()[1])

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, count=1):
        ok = harness.wait_until(lambda: self.log().count(text) >= count, timeout=20)
        if not ok:
            raise AssertionError("%r not in the log:\n%s" % (text, self.log()))

    def close(self):
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.proc.returncode


class ServerSessions(tlslib.WithPki):
    def setUp(self):
        self.eco = Eco(self.pki)

    def tearDown(self):
        self.assertEqual(self.eco.close(), 0)

    def open(self, name="sucursal-norte", early=b"", **kw):
        """A TLS connection to tls_eco; 'early' goes in clear with the
        STARTTLS marker, so the ClientHello may follow in the same segment."""
        s = tlslib.connect(self.eco.port)
        s.sendall(b"STARTTLS" + early)
        return tlslib.client_context(self.pki, name, **kw).wrap_socket(
            s, server_hostname="localhost")

    def refused(self, name, why, **kw):
        """The server refuses this client: the handshake or the first read
        fails, and the log says why in one line."""
        before = self.eco.log().count(why)
        try:
            with self.open(name, **kw) as t:
                self.assertEqual(t.recv(100), b"")
        except (ssl.SSLError, ConnectionError):
            pass
        self.eco.wait_log(why, before + 1)

    def test_branch_handshake_identity_and_echo(self):
        with self.open() as t:
            self.assertEqual(t.version(), "TLSv1.3")
            self.assertEqual(t.selected_alpn_protocol(), "sunrpc")
            self.assertEqual(tlslib.read_line(t), b"identidad sucursal-norte\n")
            # Megabytes in pieces of many TLS records each, so that reads
            # find whole records already decrypted (tls_session_pending).
            # One thread: an ssl socket is not safe to read and write from
            # two at once.
            data = os.urandom(3 * 1024 * 1024)
            for off in range(0, len(data), 32768):
                piece = data[off:off + 32768]
                t.sendall(piece)
                got = b""
                while len(got) < len(piece):
                    chunk = t.recv(len(piece) - len(got))
                    self.assertTrue(chunk, "tls_eco closed early")
                    got += chunk
                self.assertEqual(got, piece)
        with self.open("sucursal-sur") as t:
            self.assertEqual(tlslib.read_line(t), b"identidad sucursal-sur\n")

    def test_many_sessions_at_once(self):
        errors = []

        def one(i):
            try:
                with self.open("sucursal-norte" if i % 2 else "sucursal-sur") as t:
                    tlslib.read_line(t)
                    for _ in range(20):
                        msg = os.urandom(1 + i * 97 % 20000)
                        t.sendall(msg)
                        got = b""
                        while len(got) < len(msg):
                            got += t.recv(len(msg) - len(got))
                        if got != msg:
                            errors.append("connection %d: echo differs" % i)
                            return
            except Exception as e:      # reported below, with the others
                errors.append("connection %d: %r" % (i, e))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(120)
        self.assertEqual(errors, [])

    def test_client_hello_already_read_by_the_transport(self):
        # The probe's reply not awaited: bytes of TLS already in the
        # transport's buffer are handed to the session (preread).
        s = tlslib.connect(self.eco.port)
        ctx = tlslib.client_context(self.pki, "sucursal-norte")
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        s.sendall(b"STARTTLS" + out.read())     # one segment
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                s.sendall(out.read())
                data = s.recv(65536)
                self.assertTrue(data)
                inc.write(data)
        s.sendall(out.read())
        line = b""
        while not line.endswith(b"\n"):
            try:
                line += obj.read(100)
            except ssl.SSLWantReadError:
                inc.write(s.recv(65536))
        self.assertEqual(line, b"identidad sucursal-norte\n")
        s.close()

    def test_no_client_certificate(self):
        self.refused(None, "no presentó certificado")

    def test_certificate_of_another_ca(self):
        self.refused("sucursal-intrusa",
                     "certificado rechazado: firmado por una CA que no es la de la cadena")

    def test_expired_certificate(self):
        self.refused("sucursal-caducada", "certificado rechazado: caducado")

    def test_revoked_certificate(self):
        self.refused("sucursal-revocada", "certificado rechazado: revocado")

    def test_tls12_refused(self):
        self.refused("sucursal-norte", "solo se admite TLS 1.3", tls12=True)

    def test_alpn_required(self):
        self.refused("sucursal-norte", "ALPN sunrpc", alpn=())
        self.refused("sucursal-norte", "ALPN sunrpc", alpn=("h2",))

    def test_garbage_instead_of_client_hello(self):
        s = tlslib.connect(self.eco.port)
        s.sendall(b"STARTTLS" + b"GET / HTTP/1.0\r\n\r\n" * 4)
        self.assertTrue(closes(s), "still open after garbage")
        s.close()
        self.eco.wait_log("no es un saludo TLS")

    def test_peer_leaves_mid_handshake(self):
        s = tlslib.connect(self.eco.port)
        s.sendall(b"STARTTLS\x16\x03\x01")
        s.close()
        self.eco.wait_log("la conexión se cerró durante el saludo TLS")

    def test_refusals_are_throttled(self):
        # The same refusal from one address, over and over: one line per
        # period (log.h, 5 s), then a count of the ones held back.
        start = time.monotonic()
        deadline = start + 60
        made = 0
        while "omitidos" not in self.eco.log() and time.monotonic() < deadline:
            try:
                with self.open(None) as t:
                    t.recv(10)
            except (ssl.SSLError, ConnectionError):
                pass
            made += 1
        self.assertRegex(self.eco.log(), r"\d+ avisos más como el anterior \(tls-?\d+ de "
                                         r"127\.0\.0\.1\) en 5 s, omitidos")
        lines = self.eco.log().count("rechazado:")
        periods = int((time.monotonic() - start) / 5) + 2
        self.assertLess(lines, made)
        self.assertLessEqual(lines, periods)


class ClientStream(tlslib.WithPki):
    """common/tls_client.c against a Python server that answers the probe
    (or not) and then speaks TLS with Python's ssl."""

    def serve(self, reply="starttls", ctx=None):
        """A one-connection fake server in a thread; returns its port and
        a dict that gets what it saw."""
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        seen = {}
        cert, key, ca, _ = self.pki.server_files()
        ctx = ctx or tlslib.server_context(cert, key, ca)

        def run():
            conn, _ = lsock.accept()
            conn.settimeout(20)
            with conn:
                mark, = struct.unpack(">I", conn.recv(4, socket.MSG_WAITALL))
                call = conn.recv(mark & 0x7FFFFFFF, socket.MSG_WAITALL)
                xid, _, _, _, _, proc, flavor = struct.unpack(">7I", call[:28])
                seen["flavor"], seen["proc"] = flavor, proc
                if reply == "denied":     # AUTH_ERROR, AUTH_REJECTEDCRED
                    body = struct.pack(">5I", xid, 1, 1, 1, 2)
                elif reply == "plain":    # accepted, AUTH_NONE empty verifier
                    body = struct.pack(">6I", xid, 1, 0, 0, 0, 0)
                else:
                    body = struct.pack(">5I", xid, 1, 0, 0, 8) + b"STARTTLS" + \
                        struct.pack(">I", 0)
                conn.sendall(struct.pack(">I", 0x80000000 | len(body)) + body)
                if reply != "starttls":
                    return
                try:
                    with ctx.wrap_socket(conn, server_side=True) as t:
                        seen["cn"] = tlslib.peer_cn(t)
                        seen["alpn"] = t.selected_alpn_protocol()
                        seen["version"] = t.version()
                        data = t.recv(4096)
                        t.sendall(data)
                except (ssl.SSLError, OSError) as e:
                    seen["error"] = repr(e)

        th = threading.Thread(target=run, daemon=True)
        th.start()
        self.addCleanup(lsock.close)
        self.addCleanup(th.join, 30)
        return lsock.getsockname()[1], seen

    def client(self, port, host="localhost", name="sucursal-norte", ca=None):
        cert, key = self.pki.cert(name)
        return subprocess.run([TLS_CLIENTE, cert, key, ca or self.pki.ca, host,
                               str(port), "sonda", "hola por TLS"],
                              capture_output=True, text=True, timeout=60)

    def test_probe_handshake_and_echo(self):
        port, seen = self.serve()
        r = self.client(port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "eco: hola por TLS\n")
        self.assertEqual((seen["flavor"], seen["proc"]), (tlslib.AUTH_TLS, 0))
        self.assertEqual(seen["cn"], "sucursal-norte")
        self.assertEqual((seen["alpn"], seen["version"]), ("sunrpc", "TLSv1.3"))

    def test_server_asked_by_address(self):
        port, _ = self.serve()
        r = self.client(port, host="127.0.0.1")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_server_without_tls(self):
        for reply, why in (("denied", "rechaza la credencial AUTH_TLS"),
                           ("plain", "sin STARTTLS")):
            port, _ = self.serve(reply)
            r = self.client(port)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn("sonda 0: ", r.stderr)
            self.assertIn(why, r.stderr)

    def test_server_certificate_for_another_name(self):
        port, _ = self.serve()
        r = self.client(port, host="otro.invalid")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("no es del nombre pedido", r.stderr)

    def test_server_certificate_of_another_ca(self):
        cert, key = self.pki.other_server_files()
        port, _ = self.serve(ctx=tlslib.server_context(cert, key, self.pki.ca))
        r = self.client(port)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("firmado por una CA que no es la de la cadena", r.stderr)

    def test_server_without_sunrpc(self):
        cert, key, ca, _ = self.pki.server_files()
        port, _ = self.serve(ctx=tlslib.server_context(cert, key, ca, alpn=("h2",)))
        r = self.client(port)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("ALPN sunrpc", r.stderr)

    def test_server_with_tls12_only(self):
        cert, key, ca, _ = self.pki.server_files()
        port, _ = self.serve(ctx=tlslib.server_context(cert, key, ca, tls12=True))
        r = self.client(port)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("versión de TLS", r.stderr)

    def test_client_against_server_module(self):
        # Both ends the project's code: the client's stream and tls_eco.
        eco = Eco(self.pki)
        try:
            cert, key = self.pki.cert("sucursal-sur")
            r = subprocess.run([TLS_CLIENTE, cert, key, self.pki.ca, "localhost",
                                str(eco.port), "crudo", "eco de punta a punta"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, "eco: identidad sucursal-sur\n"
                                       "eco de punta a punta\n")
        finally:
            eco.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
