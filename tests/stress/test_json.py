"""--json: one JSON object on stdout with the expected fields, for each mode."""
import os
import tempfile
import unittest

import harness
import stresslib as st
from stresslib import run

LAT = {"p50", "p95", "p99", "max", "media"}
# The client library's outcomes (lib/resultado.h), the same for the client.
ESTADOS = {"OK", "ERROR_INTERNO", "USO", "INVALIDO", "NO_ENCONTRADO", "YA_EXISTE",
           "STOCK_INSUFICIENTE", "SIN_SERVIDOR", "TIEMPO_AGOTADO", "NO_OFRECIDO",
           "SIN_PERMISO", "PROTOCOLO", "CANCELADO", "SIN_TLS", "ARCHIVO"}


class Json(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(threads=4).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def comun(self, d, modo):
        self.assertEqual(d["herramienta"], "inventario-stress")
        self.assertEqual(d["modo"], modo)
        self.assertEqual(d["salida"], 0)
        self.assertEqual(d["config"]["programa"], self.srv.program)

    def operaciones(self, ops):
        self.assertTrue(ops)
        for o in ops:
            self.assertEqual(set(o["lat_ms"]), LAT)
            self.assertEqual(set(o["estados"]), ESTADOS)
            self.assertEqual(sum(o["estados"].values()), o["llamadas"])
            self.assertLessEqual(o["lat_ms"]["p50"], o["lat_ms"]["p99"])
            self.assertLessEqual(o["lat_ms"]["p99"], o["lat_ms"]["max"])
            self.assertGreaterEqual(o["ops_s"], 0)

    def test_load(self):
        r = run(self.srv, "--json", "--clients", 4, "--ops", 400, "--products", 50,
                "--mix", "null=1,obtener=5,listar=1,agregar=1,actualizar=2,eliminar=1,"
                "ajustar=1,movimientos=1,pagina=1,estado=1",
                "--heavy-clients", 1, "--heavy-op", "listar")
        self.assertEqual(r.returncode, st.OK, r)
        d = r.json()
        self.comun(d, "carga")
        res = d["resultado"]
        self.operaciones(res["operaciones"])
        self.assertEqual(res["llamadas"], 400)
        self.assertEqual(res["errores"], 0, r)
        self.assertEqual({o["op"] for o in res["operaciones"]},
                         {"null", "obtener", "listar", "agregar", "actualizar",
                          "eliminar", "ajustar", "movimientos", "pagina", "estado"})
        self.assertEqual([o["op"] for o in d["pesados"]["operaciones"]], ["listar"])

    def test_load_processes(self):
        r = run(self.srv, "--json", "--clients", 3, "--processes", "--ops", 300,
                "--products", 50, "--mix", "obtener=3,actualizar=1")
        self.assertEqual(r.returncode, st.OK, r)
        d = r.json()
        self.assertTrue(d["config"]["procesos"])
        self.assertEqual(d["resultado"]["llamadas"], 300)
        self.operaciones(d["resultado"]["operaciones"])

    def test_bench_without_a_usable_db_dir_exits_4(self):
        r = run(self.srv, "--bench", "--bench-clients", 1, "--bench-seconds", "0.1",
                "--products", 10, "--db-dir", "/nonexistent/dir")
        self.assertEqual(r.returncode, st.LOCAL, r)
        self.assertIn("/nonexistent/dir", r.stderr)

    def test_verification(self):
        r = run(self.srv, "--json", "--verify", "churn", "--clients", 4, "--ops", 200)
        self.assertEqual(r.returncode, st.OK, r)
        d = r.json()
        self.comun(d, "verificacion")
        self.operaciones(d["resultado"]["operaciones"])
        v = d["verificacion"]
        self.assertEqual(set(v), {"modo", "ok", "completada", "violaciones",
                                  "inciertas", "detalles", "datos", "productos"})
        self.assertEqual(v["modo"], "churn")

    def test_bench(self):
        with self.srv.client(1) as c:
            _, antes = c.listar()
        with tempfile.TemporaryDirectory() as dir:
            r = run(self.srv, "--json", "--bench", "--bench-clients", "1,2",
                    "--bench-seconds", "0.3", "--products", 50, "--db-dir", dir,
                    "--bench-ops", "obtener,actualizar,agregar,eliminar,mixto")
            self.assertEqual(os.listdir(dir), [])      # the scratch db is gone
        self.assertEqual(r.returncode, st.OK, r)
        d = r.json()
        self.comun(d, "bench")
        b = d["bench"]
        self.assertEqual(b["maquina"]["nproc"], os.cpu_count())
        medidas = b["disco"]["medidas"]
        self.assertEqual([m["antes_de_clientes"] for m in medidas], [1, 2])
        for m in medidas:
            self.assertGreater(m["commits_s"], 0)
        filas = {(f["clientes"], f["escenario"]): f for f in b["filas"]}
        self.assertEqual(set(filas), {(c, e) for c in (1, 2) for e in
                                      ("null", "obtener", "actualizar", "agregar",
                                       "eliminar", "mixto")})
        for (c, e), f in filas.items():
            self.assertEqual(f["errores"], 0, f)
            self.assertEqual(set(f["lat_ms"]), {"p50", "p95", "p99", "max"})
            if e == "null":
                self.assertEqual(f["x_null"], 1.0)
            if e in ("actualizar", "agregar", "eliminar"):
                self.assertGreater(f["x_disco"], 0)
                self.assertAlmostEqual(f["x_disco"] * f["disco_commits_s"],
                                       f["ops_s"], delta=f["ops_s"] * 1e-6)
            else:
                self.assertIsNone(f["x_disco"])
        # Nothing the benchmark created is left behind.
        self.assertTrue(d["config"]["prefijo"].startswith("b"))
        self.assertEqual(d["limpieza"]["prefijo"], d["config"]["prefijo"])
        self.assertGreaterEqual(d["limpieza"]["borrados"], 50)
        with self.srv.client(1) as c:
            _, despues = c.listar()
        self.assertEqual(despues, antes)


class Rechazos(unittest.TestCase):
    """A server that refuses our writes (--allow-write elsewhere): refused
    calls are counted as such, are not uncertain, and break no invariant."""

    def test_refused_writes(self):
        with harness.Server(args=["--allow-write", "10.0.0.0/8"]) as srv:
            r = run(srv, "--json", "--clients", 2, "--ops", 100, "--no-preload",
                    "--mix", "obtener=1,actualizar=1")
            self.assertEqual(r.returncode, st.OK, r)
            ops = {o["op"]: o for o in r.json()["resultado"]["operaciones"]}
            self.assertEqual(ops["actualizar"]["estados"]["SIN_PERMISO"],
                             ops["actualizar"]["llamadas"])
            self.assertEqual(ops["obtener"]["estados"]["SIN_PERMISO"], 0)
            r = run(srv, "--json", "--verify", "disjoint", "--clients", 2,
                    "--ops", 100)
            self.assertEqual(r.returncode, st.OK, r)
            self.assertEqual(r.json()["verificacion"]["inciertas"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
