"""inventario-stress never touches an inventory it did not create, unless
told in so many words.

"The service" here is a test server on a transient program that the tests
name as the real one through INVENTARIO_PROGRAM and INVENTARIO_HOST, which
the tool reads as the real service's address.  The real 541675094 is never
touched.  Its store is compared with `sqlite3 DB .dump` before and after.
"""
import os
import re
import signal
import subprocess
import tempfile
import unittest

import harness
import rpc
import stresslib as st


def volcado(db):
    """The whole store as SQL text: equal dumps, equal inventories."""
    p = subprocess.run(["sqlite3", db, ".dump"], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("sqlite3 .dump: %s" % p.stderr)
    return p.stdout


def productos(db):
    p = subprocess.run(["sqlite3", db, "SELECT id, nombre, stock FROM productos "
                        "ORDER BY id"], capture_output=True, text=True, timeout=60)
    return p.stdout


def movimientos(db):
    p = subprocess.run(["sqlite3", db, "SELECT count(*) FROM movimientos"],
                       capture_output=True, text=True, timeout=60)
    return int(p.stdout)


class Seguridad(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(threads=4).start()
        with cls.srv.client(1) as c:
            # Ids such as the tool's own would be, to see they stay put.
            for i, (id, stock) in enumerate((("A1", 12), ("st-0000001", 5),
                                             ("b-0000002", 7), ("v-000", 3))):
                c.agregar(id, "producto %d de la tienda" % i, stock)

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="stress-tmp-")
        self.addCleanup(self.tmp.cleanup)
        # The service, as the tool learns where the real one is.
        self.env = st.env_with()
        self.env.update(INVENTARIO_PROGRAM=str(self.srv.program),
                        INVENTARIO_HOST="127.0.0.1", TMPDIR=self.tmp.name)

    def run_tool(self, *args, timeout=st.HARD_TIMEOUT):
        p = subprocess.run([harness.STRESS] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=timeout,
                           env=self.env, stdin=subprocess.DEVNULL)
        return st.Result(p)

    def llamadas(self):
        with self.srv.client(2) as c:
            return c.estado()["llamadas"]

    def test_no_options_starts_its_own_server_and_leaves_the_service_alone(self):
        antes, llamadas = volcado(self.srv.db), self.llamadas()
        r = self.run_tool()             # no options at all: 10 s of load
        self.assertEqual(r.returncode, st.OK, r)
        self.assertEqual(volcado(self.srv.db), antes)
        # Our own ESTADO calls only: the tool never called the service.
        self.assertLessEqual(self.llamadas() - llamadas, 2)
        m = re.search(r"Servidor propio \(programa (\d+)\) parado", r.stdout)
        self.assertTrue(m, r)
        prog = int(m.group(1))
        self.assertNotEqual(prog, self.srv.program)
        self.assertGreaterEqual(prog, 0x40000000)
        self.assertLess(prog, 0x60000000)
        self.assertEqual(rpc.getport(prog, 1), 0)       # unregistered
        self.assertEqual(os.listdir(self.tmp.name), [])  # its store is gone

    def test_the_service_is_refused_without_the_flag(self):
        antes = volcado(self.srv.db)
        for args in (["--program", self.srv.program], ["--host", "127.0.0.1"],
                     ["--program", 541675094], ["--program", hex(541675094)]):
            with self.subTest(args=args):
                r = self.run_tool(*args, "--ops", 10, "--verify", "counter")
                self.assertEqual(r.returncode, st.USO, r)
                self.assertIn("--contra-servicio-real", r.stderr)
                self.assertEqual(r.stdout, "")
        self.assertEqual(volcado(self.srv.db), antes)

    def test_contra_servicio_real_deletes_what_it_created(self):
        antes, movs = productos(self.srv.db), movimientos(self.srv.db)
        for args in (["--ops", 300, "--products", 40],
                     ["--verify", "churn", "--ops", 200],
                     ["--verify", "counter", "--ops", 100]):
            with self.subTest(args=args):
                r = self.run_tool("--contra-servicio-real", "--json", *args)
                self.assertEqual(r.returncode, st.OK, r)
                d = r.json()
                self.assertFalse(d["servidor"]["propio"])
                self.assertEqual(d["servidor"]["programa"], self.srv.program)
                self.assertGreater(d["limpieza"]["borrados"], 0)
                self.assertEqual(productos(self.srv.db), antes)
        # It did run there: the log has the movements of what it did.
        self.assertGreater(movimientos(self.srv.db), movs)

    def test_a_mix_that_writes_nothing_writes_nothing(self):
        # NULL calls need no products: none are preloaded, so not even the
        # movement log grows.
        antes = volcado(self.srv.db)
        r = self.run_tool("--contra-servicio-real", "-c", 2, "-n", 200, "--mix",
                          "null=1,listar=1,estado=1")
        self.assertEqual(r.returncode, st.OK, r)
        self.assertEqual(volcado(self.srv.db), antes)

    def test_conservar_keeps_the_run_prefix(self):
        r = self.run_tool("--contra-servicio-real", "--conservar", "--json",
                          "--ops", 50, "--products", 20, "--mix", "obtener=1")
        self.assertEqual(r.returncode, st.OK, r)
        prefijo = r.json()["limpieza"]["prefijo"]
        self.assertTrue(r.json()["limpieza"]["conservados"])
        with self.srv.client(1) as c:
            _, prods = c.listar()
            mios = [p[0] for p in prods if p[0].startswith(prefijo)]
            self.assertEqual(len(mios), 20)
            for id in mios:
                c.eliminar(id)

    def test_own_server_conservar_keeps_its_folder(self):
        r = self.run_tool("--conservar", "--ops", 50, "--products", 20,
                          "--mix", "obtener=1")
        self.assertEqual(r.returncode, st.OK, r)
        carpetas = os.listdir(self.tmp.name)
        self.assertEqual(len(carpetas), 1)
        carpeta = os.path.join(self.tmp.name, carpetas[0])
        self.assertIn(carpeta, r.stderr)
        db = os.path.join(carpeta, "inventario.db")
        self.assertEqual(len(productos(db).splitlines()), 20)

    def test_own_server_missing_binary_exits_4(self):
        r = self.run_tool("--servidor", "/nonexistent/inventario-server", "--ops", 10)
        self.assertEqual(r.returncode, st.LOCAL, r)
        self.assertIn("/nonexistent/inventario-server", r.stderr)
        self.assertEqual(os.listdir(self.tmp.name), [])
        r = self.run_tool("--servidor", harness.SERVER, "--program", 0x40000001)
        self.assertEqual(r.returncode, st.USO, r)

    def test_interrupted_run_stops_its_own_server(self):
        p = subprocess.Popen([harness.STRESS, "--duration", "60", "--verbose"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=self.env, stdin=subprocess.DEVNULL)
        try:
            linea = p.stderr.readline()     # the first note: our own server
            m = re.search(r"programa (\d+)", linea)
            self.assertTrue(m, linea)
            prog = int(m.group(1))
            self.assertTrue(harness.wait_until(lambda: rpc.getport(prog, 1) != 0))
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, st.INTERRUMPIDA, err)
        self.assertEqual(rpc.getport(prog, 1), 0)
        self.assertEqual(os.listdir(self.tmp.name), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
