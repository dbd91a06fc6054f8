"""scripts/benchmark.sh in its short mode (--rapido), with a small "large"
store, so that the script cannot rot: it runs every part of the table,
prints it, and leaves no server and no file behind.  Its figures are not
looked at: speed belongs to the real run, not to a shared test machine."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
import rpc

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     os.pardir, os.pardir))
SCRIPT = os.path.join(ROOT, "scripts", "benchmark.sh")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(harness.STRESS)))


class Benchmark(unittest.TestCase):
    def test_rapido(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cifras.json")
            env = dict(os.environ, PREPARAR="no", BUILD_DIR=BUILD, TMPDIR=tmp)
            p = subprocess.run(["sh", SCRIPT, "--rapido", "--millon",
                                "--productos-grande", "2000", "--json", out],
                               capture_output=True, text=True, env=env, timeout=240,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(os.listdir(tmp), ["cifras.json"])   # stores gone
            with open(out) as f:
                res = json.load(f)
        for fila in ("NULL", "OBTENER", "AJUSTAR (durable)", "ACTUALIZAR (durable)",
                     "80/20 OBTENER/AJUSTAR", "LISTAR_PAGINA (100)",
                     "OBTENER, BEGIN EXCLUSIVE", "1000 productos | 2000 productos",
                     "Construir el almacén de 2000 productos"):
            self.assertIn(fila, p.stdout)
        if shutil.which("redis-server") and shutil.which("redis-benchmark"):
            self.assertIn("NULL / PING_MBULK", p.stdout)
        else:
            self.assertIn("Redis: no está instalado", p.stdout)
        self.assertEqual(len(res["rondas"]), 1)
        ronda = res["rondas"][0]
        for tienda in ("mil", "grande"):
            self.assertEqual({k.split("@")[0] for k in ronda[tienda]},
                             {"null", "obtener", "ajustar", "actualizar", "mixto",
                              "pagina"})
        for prog in res["programas"]:
            self.assertEqual(rpc.getport(prog, 1), 0)

    def test_without_redis_says_so(self):
        env = dict(os.environ, PREPARAR="no", BUILD_DIR=BUILD)
        p = subprocess.run(["sh", SCRIPT, "--rapido", "--sin-redis", "--segundos",
                            "0.1", "--clientes", "1"], capture_output=True, text=True,
                           env=env, timeout=240, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Redis: no medido (--sin-redis)", p.stdout)
        self.assertIn("una ronda, 0.1 s por medida", p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
