"""The store against the outside world: one server per file, a server that is
slow but alive, ids that look alike on screen."""
import os
import signal
import subprocess
import unittest

import harness
import rpc
from rpc import INVALIDO, OK


def run_server(*args, timeout=30):
    return subprocess.run([harness.SERVER] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


class UnServidorPorAlmacen(unittest.TestCase):
    def test_second_server_on_the_same_file_names_the_first(self):
        with harness.Server() as first:
            with first.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            r = run_server("--db", first.db, "--program", str(harness.unique_program()))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("PID %d" % first.pid, r.stderr)
            self.assertIn(first.db, r.stderr)
            with first.client(2) as c:                 # the first is untouched
                self.assertEqual(c.agregar("q", "n", 1), OK)
                self.assertEqual(c.movimientos()[2], 2)
            # Once the first is gone (even by SIGKILL) the file is free.
            first.kill9()
            first.start()
            with first.client(2) as c:
                self.assertEqual(c.obtener("q"), (OK, ("q", "n", 1)))

    def test_stopped_server_is_not_taken_over(self):
        with harness.Server() as first:
            port = first.port
            os.kill(first.pid, signal.SIGSTOP)
            try:
                # Another store, the same program: the NULL gets no answer,
                # but the first is alive and keeps its registration.
                r = run_server("--db", first.db + "-otra", "--program",
                               str(first.program))
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("sigue vivo", r.stderr)
                self.assertIn("PID %d" % first.pid, r.stderr)
                self.assertFalse(os.path.exists(first.db + "-otra"))
                # The same store: refused at once by the lock.
                r = run_server("--db", first.db, "--program", str(first.program))
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn("PID %d" % first.pid, r.stderr)
                self.assertEqual(rpc.getport(first.program, 1), port)
            finally:
                os.kill(first.pid, signal.SIGCONT)
            with first.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)


class IdsQueSeParecen(unittest.TestCase):
    def test_invisible_and_bidi_characters_are_refused(self):
        bad = ["a\u202eb", "\u202eabc", "a\u200bb", "\ufeffa", "a\ufeff",
               "a\u00a0", "\u00a0a", "a\u3000", "a\u2060b"]
        with harness.Server() as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("a", "n", 1), OK)
                for i in bad:
                    self.assertEqual(c.agregar(i, "n", 1), INVALIDO, ascii(i))
                    self.assertEqual(c.obtener(i)[0], INVALIDO, ascii(i))
                    self.assertEqual(c.agregar("x", i, 1), INVALIDO, ascii(i))
                    self.assertEqual(c.pagina(i)[0], INVALIDO, ascii(i))
                    self.assertEqual(c.movimientos(0, i)[0], INVALIDO, ascii(i))
                self.assertEqual(c.agregar("a\u00a0b", "n\u00a0m", 1), OK)
                self.assertEqual([p[0] for p in c.pagina()[1]], ["a", "a\u00a0b"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
