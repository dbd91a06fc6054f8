"""Several servers on one PostgreSQL database: one inventory, one gapless log,
retry keys that hold across servers, and clients that go on when a server dies."""
import random
import threading
import time
import unittest

import harness
import pglib
import rpc
from rpc import OK, INVALIDO

PG = None


def setUpModule():
    global PG
    PG = pglib.for_module()


def servers(test, n=2, threads=8):
    """n servers on one new database, each under its own program number,
    stopped and removed when the test ends."""
    uri = PG.create_database()
    out = []
    for _ in range(n):
        srv = harness.Server(db=uri, threads=threads)
        test.addCleanup(srv.__exit__, None, None, None)
        out.append(srv.start())
    return out


def whole_log(c):
    """Every movement, oldest first, page by page; and the newest seq."""
    movs, seq = [], 0
    while True:
        e, page, ultimo = c.movimientos(seq, "", 1000)
        assert e == OK, e
        if not page:
            return movs, ultimo
        movs += page
        seq = page[-1]["seq"]


def check_log(test, c, deltas, inicial):
    """The log is 1..N without a gap, the ALTA then one STOCK movement per
    applied adjustment, each chained on the one before; and its deltas are
    exactly the acknowledged ones."""
    movs, ultimo = whole_log(c)
    test.assertEqual([m["seq"] for m in movs], list(range(1, len(movs) + 1)))
    test.assertEqual(ultimo, len(movs))
    test.assertEqual(movs[0]["tipo"], rpc.ALTA)
    test.assertEqual(movs[0]["stock_despues"], inicial)
    for prev, m in zip(movs, movs[1:]):
        test.assertEqual(m["tipo"], rpc.STOCK)
        test.assertEqual(m["stock_antes"], prev["stock_despues"], m)
    test.assertEqual(sorted(m["stock_despues"] - m["stock_antes"] for m in movs[1:]),
                     sorted(deltas))


