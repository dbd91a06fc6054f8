"""--retry and --dup-rate: an adjustment is applied exactly once, whatever happens.

The server is killed (SIGKILL) and restarted on the same database while
clients adjust: calls in flight fail, some after their commit, and are
resent with the same key on a new connection.  The counter check must still
be exact.  Without --retry, calls cut short are left unknown, and the check
resolves them from the movement log.
"""
import itertools
import signal
import time
import unittest

import harness
import rpc
import stresslib as st

PREFIJOS = itertools.count()


class Reintentos(unittest.TestCase):
    def setUp(self):
        self.srv = harness.Server(threads=8).start()

    def tearDown(self):
        self.srv.__exit__(None, None, None)

    def interrumpir(self, p, como, producto=None):
        """Waits until the run's load is going (its first product exists, if
        it names one), lets it run a little, then interrupts the server once."""
        if producto is not None:
            deadline = time.monotonic() + 30
            with self.srv.client(1) as c:
                while c.obtener(producto)[0] != rpc.OK:
                    self.assertIsNone(p.poll(), "the run ended before its load")
                    self.assertLess(time.monotonic(), deadline, "no load after 30 s")
                    time.sleep(0.05)
        time.sleep(1.0)
        self.assertIsNone(p.poll(), "the run ended too early")
        if como == "kill9":
            self.srv.kill9()
            time.sleep(0.3)
            self.srv.start()
        else:
            self.srv.proc.send_signal(signal.SIGSTOP)
            time.sleep(1.5)
            self.srv.proc.send_signal(signal.SIGCONT)

    def correr(self, como, *args):
        prefijo = "r%d-" % next(PREFIJOS)
        p = st.start(self.srv, "--json", "--verify", "counter", "--clients", 16,
                     "--duration", 4, "--timeout", "0.5", "--prefix", prefijo, *args)
        try:
            self.interrumpir(p, como, prefijo + "000")
        finally:
            r = st.finish(p)
        self.assertEqual(r.returncode, st.OK, r)
        v = r.json()["verificacion"]
        self.assertTrue(v["ok"], r)
        return v

    def test_retry_across_a_server_crash(self):
        v = self.correr("kill9", "--retry")
        self.assertGreater(v["datos"]["reintentos"], 0, v)
        self.assertEqual(v["inciertas"], 0, v)

    def test_retry_across_timeouts(self):
        v = self.correr("stop", "--retry", "--dup-rate", "0.05")
        self.assertGreater(v["datos"]["reintentos"], 0, v)
        self.assertEqual(v["inciertas"], 0, v)

    def test_without_retry_unknown_calls_resolved_from_the_log(self):
        v = self.correr("stop")
        self.assertGreater(v["inciertas"], 0, v)
        self.assertEqual(v["datos"]["reintentos"], 0, v)

    def test_fail_on_error_exits_5_after_timeouts(self):
        p = st.start(self.srv, "--clients", 4, "--duration", 4, "--timeout", "0.5",
                     "--products", 20, "--mix", "obtener=1", "--fail-on-error",
                     "--prefix", "f-")
        try:
            self.interrumpir(p, "stop", "f-0000019")
        finally:
            r = st.finish(p)
        self.assertEqual(r.returncode, st.ERRORES, r)
        self.assertIn("TIEMPO_AGOTADO", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
