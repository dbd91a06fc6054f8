"""Start, stop, restart, refusal: the server's life cycle against rpcbind."""
import os
import signal
import sqlite3
import subprocess
import time
import unittest

import harness
import rpc
from rpc import OK


def run_server(*args, timeout=10):
    return subprocess.run([harness.SERVER] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


class CicloDeVida(unittest.TestCase):
    def test_restart_keeps_the_data(self):
        with harness.Server() as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("p", "Cámara", 5), OK)
                self.assertEqual(c.ajustar("p", -2, "venta", "k")[0], OK)
            self.assertEqual(srv.restart().proc.returncode, None)
            with srv.client(2) as c:
                self.assertEqual(c.obtener("p"), (OK, ("p", "Cámara", 3)))
                self.assertEqual(c.movimientos()[2], 2)
                self.assertEqual(c.ajustar("p", -2, "venta", "k"), (OK, ("p", "Cámara", 3)))
            self.assertIn("1 productos y 2 movimientos en %s" % srv.db, srv.log())

    def test_startup_log_says_what_it_found(self):
        with harness.Server() as srv:
            self.assertRegex(srv.log(), r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} info: "
                             r"0 productos y 0 movimientos en " + srv.db)
            self.assertTrue(os.path.exists(srv.db))

    def test_second_instance_is_refused(self):
        with harness.Server() as first:
            r = run_server("--db", first.db + "-otra", "--program", str(first.program))
            self.assertEqual(r.returncode, 1)
            self.assertIn("ya hay un servidor activo en el programa %d" % first.program, r.stderr)
            self.assertFalse(os.path.exists(first.db + "-otra"))
            with first.client(1) as c:                # the first still serves
                self.assertEqual(c.agregar("p", "n", 1), OK)
            self.assertTrue({(1, "tcp"), (2, "tcp")} <= rpc.registrations(first.program))

    def test_stale_registration_is_cleared(self):
        with harness.Server() as srv:
            old_port = srv.port
            srv.kill9()                                # leaves rpcbind entries behind
            self.assertIn((1, "tcp"), rpc.registrations(srv.program))
            srv.start()
            self.assertNotEqual(srv.port, 0)
            with srv.client(1) as c:
                self.assertEqual(c.null(), b"")
            del old_port

    def test_sigterm_unregisters_and_exits_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig), harness.Server() as srv:
                c = srv.client(1)                      # an open, idle connection
                self.assertEqual(c.agregar("p", "n", 1), OK)
                srv.proc.send_signal(sig)
                self.assertEqual(srv.proc.wait(10), 0)
                c.close()
                self.assertEqual(rpc.registrations(srv.program), set())
                self.assertIn("detenido", srv.log())
                con = sqlite3.connect(srv.db)
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                self.assertEqual(con.execute("SELECT stock FROM productos WHERE id='p'")
                                 .fetchone()[0], 1)
                con.close()

    def test_sigterm_finishes_the_call_in_flight(self):
        with harness.Server(threads=2) as srv:
            srv.prefill(("p%06d" % i + "x" * 56, "n" * 256, i) for i in range(20000))
            # A 6.6 MB listing, more than the kernel buffers hold, to a
            # client that does not read yet: the worker is still writing it
            # when SIGTERM arrives, and the server waits for it.
            port = rpc.getport(srv.program, 1)
            with rpc.Client("127.0.0.1", port, srv.program, 1, timeout=30, rcvbuf=4096) as c:
                c.send_raw(rpc.record(rpc.call_header(99, srv.program, 1, 4)))
                time.sleep(0.3)
                srv.proc.send_signal(signal.SIGTERM)
                time.sleep(0.2)
                self.assertIsNone(srv.proc.poll())       # still finishing the call
                u = rpc.Unpacker(rpc.Client.parse_reply(c.recv_record(), 99))
                self.assertEqual(u.uint(), OK)
                self.assertEqual(u.uint(), 20000)
            self.assertEqual(srv.proc.wait(10), 0)

    def test_not_a_database_is_refused_and_untouched(self):
        with harness.Server() as srv:
            srv.stop()
            junk = os.path.join(srv.dir, "inventario.json")
            data = b'[{"id": "x", "nombre": "Camara", "stock": 5}]\n' * 200
            with open(junk, "wb") as f:
                f.write(data)
            r = run_server("--db", junk, "--program", str(srv.program))
            self.assertEqual(r.returncode, 1)
            self.assertIn("no es una base de datos SQLite válida", r.stderr)
            with open(junk, "rb") as f:
                self.assertEqual(f.read(), data)
            self.assertEqual(rpc.registrations(srv.program), set())

    def test_missing_folder_is_a_clear_error(self):
        r = run_server("--db", "/nonexistent-dir/x/inv.db", "--program",
                       str(harness.unique_program()))
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent-dir/x/inv.db", r.stderr)

    def test_options(self):
        r = run_server("--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for opt in ("--db", "--program", "--listen", "--threads", "--sync", "--version",
                    "Estado de salida"):
            self.assertIn(opt, r.stdout)
        r = run_server("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^inventario-server \d+\.\d+\.\d+\n$")
        for bad in (["--threads", "0"], ["--threads", "x"], ["--sync", "rapido"],
                    ["--program", "-1"], ["--listen", "localhost"], ["--no-such"],
                    ["extra"], ["--port", "70000"]):
            with self.subTest(args=bad):
                r = run_server(*bad)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn("--help", r.stderr)

    def test_program_number_in_hex(self):
        prog = harness.unique_program()
        with harness.Server(program=prog, args=[]) as srv:
            pass
        srv = harness.Server(program=prog)
        srv.command = lambda: [harness.SERVER, "--db", srv.db, "--program", hex(prog)]
        with srv:
            self.assertIn((1, "tcp"), rpc.registrations(prog))

    def test_verbose_logs_each_request(self):
        with harness.Server(args=["-v"]) as srv:
            with srv.client(2) as c:
                c.agregar("p", "n", 1)
                c.obtener("zz")
            srv.stop()
            log = srv.log()
            self.assertIn("AGREGAR_PRODUCTO de 127.0.0.1: OK", log)
            self.assertIn("OBTENER_PRODUCTO de 127.0.0.1: NO_ENCONTRADO", log)
        with harness.Server() as quiet:
            with quiet.client(1) as c:
                c.agregar("p", "n", 1)
            quiet.stop()
            self.assertNotIn("AGREGAR_PRODUCTO", quiet.log())

    def test_sync_normal_and_listen_options(self):
        with harness.Server(args=["--sync", "normal", "--listen", "127.0.0.1"]) as srv:
            self.assertIn("sincronización normal", srv.log())
            self.assertEqual(rpc.registrations(srv.program),
                             {(1, "tcp"), (2, "tcp"), (3, "tcp")})
            with srv.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            con = sqlite3.connect(srv.db)
            self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
            con.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
