"""Who may write, and who may read: the server's network allow-lists."""
import subprocess
import unittest

import harness
import rpc
from rpc import OK

AUTH_ERROR, AUTH_TOOWEAK = 1, 5


class Acceso(unittest.TestCase):
    def assert_refused(self, fn, *args):
        with self.assertRaises(rpc.RpcError) as cm:
            fn(*args)
        # MSG_DENIED / AUTH_ERROR: the reject_stat is AUTH_ERROR (1).
        self.assertEqual((cm.exception.kind, cm.exception.stat), ("denied", AUTH_ERROR))

    def test_writes_only_from_allowed_networks_reads_open(self):
        with harness.Server(args=["--allow-write", "10.0.0.0/8",
                                  "--allow-write", "fd00::/8"]) as srv:
            with srv.client(2) as c:
                self.assert_refused(c.agregar, "p", "n", 1)
                self.assert_refused(c.actualizar, "p", 1)
                self.assert_refused(c.eliminar, "p")
                self.assert_refused(c.ajustar, "p", 1)
                self.assertEqual(c.null(), b"")                 # ping stays open
                self.assertEqual(c.obtener("p")[0], rpc.NO_ENCONTRADO)
                self.assertEqual(c.listar(), (OK, []))
                self.assertEqual(c.movimientos()[2], 0)
                self.assertEqual(c.obtener("q")[0], rpc.NO_ENCONTRADO)  # still usable
            srv.stop()
            log = srv.log()
            # Throttled (one line per kind and address every few seconds),
            # and the rest counted.
            self.assertEqual(log.count("rechazada"), 1)
            self.assertIn("AGREGAR_PRODUCTO de 127.0.0.1 rechazada: esa red no puede escribir", log)
            self.assertIn("3 avisos más como el anterior", log)

    def test_client_explains_a_refused_write(self):
        with harness.Server(args=["--allow-write", "10.0.0.0/8"]) as srv:
            cmd = [harness.CLIENT, "--program", str(srv.program)]
            r = subprocess.run(cmd + ["agregar", "p", "Producto", "1"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 10)
            self.assertIn("no permite hacer cambios desde esta máquina", r.stderr)
            self.assertIn("--allow-write", r.stderr)
            r = subprocess.run(cmd + ["--json", "agregar", "p", "Producto", "1"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 10)
            self.assertIn("SIN_PERMISO", r.stderr)      # --json: errors on stderr
            r = subprocess.run(cmd + ["listar"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0)

    def test_allowed_network_writes(self):
        with harness.Server(args=["--allow-write", "127.0.0.0/8", "--allow-write", "::1"]) as srv:
            with srv.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            with srv.client(1, host="::1") as c:
                self.assertEqual(c.actualizar("p", 2), OK)

    def test_only_ipv4_loopback_may_write(self):
        with harness.Server(args=["--allow-write", "127.0.0.1/32"]) as srv:
            with srv.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            with srv.client(1, host="::1") as c:
                self.assert_refused(c.actualizar, "p", 2)
                self.assertEqual(c.obtener("p"), (OK, ("p", "n", 1)))

    def test_reads_restricted_too(self):
        with harness.Server(args=["--allow-read", "10.0.0.0/8"]) as srv:
            with srv.client(2) as c:
                self.assert_refused(c.obtener, "p")
                self.assert_refused(c.listar)
                self.assert_refused(c.agregar, "p", "n", 1)      # limited as well
                self.assertEqual(c.null(), b"")
        with harness.Server(args=["--allow-read", "10.0.0.0/8",
                                  "--allow-write", "127.0.0.1"]) as srv:
            with srv.client(2) as c:                             # writers may read
                self.assertEqual(c.agregar("p", "n", 1), OK)
                self.assertEqual(c.obtener("p")[0], OK)



if __name__ == "__main__":
    unittest.main(verbosity=2)
