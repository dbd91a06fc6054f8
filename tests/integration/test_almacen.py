"""The store against the outside world: one server per file, a server that is
slow but alive, ids that look alike on screen."""
import glob
import os
import signal
import sqlite3
import stat
import subprocess
import threading
import unittest

import harness
import rpc
from rpc import ERROR_INTERNO, INVALIDO, OK


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


def productos_en(path):
    con = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in con.execute("SELECT id FROM productos"))
    finally:
        con.close()


class BloqueoExterno(unittest.TestCase):
    def test_external_exclusive_lock_delays_writes_only(self):
        with harness.Server() as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            other = sqlite3.connect(srv.db, isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")
            try:
                answers = []

                def write():
                    with srv.client(2, timeout=30) as w:
                        answers.append(w.ajustar("p", 1)[0])
                writer = threading.Thread(target=write)
                writer.start()
                # While the write waits for the lock, reads, NULL and ESTADO
                # answer within a timeout well below the write's 5 s wait.
                with srv.client(2, timeout=3) as c:
                    for _ in range(20):
                        self.assertEqual(c.null(), b"")
                        self.assertEqual(c.obtener("p"), (OK, ("p", "n", 1)))
                        self.assertEqual(c.pagina()[0], OK)
                        self.assertEqual(c.movimientos()[0], OK)
                        self.assertEqual(c.estado()["productos"], 1)
                writer.join(60)
                self.assertEqual(answers, [ERROR_INTERNO])
            finally:
                other.rollback()
                other.close()
            with srv.client(2) as c:                  # the lock gone, writes work
                self.assertEqual(c.ajustar("p", 1), (OK, ("p", "n", 2)))


class AlmacenQueNoSePuedeEscribir(unittest.TestCase):
    def start_refused(self, srv, *words):
        r = run_server("--db", srv.db, "--program", str(srv.program))
        self.assertEqual(r.returncode, 1, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        return r

    def test_read_only_file_and_folder_are_refused_at_start(self):
        with harness.Server() as srv:
            with srv.client(1) as c:
                self.assertEqual(c.agregar("p", "n", 1), OK)
            srv.stop()
            os.chmod(srv.db, 0o444)
            self.start_refused(srv, srv.db, "permiso de escritura")
            os.chmod(srv.db, 0o644)
            os.chmod(srv.dir, 0o555)
            try:
                self.start_refused(srv, srv.dir)
            finally:
                os.chmod(srv.dir, 0o755)
            srv.start()
            self.assertEqual(productos_en(srv.db), ["p"])

    def test_immutable_file_is_refused_at_start(self):
        with harness.Server() as srv:
            srv.stop()
            if subprocess.run(["chattr", "+i", srv.db], capture_output=True).returncode:
                self.skipTest("this filesystem has no immutable flag (chattr +i)")
            try:
                self.start_refused(srv, srv.db, "inmutable")
                self.assertEqual(os.path.getsize(srv.db + "-wal")
                                 if os.path.exists(srv.db + "-wal") else 0, 0)
            finally:
                subprocess.run(["chattr", "-i", srv.db], check=True)


class ArchivosBorrados(unittest.TestCase):
    def fill(self, srv, n):
        with srv.client(2) as c:
            for i in range(n):
                self.assertEqual(c.agregar("p%02d" % i, "n", i), OK)

    def test_deleted_database_is_noticed_and_nothing_acknowledged_is_lost(self):
        with harness.Server() as srv:
            self.fill(srv, 20)
            os.unlink(srv.db)
            with srv.client(2) as c:
                self.assertEqual(c.agregar("tarde", "n", 1), ERROR_INTERNO)
                self.assertEqual(c.ajustar("p00", 1)[0], ERROR_INTERNO)
                e = c.estado()
                self.assertFalse(e["almacen_ok"])
                self.assertEqual(e["productos"], 20)      # last known, not 0
                self.assertEqual(e["ultimo_seq"], 20)
                self.assertEqual(c.obtener("p05"), (OK, ("p05", "n", 5)))
            log = srv.log()
            self.assertEqual(log.count("fue borrado"), 1, log)
            copies = glob.glob(srv.db + ".recuperado-*")
            self.assertEqual(len(copies), 1, log)
            self.assertIn(copies[0], log)
            # Every acknowledged write is in the copy, nothing refused is.
            self.assertEqual(productos_en(copies[0]), ["p%02d" % i for i in range(20)])

    def test_deleted_wal_is_noticed_and_a_crash_loses_nothing(self):
        with harness.Server() as srv:
            self.fill(srv, 20)
            os.unlink(srv.db + "-wal")
            with srv.client(2) as c:
                self.assertEqual(c.estado()["almacen_ok"], False)
                self.assertEqual(c.agregar("tarde", "n", 1), ERROR_INTERNO)
                self.assertEqual(c.estado()["productos"], 20)
            self.assertIn("reinicie el servidor", srv.log())
            srv.kill9()
            self.assertEqual(productos_en(srv.db), ["p%02d" % i for i in range(20)])
            srv.start()
            with srv.client(2) as c:
                self.assertTrue(c.estado()["almacen_ok"])
                self.assertEqual(c.agregar("nuevo", "n", 1), OK)
                self.assertEqual(c.movimientos()[2], 21)

    def test_replaced_database_is_noticed(self):
        with harness.Server() as srv:
            self.fill(srv, 3)
            os.rename(srv.db, srv.db + ".viejo")
            sqlite3.connect(srv.db).close()            # another file, same name
            with srv.client(2) as c:
                self.assertEqual(c.agregar("tarde", "n", 1), ERROR_INTERNO)
                self.assertFalse(c.estado()["almacen_ok"])
            self.assertIn("fue sustituido", srv.log())


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
