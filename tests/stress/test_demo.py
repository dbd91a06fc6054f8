"""scripts/demo-concurrencia.sh proves what it says: it passes on a working
server, and fails loudly (exit 1, the product marked) when a stock differs
from what the clients that changed it expect."""
import os
import re
import subprocess
import unittest

import harness

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     os.pardir, os.pardir))
DEMO = os.path.join(ROOT, "scripts", "demo-concurrencia.sh")
# The build folder of the binaries under test: <build>/stress/inventario-stress.
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(harness.STRESS)))


def demo(**extra):
    env = dict(os.environ, PREPARAR="no", BUILD_DIR=BUILD, CLIENTES="2",
               SEGUNDOS="2", STRESS_CLIENTES="4", **extra)
    env.pop("INVENTARIO_STRESS_ANTES_DE_VERIFICAR", None)
    return subprocess.run(["sh", DEMO], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


class Demo(unittest.TestCase):
    def test_correct_run(self):
        p = demo()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Resultado: CORRECTO", p.stdout)
        self.assertIn("todos con el stock esperado", p.stdout)
        for id in ("demo-c1-1", "demo-c2-2", "demo-c2-3", "demo-compartido"):
            self.assertIn(id, p.stdout)
        self.assertNotIn("NO COINCIDE", p.stdout)

    def test_a_stock_changed_behind_everyones_back_fails(self):
        cambio = '"%s" --program "$DEMO_PROGRAMA" ajustar demo-compartido 5' % (
            harness.CLIENT)
        p = demo(DEMO_ANTES_DEL_VEREDICTO=cambio)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Resultado: FALLÓ", p.stdout)
        linea = [l for l in p.stdout.splitlines()
                 if re.match(r"demo-compartido +\d+ +\d+ ", l)]
        self.assertEqual(len(linea), 1, p.stdout)
        self.assertIn("NO COINCIDE", linea[0])
        self.assertIn("1 de ", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
