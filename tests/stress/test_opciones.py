"""The command line of inventario-stress: help, version, misuse, no server."""
import json
import signal
import subprocess
import unittest

import harness
import stresslib as st
from stresslib import run


def estado_llamadas(srv):
    """The number of calls the server has answered (ESTADO)."""
    with srv.client(2) as c:
        return c.estado()["llamadas"]


class Opciones(unittest.TestCase):
    def test_help_lists_options_and_exit_codes(self):
        r = run(None, "--help")
        self.assertEqual(r.returncode, st.OK, r)
        for word in ("--clients", "--processes", "--duration", "--ops", "--products",
                     "--mix", "--verify", "--retry", "--dup-rate", "--bench",
                     "--bench-clients", "--db-dir", "--json", "--heavy-clients",
                     "--program", "--host", "--timeout", "--contra-servicio-real",
                     "--conservar", "--servidor", "Estado de salida"):
            self.assertIn(word, r.stdout)
        for code in range(7):
            self.assertRegex(r.stdout, r"\n  %d  " % code)
        self.assertEqual(r.stderr, "")

    def test_version(self):
        r = run(None, "--version")
        self.assertEqual(r.returncode, st.OK, r)
        self.assertRegex(r.stdout, r"^inventario-stress \d+\.\d+\.\d+\n$")

    def test_misuse_exits_2_with_a_reason(self):
        for args in (["--clients", "0"], ["--mix", "obtener=x"], ["--mix", "volar=1"],
                     ["--verify", "nada"], ["--retry"], ["--bench", "--verify", "churn"],
                     ["--program", "0"], ["--duration", "-1"], ["--prefix", " x"],
                     ["--bench-ops", "null,correr"], ["sobra"], ["--no-such-option"],
                     # -d is the server's --db: the duration has no letter.
                     ["-d", "3"], ["--clients"], ["-c"], ["--json=x"], ["-x"]):
            r = run(None, *args)
            self.assertEqual(r.returncode, st.USO, "%s: %s" % (args, r))
            self.assertIn("inventario-stress --help", r.stderr, args)
            # Spanish, not getopt's English.
            self.assertNotRegex(r.stderr, "unrecognized|requires an argument|"
                                "invalid option|doesn't allow", args)
            self.assertEqual(r.stdout, "", args)

    def test_no_server_exits_3(self):
        # A program number nobody registered (ours, before any server starts).
        prog = harness.unique_program()
        r = run(None, "--program", prog, "--host", "127.0.0.1", "--timeout", "2",
                "--ops", "10")
        self.assertEqual(r.returncode, st.INALCANZABLE, r)
        self.assertIn("no responde", r.stderr)

    def test_an_interrupted_run_reports_and_exits_6(self):
        # A run cut short by SIGINT or SIGTERM still prints its (partial)
        # report, and its exit status tells a script it was not a full run.
        with harness.Server(threads=4) as srv:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with self.subTest(signal=sig.name):
                    calls = estado_llamadas(srv)
                    p = subprocess.Popen(
                        st.command(srv, "--clients", "4", "--duration", "60",
                                   "--mix", "obtener=1", "--json"),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=st.env_with(), stdin=subprocess.DEVNULL)
                    # Under load once the server has seen its reads (the
                    # products it creates first take 1000 writes).
                    self.assertTrue(harness.wait_until(
                        lambda: estado_llamadas(srv) > calls + 2000, timeout=60))
                    p.send_signal(sig)
                    out, err = p.communicate(timeout=30)
                    self.assertEqual(p.returncode, st.INTERRUMPIDA, err)
                    self.assertIn("interrumpido", err)
                    report = json.loads(out)
                    self.assertEqual(report["salida"], st.INTERRUMPIDA)


if __name__ == "__main__":
    unittest.main(verbosity=2)
