"""No acknowledged write is lost: kill -9, full disks, failing disks."""
import os
import random
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import harness
import rpc
from rpc import OK, ERROR_INTERNO


def check_database(testcase, path):
    """integrity_check passes and the movement log is gapless and chained."""
    con = sqlite3.connect(path)
    try:
        testcase.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        seqs = [r[0] for r in con.execute("SELECT seq FROM movimientos ORDER BY seq")]
        testcase.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        last = {}
        for tipo, pid, antes, despues in con.execute(
                "SELECT tipo, id, stock_antes, stock_despues FROM movimientos ORDER BY seq"):
            if tipo != rpc.ALTA:
                testcase.assertEqual(antes, last.get(pid), "movement chain of %s" % pid)
            last[pid] = None if tipo == rpc.BAJA else despues
        stock = dict(con.execute("SELECT id, stock FROM productos"))
        testcase.assertEqual(stock, {k: v for k, v in last.items() if v is not None})
    finally:
        con.close()


class KillNueve(unittest.TestCase):
    def test_kill9_during_a_stream_of_writes_loses_no_acknowledged_write(self):
        with harness.Server(threads=4) as srv:
            for round_ in range(3):
                acked, inflight, stop = {}, {}, threading.Event()

                def writer(n):
                    try:
                        with srv.client(1, timeout=5) as c:
                            pid = "w%d" % n
                            if c.obtener(pid)[0] != OK:
                                c.agregar(pid, "Escritor %d" % n, 0)
                            v = c.obtener(pid)[1][2]
                            acked[pid] = v
                            while not stop.is_set():
                                v += 1
                                inflight[pid] = v
                                if c.actualizar(pid, v) == OK:
                                    acked[pid] = v
                    except (OSError, ConnectionError, EOFError):
                        pass                            # the server was killed

                threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
                for t in threads:
                    t.start()
                time.sleep(random.uniform(0.4, 1.0))
                srv.kill9()
                stop.set()
                for t in threads:
                    t.join()
                self.assertTrue(all(v > 0 for v in acked.values()) or round_ > 0)
                srv.start()
                with srv.client(1) as c:
                    for pid, v in acked.items():
                        got = c.obtener(pid)[1][2]
                        # The acknowledged value, or the one whose reply the
                        # kill cut off: never older than what was acknowledged.
                        self.assertIn(got, (v, inflight.get(pid)), pid)
                check_database(self, srv.db)


class Strace:
    """Fault injection into a live server's system calls (strace -e inject)."""

    def __init__(self, pid, syscall, errno_name):
        self.p = subprocess.Popen(
            ["strace", "-f", "-p", str(pid), "-e", "trace=" + syscall,
             "-e", "inject=%s:error=%s" % (syscall, errno_name), "-o", "/dev/null"],
            stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:                  # until every thread is held
            if "attached" in line:
                break
        time.sleep(0.1)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(10)
        self.p.stderr.close()


class FallosDeAlmacenamiento(unittest.TestCase):
    FAULTS = [("pwrite64", "ENOSPC"), ("pwrite64", "EROFS"), ("pwrite64", "EIO"),
              ("fdatasync", "EIO")]

    def test_injected_faults_answer_error_interno_and_change_nothing(self):
        for syscall, err in self.FAULTS:
            with self.subTest(fault=(syscall, err)), harness.Server(threads=2) as srv:
                with srv.client(2) as c:
                    self.assertEqual(c.agregar("a", "Producto", 1), OK)
                    fault = Strace(srv.pid, syscall, err)
                    try:
                        self.assertEqual(c.actualizar("a", 2), ERROR_INTERNO)
                        self.assertEqual(c.agregar("b", "Otro", 1), ERROR_INTERNO)
                        self.assertEqual(c.ajustar("a", 5, "", "k")[0], ERROR_INTERNO)
                        self.assertEqual(c.eliminar("a"), ERROR_INTERNO)
                        # Reads are served meanwhile, and show nothing changed.
                        self.assertEqual(c.obtener("a"), (OK, ("a", "Producto", 1)))
                        self.assertEqual(c.listar(), (OK, [("a", "Producto", 1)]))
                        self.assertEqual(c.movimientos()[2], 1)
                    finally:
                        fault.stop()
                    # The disk is back.  Even a crash right after the next
                    # call (a read) brings none of the refused writes back.
                    self.assertEqual(c.obtener("a")[1][2], 1)
                srv.kill9()
                srv.start()
                with srv.client(2) as c:
                    self.assertEqual(c.listar(), (OK, [("a", "Producto", 1)]))
                    self.assertEqual(c.movimientos()[2], 1)
                    # Writes work again (here after a restart; the test above
                    # the fault's stop shows they need none).
                    self.assertEqual(c.actualizar("a", 3), OK)
                    self.assertEqual(c.ajustar("a", 5, "", "k"), (OK, ("a", "Producto", 8)))
                check_database(self, srv.db)
                self.assertIn("almacén: ", srv.log())      # and the log says why

    def test_writes_resume_without_a_restart(self):
        with harness.Server(threads=2) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("a", "Producto", 1), OK)
                fault = Strace(srv.pid, "fdatasync", "EIO")
                try:
                    self.assertEqual(c.actualizar("a", 2), ERROR_INTERNO)
                finally:
                    fault.stop()
                self.assertEqual(c.actualizar("a", 3), OK)
                self.assertEqual(c.obtener("a")[1][2], 3)
            srv.kill9()
            srv.start()
            with srv.client(2) as c:
                self.assertEqual(c.obtener("a")[1][2], 3)
                self.assertEqual(c.movimientos()[2], 2)
            check_database(self, srv.db)

    def test_full_disk(self):
        mnt = tempfile.mkdtemp(prefix="inventario-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, "mounting a small tmpfs needs root: " + r.stderr)
        try:
            self.full_disk(mnt)
        finally:
            subprocess.run(["umount", "-l", mnt])
            os.rmdir(mnt)

    def full_disk(self, mnt):
        db = os.path.join(mnt, "inventario.db")
        with harness.Server(threads=2, db=db) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("a", "Producto", 1), OK)
                filler = os.path.join(mnt, "relleno")
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                for size in (65536, 512, 1):           # fill every free byte
                    try:
                        while True:
                            os.write(fd, b"\0" * size)
                    except OSError:
                        pass
                os.close(fd)
                acked, failed = [], []
                for i in range(3000):                  # until the disk says no
                    pid = "p%04d" % i
                    e = c.agregar(pid, "n" * 250, i)
                    (acked if e == OK else failed).append(pid)
                    self.assertIn(e, (OK, ERROR_INTERNO))
                    if e == ERROR_INTERNO:
                        break
                self.assertEqual(len(failed), 1, "the disk never filled up")
                self.assertEqual(c.obtener(failed[0])[0], rpc.NO_ENCONTRADO)
                self.assertEqual(c.obtener("a"), (OK, ("a", "Producto", 1)))
                self.assertEqual(len(c.listar()[1]), 1 + len(acked))
                os.unlink(filler)
                self.assertEqual(c.agregar(failed[0], "n", 1), OK)
            srv.kill9()
            srv.start()
            with srv.client(1) as c:
                ids = set(p[0] for p in c.listar()[1])
            self.assertEqual(ids, set(["a"] + acked + failed))
            check_database(self, db)


if __name__ == "__main__":
    unittest.main(verbosity=2)
