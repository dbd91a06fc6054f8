"""scripts/inventario.sh, the README's first command: start, reuse, menu,
status and stop, on this build, a temporary state folder and a transient
program number (never the service's own 541675094)."""
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
import rpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "inventario.sh")
BUILD = os.environ.get("INVENTARIO_BUILD_DIR", "")


class InventarioSh(unittest.TestCase):
    def setUp(self):
        if not os.path.isfile(os.path.join(BUILD, "CMakeCache.txt")):
            self.skipTest("INVENTARIO_BUILD_DIR is not a build folder")
        self.dir = tempfile.mkdtemp(prefix="inventario-sh-")
        self.program = harness.unique_program()
        self.env = dict(os.environ, BUILD_DIR=BUILD, INVENTARIO_DIR=self.dir,
                        INVENTARIO_PROGRAM=str(self.program))

    def tearDown(self):
        # Whatever happened, the server this test started goes, by its PID.
        try:
            with open(os.path.join(self.dir, "servidor.pid")) as f:
                pid = int(f.read())
            with open("/proc/%d/comm" % pid) as f:
                if f.read().startswith("inventario-serv"):
                    os.kill(pid, 9)
        except (OSError, ValueError):
            pass
        for v in (1, 2, 3):
            rpc.unset(self.program, v)
        shutil.rmtree(self.dir, ignore_errors=True)

    def sh(self, *args, stdin=""):
        return subprocess.run([SCRIPT, *args], input=stdin, capture_output=True,
                              text=True, env=self.env, timeout=120)

    def test_life_cycle(self):
        p = self.sh("status")
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)

        # The menu: started in the background, then the client; 0 leaves.
        p = self.sh(stdin="4\n0\n")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("servidor en marcha (PID", p.stdout)
        self.assertIn("No hay productos en el inventario.", p.stdout)
        with open(os.path.join(self.dir, "servidor.pid")) as f:
            pid = int(f.read())
        os.kill(pid, 0)                                   # still serving
        self.assertTrue(os.path.isfile(os.path.join(self.dir, "inventario.db")))
        self.assertIn((1, "tcp"), rpc.registrations(self.program))

        # Again: the same server is reused.
        p = self.sh("start")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("ya está en marcha (PID %d" % pid, p.stdout)

        # Options for the client, alone or after "menu", go through to it.
        p = self.sh("--timeout", "10", stdin="0\n")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Hasta luego.", p.stdout)
        p = self.sh("menu", "-t", "cero", stdin="0\n")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("valor inválido para -t: 'cero'", p.stderr)

        p = self.sh("status")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("en marcha (PID %d)" % pid, p.stdout)
        self.assertIn("Almacén:              responde correctamente", p.stdout)

        p = self.sh("stop")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("servidor detenido (PID %d)" % pid, p.stdout)
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        self.assertEqual(rpc.registrations(self.program), set())
        self.assertFalse(os.path.exists(os.path.join(self.dir, "servidor.pid")))
        with open(os.path.join(self.dir, "servidor.log")) as f:
            self.assertIn("detenido;", f.read())

    def test_a_server_that_cannot_start_is_reported(self):
        with open(os.path.join(self.dir, "inventario.db"), "w") as f:
            f.write("esto no es una base de datos SQLite\n")
        p = self.sh("start")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no es una base de datos SQLite válida", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "servidor.pid")))

    def test_unknown_order(self):
        p = self.sh("bogus")
        self.assertEqual(p.returncode, 2)
        self.assertIn("Uso: scripts/inventario.sh", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
