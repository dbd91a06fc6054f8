"""ESPERAR_MOVIMIENTOS (version 3) against a real server: the long poll.

It answers at once when something newer exists, within moments of a
matching commit when not, and at espera_ms with an empty list and the
current ultimo_seq when nothing comes; a waiting call holds no worker, so
100 of them on a server with --threads 2 leave every other call served.
No timing is asserted beyond generous bounds that only a missing wake-up
(a reply that waits for espera_ms) can break.
"""
import threading
import time
import unittest

import harness
from harness import wait_until
import rpc
from rpc import OK

# Long enough that a reply coming at espera_ms instead of at the commit is
# unmistakable, even on a loaded machine.
LONG_MS = 30000


def waiter(srv, results, key, **kw):
    def run():
        try:
            with srv.client(3, timeout=LONG_MS / 1000 + 20) as c:
                t0 = time.monotonic()
                r = c.esperar(**kw)
                results[key] = (r, time.monotonic() - t0)
        except Exception as e:              # reported by the test
            results[key] = (e, None)
    t = threading.Thread(target=run)
    t.start()
    return t


class Esperar(unittest.TestCase):
    def test_answers_at_once_when_something_is_newer(self):
        with harness.Server(threads=2) as srv, srv.client(3) as c:
            self.assertEqual(c.agregar("a", "A", 1), OK)
            e, movs, ultimo = c.esperar(0, "", 0, LONG_MS)
            self.assertEqual((e, [m["id"] for m in movs], ultimo), (OK, ["a"], 1))

    def test_a_commit_wakes_the_matching_waiters_only(self):
        with harness.Server(threads=2) as srv, srv.client(3) as c:
            self.assertEqual(c.agregar("a", "A", 1), OK)
            self.assertEqual(c.agregar("b", "B", 1), OK)
            res = {}
            ts = [waiter(srv, res, "todos", desde_seq=2, espera_ms=LONG_MS),
                  waiter(srv, res, "a", desde_seq=2, id="a", espera_ms=LONG_MS),
                  waiter(srv, res, "b", desde_seq=2, id="b", espera_ms=3000)]
            self.assertTrue(wait_until(lambda: c.estado()["conexiones"] >= 4, 10))
            time.sleep(0.3)                 # let the three park (no assertion on it)
            self.assertEqual(c.ajustar("a", 5, "venta"), (OK, ("a", "A", 6)))
            for t in ts:
                t.join(LONG_MS / 1000 + 30)
            for k in ("todos", "a"):
                (e, movs, ultimo), took = res[k]
                self.assertEqual((e, [m["seq"] for m in movs], ultimo), (OK, [3], 3), k)
                self.assertLess(took, LONG_MS / 1000 / 2, k + ": woken by the commit")
            # The waiter on "b" saw no movement of its own: it ends at its
            # espera_ms, empty, with the current ultimo_seq.
            (e, movs, ultimo), took = res["b"]
            self.assertEqual((e, movs, ultimo), (OK, [], 3))
            self.assertGreaterEqual(took, 2.5)

    def test_times_out_empty_with_the_current_seq(self):
        with harness.Server(threads=2) as srv, srv.client(3) as c:
            self.assertEqual(c.agregar("a", "A", 1), OK)
            t0 = time.monotonic()
            self.assertEqual(c.esperar(1, "", 0, 500), (OK, [], 1))
            self.assertGreaterEqual(time.monotonic() - t0, 0.45)
            # Capped at INV_ESPERA_MAX_MS; 0 answers at once.
            self.assertEqual(c.esperar(1, "", 0, 0), (OK, [], 1))
            # Validation as for MOVIMIENTOS.
            self.assertEqual(c.esperar(0, " p", 0, 10)[0], rpc.INVALIDO)
            # Not in versions 1 and 2.
            with self.assertRaises(rpc.RpcError) as cm:
                c.call(10, rpc.Packer().uhyper(0).string("").uint(0).uint(0).bytes(),
                       vers=2)
            self.assertEqual(cm.exception.stat, rpc.PROC_UNAVAIL)

    def test_a_hundred_waiters_hold_no_worker(self):
        with harness.Server(threads=2) as srv, srv.client(3) as c:
            self.assertEqual(c.agregar("a", "A", 1), OK)
            res = {}
            ts = [waiter(srv, res, i, desde_seq=1, espera_ms=LONG_MS) for i in range(100)]
            self.assertTrue(wait_until(lambda: c.estado()["conexiones"] >= 101, 20))
            time.sleep(0.5)
            # Two threads, a hundred calls waiting: every other call is served.
            for _ in range(20):
                t0 = time.monotonic()
                self.assertEqual(c.obtener("a"), (OK, ("a", "A", 1)))
                self.assertLess(time.monotonic() - t0, 2.0)
            self.assertEqual(c.actualizar("a", 7), OK)
            for t in ts:
                t.join(LONG_MS / 1000 + 30)
            for i in range(100):
                r, took = res[i]
                self.assertEqual(r[0], OK, r)
                self.assertEqual([m["seq"] for m in r[1]], [2], i)
                self.assertLess(took, LONG_MS / 1000 / 2, "waiter %d woken by the commit" % i)
            self.assertGreaterEqual(c.estado()["llamadas"], 100)

    def test_stop_answers_the_waiters(self):
        srv = harness.Server(threads=2).start()
        try:
            res = {}
            t = waiter(srv, res, "w", desde_seq=0, espera_ms=LONG_MS)
            with srv.client(3) as c:
                self.assertTrue(wait_until(lambda: c.estado()["conexiones"] >= 2, 10))
            time.sleep(0.3)
            self.assertEqual(srv.stop(), 0)
            t.join(30)
            (e, movs, ultimo), took = res["w"]
            self.assertEqual((e, movs, ultimo), (OK, [], 0))
            self.assertLess(took, LONG_MS / 1000 / 2)
        finally:
            srv.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
