"""inventario-client with --tls, against a server written with Python's ssl
(servidor_falso.py) and against the real server: the probe, the handshake,
every call inside TLS, and never clear text when TLS is not to be had."""
import os
import shutil
import subprocess
import unittest

import harness
import rpc
import servidor_falso
import tlslib


class ClienteTls(tlslib.WithPki):
    def falso(self, **kw):
        s = servidor_falso.Servidor(self.pki, **kw)
        self.addCleanup(s.close)
        return s

    def client(self, program, *args, name="sucursal-norte", host="localhost",
               tls=("--tls",), env=None):
        cert, key = self.pki.cert(name)
        cmd = [harness.CLIENT, "--host", host, "--program", str(program), "--timeout", "10"]
        cmd += list(tls) + ["--tls-cert", cert, "--tls-key", key, "--tls-ca", self.pki.ca]
        return subprocess.run(cmd + list(args), capture_output=True, text=True,
                              timeout=60, env=env)

    def test_every_call_inside_tls(self):
        s = self.falso()
        for host in ("localhost", "127.0.0.1"):
            r = self.client(s.program, "obtener", "A1", host=host)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Cámara réflex", r.stdout)
        self.assertEqual(s.peers, [("sucursal-norte", "sunrpc", "TLSv1.3")] * 2)
        # The probe in clear, then only calls inside TLS, and AUTH_NONE
        # there: over TLS the certificate says who calls.
        probes = [x for x in s.seen if not x[2]]
        self.assertEqual(probes, [(tlslib.AUTH_TLS, 0, False)] * 2)
        inside = [x for x in s.seen if x[2]]
        self.assertIn((rpc.AUTH_NONE, 2, True), inside)
        self.assertTrue(all(f == rpc.AUTH_NONE for f, _, _ in inside), s.seen)

    def test_environment_variables(self):
        s = self.falso()
        cert, key = self.pki.cert("sucursal-sur")
        env = dict(os.environ, INVENTARIO_TLS="1", INVENTARIO_TLS_CERT=cert,
                   INVENTARIO_TLS_KEY=key, INVENTARIO_TLS_CA=self.pki.ca)
        r = subprocess.run([harness.CLIENT, "--program", str(s.program), "obtener", "A1"],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s.peers[0][0], "sucursal-sur")

    def test_never_falls_back_to_clear_text(self):
        for probe, why in (("denied", "rechaza la credencial AUTH_TLS"),
                           ("plain", "sin STARTTLS")):
            s = self.falso(probe=probe)
            r = self.client(s.program, "obtener", "A1")
            self.assertEqual(r.returncode, 13, r.stderr)
            self.assertIn("no ofrece RPC con TLS", r.stderr)
            self.assertIn(why, r.stderr)
            self.assertIn("nunca se habla en claro", r.stderr)
            # Only probes: not one call in clear text.
            self.assertTrue(s.seen and all(x == (tlslib.AUTH_TLS, 0, False)
                                           for x in s.seen), s.seen)

    def test_server_without_tls_support(self):
        with harness.Server() as srv:
            with srv.client(2) as c:
                before = c.estado()["llamadas"]
                r = self.client(srv.program, "listar")
                self.assertEqual(r.returncode, 13, r.stderr)
                self.assertIn("El servidor en localhost no ofrece RPC con TLS", r.stderr)
                # Nothing but our own ESTADO was answered meanwhile.
                self.assertEqual(c.estado()["llamadas"], before + 1)

    def test_server_certificate_checked(self):
        cert, key = self.pki.other_server_files()
        s = self.falso(ctx=tlslib.server_context(cert, key, self.pki.ca))
        r = self.client(s.program, "obtener", "A1")
        self.assertEqual(r.returncode, 13, r.stderr)
        self.assertIn("No se pudo establecer TLS con el servidor en localhost", r.stderr)
        self.assertIn("firmado por una CA que no es la de la cadena", r.stderr)
        self.assertEqual(s.peers, [])

    def tls_server(self, pki_dir=None, *args):
        cert, key, ca, crl = self.pki.server_files()
        if pki_dir is not None:
            crl = os.path.join(pki_dir, "crl.pem")
        srv = harness.Server(args=["--tls-cert", cert, "--tls-key", key, "--tls-ca", ca,
                                   "--tls-crl", crl] + list(args))
        srv.start()
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def test_real_server_every_call_inside_tls(self):
        srv = self.tls_server(None, "--tls", "required")
        r = self.client(srv.program, "agregar", "A1", "Cámara réflex", "12")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.client(srv.program, "ajustar", "A1", "-3", "--motivo", "venta")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.client(srv.program, "--json", "movimientos", name="sucursal-sur")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count('"origen": "tls:sucursal-norte 127.0.0.1"'), 2,
                         r.stdout)
        r = self.client(srv.program, "obtener", "A1", tls=())    # clear text: refused
        self.assertEqual(r.returncode, 2, r.stderr)
        cert, key = self.pki.cert("sucursal-norte")
        r = subprocess.run([harness.CLIENT, "--program", str(srv.program), "obtener", "A1"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 10, r.stderr)

    def test_stress_over_tls(self):
        srv = self.tls_server(None, "--tls", "required")
        cert, key = self.pki.cert("sucursal-sur")
        r = subprocess.run([harness.STRESS, "-p", str(srv.program), "--host", "localhost",
                            "--clients", "4", "--ops", "400", "--tls", "--tls-cert", cert,
                            "--tls-key", key, "--tls-ca", self.pki.ca, "--fail-on-error"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_crl_revokes_one_branch_the_others_go_on(self):
        ca = os.path.join(self.pki.dir, "copia")
        shutil.copytree(self.pki.a, ca)
        self.addCleanup(shutil.rmtree, ca, True)
        srv = self.tls_server(ca)
        for name in ("sucursal-norte", "sucursal-sur"):
            self.assertEqual(self.client(srv.program, "estado", name=name).returncode, 0)
        subprocess.run([tlslib.CERTIFICADOS, ca, "revocar", "sucursal-sur"], check=True,
                       capture_output=True, timeout=60)
        srv.restart()                   # the CRL is read at start
        r = self.client(srv.program, "estado", name="sucursal-sur")
        self.assertEqual(r.returncode, 13, r.stderr)
        self.assertIn("nuestro certificado está revocado", r.stderr)
        self.assertEqual(self.client(srv.program, "estado",
                                     name="sucursal-norte").returncode, 0)
        self.assertIn("revocado", srv.log())

    def test_options_misused(self):
        r = subprocess.run([harness.CLIENT, "--tls-ca", self.pki.ca, "listar"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("solo se usan con --tls", r.stderr)
        r = subprocess.run([harness.CLIENT, "--tls", "listar"],
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items()
                                if not k.startswith("INVENTARIO_TLS")})
        self.assertEqual(r.returncode, 2)
        self.assertIn("con --tls hace falta --tls-cert", r.stderr)
        cert, key = self.pki.cert("sucursal-norte")
        r = subprocess.run([harness.CLIENT, "--tls", "--tls-cert", cert, "--tls-key", key,
                            "--tls-ca", "/no/existe.pem", "listar"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no se puede leer la CA /no/existe.pem", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