class VariosServidores(unittest.TestCase):
    INICIAL = 100000
    HILOS = 32
    LLAMADAS = 40

    def test_contador_compartido_32_hilos_en_dos_servidores(self):
        a, b = servers(self)
        with a.client(2) as c:
            self.assertEqual(c.agregar("contador", "Contador compartido", self.INICIAL), OK)
        acked, errors, lock = [], [], threading.Lock()

        def worker(n):
            srv = (a, b)[n % 2]
            rnd = random.Random(n)
            try:
                with srv.client(2, timeout=30) as c:
                    for i in range(self.LLAMADAS):
                        delta = rnd.choice([-5, -3, -2, -1, 1, 2, 3, 5])
                        e, p = c.ajustar("contador", delta, "venta", "h%d-%d" % (n, i))
                        with lock:
                            if e == OK:
                                acked.append(delta)
                            else:
                                errors.append(e)
            except Exception as ex:        # a thread's failure fails the test
                with lock:
                    errors.append(ex)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.HILOS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(acked), self.HILOS * self.LLAMADAS)
        final = self.INICIAL + sum(acked)
        for srv in (a, b):
            with srv.client(2) as c:
                self.assertEqual(c.obtener("contador")[1][2], final)
                st = c.estado()
                self.assertEqual((st["productos"], st["ultimo_seq"]), (1, 1 + len(acked)))
                self.assertTrue(st["almacen_ok"])
                check_log(self, c, acked, self.INICIAL)
        for srv in (a, b):
            self.assertEqual(srv.stop(), 0)

    def test_un_servidor_muere_y_sus_clientes_siguen_en_el_otro(self):
        a, b = servers(self)
        with a.client(2) as c:
            self.assertEqual(c.agregar("contador", "Contador compartido", self.INICIAL), OK)
        started = threading.Barrier(self.HILOS + 1)
        acked, errors, moved, lock = [], [], [], threading.Lock()

        def worker(n):
            order = [(a, b), (b, a)][n % 2]     # home first, then the other
            rnd = random.Random(n)
            c = None
            try:
                c = order[0].client(2, timeout=10)
                started.wait(60)
                for i in range(self.LLAMADAS):
                    delta = rnd.choice([-3, -1, 1, 2, 4])
                    clave = "m%d-%d" % (n, i)
                    for intento in range(5):
                        try:
                            e, _ = c.ajustar("contador", delta, "venta", clave)
                            break
                        except (OSError, EOFError):
                            # No answer: it may or may not have been applied.
                            # The same call, same key, on the other server.
                            c.close()
                            c = order[1].client(2, timeout=10)
                            with lock:
                                moved.append(clave)
                    else:
                        raise AssertionError("%s: sin respuesta en ningún servidor" % clave)
                    with lock:
                        (acked if e == OK else errors).append(delta if e == OK else e)
            except Exception as ex:
                started.abort()             # the test fails, and does not hang
                with lock:
                    errors.append(ex)
            finally:
                if c is not None:
                    c.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.HILOS)]
        for t in threads:
            t.start()
        started.wait(60)
        # Kill a while the writes are in full flow.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with lock:
                if len(acked) >= self.HILOS * self.LLAMADAS // 4:
                    break
            time.sleep(0.005)
        a.kill9()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertTrue(moved, "no client had to go to the other server")
        self.assertEqual(len(acked), self.HILOS * self.LLAMADAS)
        with b.client(2) as c:
            self.assertEqual(c.obtener("contador")[1][2], self.INICIAL + sum(acked))
            # Each call applied once, wherever its retries went.
            check_log(self, c, acked, self.INICIAL)
        self.assertIsNone(b.proc.poll())

    def test_una_clave_vale_en_todos_los_servidores(self):
        a, b = servers(self, threads=2)
        with a.client(2) as ca, b.client(2) as cb:
            self.assertEqual(ca.agregar("p", "Producto", 100), OK)
            first = ca.ajustar("p", -7, "venta", "clave-1")
            self.assertEqual(first, (OK, ("p", "Producto", 93)))
            seq = ca.movimientos(0, "", 1)[2]
            # The retry lands on the other server: the first answer, no change.
            self.assertEqual(cb.ajustar("p", -7, "otra", "clave-1"), first)
            self.assertEqual(cb.ajustar("p", -8, "", "clave-1"), (INVALIDO, None))
            self.assertEqual(cb.obtener("p")[1][2], 93)
            self.assertEqual(cb.movimientos(0, "", 1)[2], seq)
            # What one server writes the other sees at once: no cache.
            self.assertEqual(cb.ajustar("p", 1)[1][2], 94)
            self.assertEqual(ca.estado()["ultimo_seq"], seq + 1)
            self.assertEqual(ca.movimientos(seq)[1][0]["stock_despues"], 94)
            self.assertEqual(ca.agregar("q", "Otro", 1), OK)
            self.assertEqual(cb.agregar("q", "Otro", 1), rpc.YA_EXISTE)
            self.assertEqual(cb.eliminar("q"), OK)
            self.assertEqual(ca.obtener("q")[0], rpc.NO_ENCONTRADO)
            movs, ultimo = whole_log(cb)
            self.assertEqual([m["seq"] for m in movs], list(range(1, ultimo + 1)))

    def test_claves_viejas_se_podan_las_recientes_se_guardan(self):
        srv, = servers(self, n=1, threads=2)
        db = srv.db.split("/")[3].split("?")[0]
        with srv.client(2) as c:
            self.assertEqual(c.agregar("p", "n", 0), OK)
            self.assertEqual(c.ajustar("p", 1, "", "reciente")[0], OK)
            old = int(time.time() * 1000) - 26 * 3600 * 1000
            PG.sql("INSERT INTO claves VALUES ('vieja', 'p', 1, 'n', 1, %d)" % old, db=db)
            for i in range(1030):       # the store prunes every 1024 keys
                self.assertEqual(c.ajustar("p", 1, "", "k%d" % i)[0], OK)
            # 'vieja' is gone: reusing it now applies as a new key.
            self.assertEqual(c.ajustar("p", 5, "", "vieja"), (OK, ("p", "n", 1036)))
            # 'reciente' (seconds old) is still remembered.
            self.assertEqual(c.ajustar("p", 1, "", "reciente"), (OK, ("p", "n", 1)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
