"""Each verification mode of inventario-stress passes against a real server.

Short runs (about two seconds, or a bounded number of calls) with 16 and 64
clients, as threads and as processes.  Only outcomes are asserted, never
timings.
"""
import unittest

import harness
import stresslib as st
from stresslib import run


class Verificaciones(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(threads=8).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def verificar(self, *args):
        r = run(self.srv, "--json", "--verify", *args)
        self.assertEqual(r.returncode, st.OK, r)
        d = r.json()
        v = d["verificacion"]
        self.assertTrue(v["ok"], r)
        self.assertTrue(v["completada"], r)
        self.assertEqual(v["violaciones"], 0, r)
        self.assertEqual(v["detalles"], [])
        self.assertGreater(d["resultado"]["llamadas"], 0, r)
        return d

    def test_disjoint_16(self):
        d = self.verificar("disjoint", "--clients", 16, "--duration", 2)
        datos = d["verificacion"]["datos"]
        self.assertEqual(datos["listados"], datos["presentes_esperados"])

    def test_churn_16(self):
        d = self.verificar("churn", "--clients", 16, "--duration", 2)
        self.assertGreater(d["verificacion"]["datos"]["escrituras_confirmadas"], 0)

    def test_counter_16(self):
        d = self.verificar("counter", "--clients", 16, "--duration", 2)
        datos = d["verificacion"]["datos"]
        ajustar = [o for o in d["resultado"]["operaciones"] if o["op"] == "ajustar"][0]
        self.assertEqual(datos["ajustes_confirmados"], ajustar["estados"]["OK"])
        self.assertEqual(datos["movimientos_leidos"], datos["ultimo_seq"])

    def test_disjoint_64(self):
        self.verificar("disjoint", "--clients", 64, "--ops", 3000, "--products", 640)

    def test_churn_64(self):
        self.verificar("churn", "--clients", 64, "--ops", 3000, "--products", 16)

    def test_counter_64_with_keys_and_duplicates(self):
        d = self.verificar("counter", "--clients", 64, "--ops", 3000, "--retry",
                           "--dup-rate", "0.1")
        self.assertGreater(d["verificacion"]["datos"]["duplicados_enviados"], 0)

    def test_processes(self):
        for modo in ("disjoint", "churn", "counter"):
            with self.subTest(modo=modo):
                self.verificar(modo, "--clients", 16, "--processes", "--ops", 800)

    def test_ipv6(self):
        r = run(None, "--program", self.srv.program, "--host", "::1", "--verify",
                "counter", "--clients", 4, "--ops", 200)
        self.assertEqual(r.returncode, st.OK, r)
        self.assertIn("CORRECTA", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
