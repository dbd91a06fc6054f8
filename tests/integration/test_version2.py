"""Version 2 under concurrency: atomic sales, a gapless log, a live feed."""
import sqlite3
import threading
import time
import unittest

import harness
import rpc
from rpc import OK, STOCK_INSUFICIENTE


class Version2(unittest.TestCase):
    def test_16_clients_selling_150_each_from_2400(self):
        with harness.Server(threads=8) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("tv", "Televisor", 2400), OK)
            results = []

            def seller(n):
                with srv.client(2, timeout=30) as c:
                    for i in range(150):
                        results.append(c.ajustar("tv", -1, "venta", "v%d-%d" % (n, i))[0])

            threads = [threading.Thread(target=seller, args=(n,)) for n in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(results, [OK] * 2400)
            with srv.client(2) as c:
                self.assertEqual(c.obtener("tv")[1][2], 0)
                self.assertEqual(c.ajustar("tv", -1)[0], STOCK_INSUFICIENTE)
                movs, seq = [], 0
                while True:
                    e, page, ultimo = c.movimientos(seq, "", 1000)
                    if not page:
                        break
                    movs += page
                    seq = page[-1]["seq"]
            self.assertEqual(ultimo, 2401)
            self.assertEqual([m["seq"] for m in movs], list(range(1, 2402)))
            for prev, m in zip(movs, movs[1:]):          # each sale chains on the last
                self.assertEqual(m["stock_antes"], prev["stock_despues"])
                self.assertEqual(m["stock_despues"], m["stock_antes"] - 1)
                self.assertEqual(m["motivo"], "venta")
                self.assertGreaterEqual(m["cuando_ms"], prev["cuando_ms"])

    def test_watcher_sees_every_write_of_other_clients_in_order(self):
        with harness.Server(threads=4) as srv:
            with srv.client(2) as c:
                for n in range(4):
                    self.assertEqual(c.agregar("p%d" % n, "Producto", 1000), OK)
                start = c.movimientos(0, "", 1)[2]
            seen, done = [], threading.Event()

            def watcher():
                with srv.client(2) as w:
                    desde = start
                    while True:
                        finished = done.is_set()
                        e, page, _ = w.movimientos(desde, "", 0)
                        seen.extend(page)
                        if page:
                            desde = page[-1]["seq"]
                        elif finished:
                            return
                        else:
                            time.sleep(0.01)

            def writer(n):
                with srv.client(2) as c:
                    for i in range(50):
                        if i % 2:
                            c.ajustar("p%d" % n, -1, "venta")
                        else:
                            c.actualizar("p%d" % n, 2000 + i)

            wt = threading.Thread(target=watcher)
            wt.start()
            writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in writers:
                t.start()
            for t in writers:
                t.join()
            done.set()
            wt.join()
            self.assertEqual([m["seq"] for m in seen], list(range(start + 1, start + 201)))
            for n in range(4):
                mine = [m for m in seen if m["id"] == "p%d" % n]
                self.assertEqual(len(mine), 50)
                for prev, m in zip(mine, mine[1:]):
                    self.assertEqual(m["stock_antes"], prev["stock_despues"])

    def test_version_1_is_unchanged_beside_version_2(self):
        with harness.Server() as srv:
            with srv.client(1) as v1, srv.client(2) as v2:
                self.assertEqual(v1.agregar("p", "n", 5), OK)
                self.assertEqual(v2.ajustar("p", -2)[0], OK)
                self.assertEqual(v1.obtener("p"), (OK, ("p", "n", 3)))
                self.assertEqual(v1.listar(), (OK, [("p", "n", 3)]))
                for proc in (6, 7, 8, 9):
                    with self.assertRaises(rpc.RpcError) as cm:
                        v1.call(proc)
                    self.assertEqual(cm.exception.stat, rpc.PROC_UNAVAIL)

    def test_old_keys_are_pruned_fresh_ones_kept(self):
        with harness.Server() as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("p", "n", 0), OK)
                self.assertEqual(c.ajustar("p", 1, "", "reciente")[0], OK)
            srv.stop()
            con = sqlite3.connect(srv.db)
            old = int(time.time() * 1000) - 26 * 3600 * 1000
            con.execute("INSERT INTO claves VALUES ('vieja', 'p', 1, 'n', 1, ?)", (old,))
            con.commit()
            con.close()
            srv.start()
            with srv.client(2) as c:
                for i in range(1030):       # the store prunes every 1024 keys
                    self.assertEqual(c.ajustar("p", 1, "", "k%d" % i)[0], OK)
                # 'vieja' is gone: reusing it now applies as a new key.
                self.assertEqual(c.ajustar("p", 5, "", "vieja"), (OK, ("p", "n", 1036)))
                # 'reciente' (minutes old) is still remembered.
                self.assertEqual(c.ajustar("p", 1, "", "reciente"), (OK, ("p", "n", 1)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
