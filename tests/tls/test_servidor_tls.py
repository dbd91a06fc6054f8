"""The real server speaking RPC-with-TLS (RFC 9289), with Python's ssl module
as the independent peer: the AUTH_TLS probe, the handshake, every procedure
inside TLS, --tls required, the certificates it refuses, origen and
--allow-write by identity."""
import os
import socket
import ssl
import struct
import subprocess
import unittest

import harness
import rpc
import tlslib
from rpc import OK

AUTH_ERROR, AUTH_REJECTEDCRED, AUTH_TOOWEAK = 1, 2, 5


def probe(sock, prog, vers=1):
    """Sends the AUTH_TLS probe; returns the reply's (reply_stat, verifier
    flavor, verifier body, accept_stat), or (1, reject_stat, auth_stat)."""
    sock.sendall(tlslib.probe_call(0x7A11, prog, vers))
    u = rpc.Unpacker(tlslib.read_record_sock(sock))
    assert (u.uint(), u.uint()) == (0x7A11, rpc.REPLY)
    stat = u.uint()
    if stat == rpc.MSG_DENIED:
        return (stat, u.uint(), u.uint())
    flavor, body = u.uint(), u.opaque()
    return (stat, flavor, body, u.uint())


class ConTls(tlslib.WithPki):
    def server(self, *args, tls=("--tls-cert", "--tls-key", "--tls-ca", "--tls-crl")):
        files = self.pki.server_files()
        extra = [x for pair in zip(tls, files) for x in pair]
        srv = harness.Server(args=extra + list(args))
        srv.start()
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def tls(self, srv, name="sucursal-norte", vers=3, cred=None, **kw):
        """An RPC client inside TLS: the probe, the handshake, then calls."""
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        self.assertEqual(probe(s, srv.program, vers), (0, rpc.AUTH_NONE, b"STARTTLS", 0))
        t = tlslib.client_context(self.pki, name, **kw).wrap_socket(
            s, server_hostname="localhost")
        self.addCleanup(t.close)
        return tlslib.rpc_client_on(t, srv.program, vers, cred)

    def refused(self, srv, name, why, **kw):
        """This client does not get a call through, and the log says why."""
        before = srv.log().count(why)
        try:
            c = self.tls(srv, name, **kw)
            c.null()
            self.fail("%s was let in" % name)
        except (ssl.SSLError, ConnectionError, EOFError, socket.timeout):
            pass
        self.assertTrue(harness.wait_until(lambda: srv.log().count(why) > before,
                                           timeout=20), srv.log())

    def test_probe_answered_starttls_and_every_procedure_inside(self):
        srv = self.server()
        c = self.tls(srv)
        self.assertEqual(c.sock.version(), "TLSv1.3")
        self.assertEqual(c.sock.selected_alpn_protocol(), "sunrpc")
        self.assertEqual(c.null(), b"")
        self.assertEqual(c.agregar("A1", "Cámara réflex", 12), OK)
        self.assertEqual(c.obtener("A1"), (OK, ("A1", "Cámara réflex", 12)))
        self.assertEqual(c.actualizar("A1", 10), OK)
        self.assertEqual(c.listar(), (OK, [("A1", "Cámara réflex", 10)]))
        self.assertEqual(c.ajustar("A1", -3, "venta", "k1")[0], OK)
        self.assertEqual(c.pagina(), (OK, [("A1", "Cámara réflex", 7)], False))
        e, movs, ultimo = c.movimientos()
        self.assertEqual((e, len(movs)), (OK, 3))
        e, movs2, _ = c.esperar(desde_seq=0, espera_ms=10)
        self.assertEqual((e, len(movs2)), (OK, 3))
        self.assertGreaterEqual(c.estado()["llamadas"], 8)
        self.assertEqual(c.eliminar("A1"), OK)
        # origen names the certificate, and AUTH_SYS counts for nothing.
        self.assertTrue(all(m["origen"] == "tls:sucursal-norte 127.0.0.1"
                            for m in movs), movs)
        sys_c = self.tls(srv, cred=rpc.auth_sys("caja1", 0))
        self.assertEqual(sys_c.agregar("B7", "Trípode", 4), OK)
        self.assertEqual(sys_c.movimientos(desde_seq=ultimo + 1)[1][-1]["origen"],
                         "tls:sucursal-norte 127.0.0.1")

    def test_clear_text_still_served_when_optional(self):
        srv = self.server()
        with srv.client(2) as c:
            self.assertEqual(c.agregar("p", "n", 1), OK)
            self.assertNotIn("tls:", c.movimientos()[1][0]["origen"])

    def test_required_refuses_clear_text_but_null(self):
        srv = self.server("--tls", "required")
        with srv.client(2) as c:
            self.assertEqual(c.null(), b"")
            for call in (lambda: c.obtener("A1"), lambda: c.listar(), c.estado,
                         lambda: c.agregar("p", "n", 1)):
                with self.assertRaises(rpc.RpcError) as cm:
                    call()
                self.assertEqual((cm.exception.kind, cm.exception.stat),
                                 ("denied", AUTH_ERROR))
                self.assertEqual(cm.exception.detail, None)
        r = subprocess.run(["rpcinfo", "-t", "127.0.0.1", str(srv.program), "1"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.tls(srv).obtener("A1")[0], rpc.NO_ENCONTRADO)
        self.assertIn("sin TLS", srv.log())

    def test_refused_certificates(self):
        srv = self.server()
        self.refused(srv, None, "no presentó certificado")
        self.refused(srv, "sucursal-intrusa", "firmado por una CA que no es la de la cadena")
        self.refused(srv, "sucursal-caducada", "caducado")
        self.refused(srv, "sucursal-revocada", "revocado")
        self.refused(srv, "sucursal-norte", "solo se admite TLS 1.3", tls12=True)
        self.refused(srv, "sucursal-norte", "ALPN sunrpc", alpn=())
        # The refusals cost the others nothing.
        self.assertEqual(self.tls(srv, "sucursal-sur").null(), b"")

    def test_garbage_instead_of_client_hello(self):
        srv = self.server()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        self.assertEqual(probe(s, srv.program)[2], b"STARTTLS")
        s.sendall(b"\x80\x00\x00\x28" + b"\x00" * 40)     # an RPC record, not TLS
        s.settimeout(20)
        got = tlslib.drain(s)                             # until the server closes
        s.close()
        self.assertTrue(got == b"" or got[:1] == b"\x15", got)   # at most an alert
        self.assertTrue(harness.wait_until(lambda: "no es un saludo TLS" in srv.log()))

    def test_handshake_that_never_completes_is_cut(self):
        srv = self.server("--call-timeout", "0.5")
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        self.assertEqual(probe(s, srv.program)[2], b"STARTTLS")
        s.sendall(b"\x16\x03\x01")                        # a ClientHello begins...
        self.assertEqual(tlslib.drain(s), b"")            # ...and is cut off
        s.close()

    def test_without_certificate_no_tls(self):
        with harness.Server() as srv:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            self.assertEqual(probe(s, srv.program), (1, 1, AUTH_REJECTEDCRED))
            s.close()
        srv = self.server("--tls", "off")
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        self.assertEqual(probe(s, srv.program), (1, 1, AUTH_REJECTEDCRED))
        s.close()

    def test_allow_write_by_identity(self):
        lista = os.path.join(self.pki.dir, "escritores")
        with open(lista, "w") as f:
            f.write("# sucursales que escriben\ntls:sucursal-sur\n")
        srv = self.server("--allow-write", "tls:sucursal-norte",
                          "--allow-write-file", lista)
        self.assertEqual(self.tls(srv, "sucursal-norte").agregar("n", "norte", 1), OK)
        self.assertEqual(self.tls(srv, "sucursal-sur").agregar("s", "sur", 1), OK)
        with srv.client(2) as c:                          # clear text: reads only
            self.assertEqual(c.obtener("n")[0], OK)
            with self.assertRaises(rpc.RpcError) as cm:
                c.agregar("x", "x", 1)
            self.assertEqual(cm.exception.kind, "denied")

    def test_options(self):
        cert, key, ca, crl = self.pki.server_files()
        for args, rc, why in (
                (["--tls", "required"], 2, "--tls-cert"),
                (["--tls-cert", cert], 2, "--tls-key"),
                (["--tls", "sí"], 2, "off, optional o required"),
                (["--tls-cert", cert, "--tls-key", key, "--tls-ca", "/no/existe"], 1,
                 "no se puede leer la CA /no/existe"),
                (["--allow-write", "sucursal-norte"], 2, "tls:NOMBRE")):
            r = subprocess.run([harness.SERVER, "--db", os.path.join(self.pki.dir, "x.db"),
                                "--program", str(harness.unique_program())] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, rc, r.stderr)
            self.assertIn(why, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
