"""A verification of inventario-stress fails when its invariant is broken.

The invariant is broken honestly, outside the tool: through the database
file behind the server's back, or with raw RPC calls from another client,
either while the load runs or through the tool's test hook (run after the
load, before the final read; see stress/verificar.h).  Every case must end
with exit status 1 and name the violation.
"""
import time
import unittest

import harness
import rpc
import stresslib as st
from stresslib import romper, run


class Fallos(unittest.TestCase):
    def setUp(self):
        self.srv = harness.Server(threads=8).start()

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def falla(self, r, texto):
        self.assertEqual(r.returncode, st.VERIFICACION, r)
        self.assertIn("VIOLACIÓN", r.stderr, r)
        self.assertIn(texto, r.stderr, r)
        self.assertIn("FALLIDA", r.stdout, r)

    def test_control_the_same_runs_pass(self):
        for modo in ("disjoint", "churn", "counter"):
            r = run(self.srv, "--verify", modo, "--clients", 8, "--ops", 400,
                    hook="true")
            self.assertEqual(r.returncode, st.OK, r)

    def test_counter_stock_changed_in_the_database(self):
        hook = romper("stock", self.srv.db, "{P}001", 7)
        r = run(self.srv, "--verify", "counter", "--clients", 16, "--ops", 800,
                hook=hook)
        self.falla(r, "001: stock final")
        self.assertIn("su último movimiento", r.stderr)

    def test_counter_movement_deleted_from_the_log(self):
        hook = romper("hueco", self.srv.db)
        r = run(self.srv, "--verify", "counter", "--clients", 16, "--ops", 800,
                hook=hook)
        self.falla(r, "hueco en el registro")

    def test_counter_foreign_adjustment_during_the_run(self):
        # Another client adjusts one of the run's products while it runs.
        p = st.start(self.srv, "--verify", "counter", "--clients", 8,
                     "--duration", 4, "--prefix", "intruso-")
        try:
            with self.srv.client(2) as c:
                deadline = time.monotonic() + 20
                while c.obtener("intruso-000")[0] != rpc.OK:
                    self.assertLess(time.monotonic(), deadline, "never created")
                    time.sleep(0.05)
                e, _ = c.ajustar("intruso-000", 1, "intruso", "")
                self.assertEqual(e, rpc.OK)
        finally:
            r = st.finish(p)
        self.falla(r, "movimiento ajeno")

    def test_disjoint_extra_id(self):
        hook = romper("extra", self.srv.program, "{P}c000-99999")
        r = run(self.srv, "--verify", "disjoint", "--clients", 16, "--ops", 800,
                hook=hook)
        self.falla(r, "id sobrante")

    def test_disjoint_lost_product(self):
        hook = romper("borrar-uno", self.srv.program)
        r = run(self.srv, "--verify", "disjoint", "--clients", 16, "--ops", 1600,
                "--products", 64, hook=hook)
        self.falla(r, "perdido")

    def test_churn_value_nobody_wrote(self):
        hook = romper("valor-ajeno", self.srv.program)
        r = run(self.srv, "--verify", "churn", "--clients", 16, "--ops", 800,
                hook=hook)
        self.falla(r, "que ninguna escritura de este id produjo")

    def test_churn_id_nobody_added(self):
        hook = romper("extra", self.srv.program, "{P}zz")
        r = run(self.srv, "--verify", "churn", "--clients", 16, "--ops", 800,
                hook=hook)
        self.falla(r, "nadie lo agregó")


if __name__ == "__main__":
    unittest.main(verbosity=2)
