"""Group commit seen from outside: writes share syncs, a failed sync fails
exactly the writes it was to make durable, and a write that fails its own
check leaves the others of its batch alone.

The number of syncs is counted with strace on the live server; the results
are checked in the SQLite file itself."""
import signal
import subprocess
import threading
import unittest

import harness
import rpc
from rpc import OK, ERROR_INTERNO, NO_ENCONTRADO
from test_durabilidad import Strace, check_database

CLIENTS = 16


def run_clients(srv, n, body):
    """n threads, each with its own connection, run body(client, i)."""
    errors = []

    def one(i):
        try:
            with srv.client(2) as c:
                body(c, i)
        except Exception as e:          # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class CountSyncs:
    """Counts the fdatasync calls of a live server (strace -c)."""

    def __init__(self, pid):
        self.p = subprocess.Popen(
            ["strace", "-f", "-c", "-e", "trace=fdatasync", "-p", str(pid)],
            stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:
            if "attached" in line:
                break

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        out = self.p.stderr.read()
        self.p.wait(10)
        for line in out.splitlines():
            fields = line.split()
            if fields and fields[-1] == "fdatasync":
                return int(fields[3])
        return 0


class ConfirmacionEnGrupo(unittest.TestCase):
    def test_concurrent_writes_share_syncs_even_with_one_thread(self):
        # With one thread running requests, a write waiting for its sync
        # must step aside so that others can join the next one: otherwise
        # every write would have a sync to itself.
        per_client = 40
        with harness.Server(threads=1) as srv:
            with srv.client(2) as c:
                for i in range(CLIENTS):
                    self.assertEqual(c.agregar("g%02d" % i, "Producto", 0), OK)
            syncs = CountSyncs(srv.pid)
            try:
                def sell(c, i):
                    for k in range(per_client):
                        self.assertEqual(c.ajustar("g%02d" % i, 1)[0], OK)
                run_clients(srv, CLIENTS, sell)
            finally:
                n = syncs.stop()
            writes = CLIENTS * per_client
            self.assertGreater(n, 0)
            self.assertLess(n, writes / 2, "%d syncs for %d writes" % (n, writes))
            with srv.client(2) as c:
                for i in range(CLIENTS):
                    self.assertEqual(c.obtener("g%02d" % i)[1][2], per_client)
            srv.stop()
            check_database(self, srv.db)

    def test_a_failed_sync_fails_every_write_it_held_and_no_other(self):
        # Many writers at once while every sync fails: each write that
        # would change something answers ERROR_INTERNO, a write that fails
        # its own check alone keeps its own answer or ERROR_INTERNO (when a
        # failed sync took its batch down), and the file holds none of them.
        with harness.Server(threads=2) as srv:
            with srv.client(2) as c:
                for i in range(CLIENTS):
                    self.assertEqual(c.agregar("f%02d" % i, "Producto", 10), OK)
                before = c.movimientos()[2]
            answers = {}
            fault = Strace(srv.pid, "fdatasync", "EIO")
            try:
                def write(c, i):
                    got = [c.ajustar("f%02d" % i, -1)[0],
                           c.actualizar("f%02d" % i, 99),
                           c.agregar("n%02d" % i, "Nuevo", 1),
                           c.ajustar("no-existe-%02d" % i, 1)[0]]
                    answers[i] = got
                run_clients(srv, CLIENTS, write)
            finally:
                fault.stop()
            for i, got in answers.items():
                self.assertEqual(got[:3], [ERROR_INTERNO] * 3, i)
                self.assertIn(got[3], (NO_ENCONTRADO, ERROR_INTERNO), i)
            # The disk is back: nothing of the refused writes is there, even
            # after a crash, and writes work again.
            srv.kill9()
            srv.start()
            with srv.client(2) as c:
                self.assertEqual(c.movimientos()[2], before)
                for i in range(CLIENTS):
                    self.assertEqual(c.obtener("f%02d" % i), (OK, ("f%02d" % i, "Producto", 10)))
                    self.assertEqual(c.obtener("n%02d" % i)[0], NO_ENCONTRADO)
                self.assertEqual(c.ajustar("f00", -1), (OK, ("f00", "Producto", 9)))
            srv.stop()
            check_database(self, srv.db)

    def test_checks_that_fail_inside_a_batch_leave_the_others_alone(self):
        # 16 writers at once on one product, each also making writes that
        # fail their own checks: only the good ones land, in one gapless,
        # chained movement log.
        with harness.Server(threads=2) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("compartido", "Producto", 160), OK)

            def write(c, i):
                for k in range(10):
                    self.assertEqual(c.ajustar("compartido", -1)[0], OK)
                    self.assertEqual(c.ajustar("compartido", -1000)[0], rpc.STOCK_INSUFICIENTE)
                    self.assertEqual(c.agregar("compartido", "Otro", 1), rpc.YA_EXISTE)
                    self.assertEqual(c.actualizar("falta-%d" % i, 1), NO_ENCONTRADO)
            run_clients(srv, CLIENTS, write)
            with srv.client(2) as c:
                self.assertEqual(c.obtener("compartido")[1][2], 0)
                self.assertEqual(c.movimientos()[2], 1 + CLIENTS * 10)
            srv.stop()
            check_database(self, srv.db)


if __name__ == "__main__":
    unittest.main()
