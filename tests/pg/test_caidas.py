"""PostgreSQL going away and coming back under a running server; targets that
cannot be used at start-up; a standby promoted in place of its primary."""
import subprocess
import threading
import time
import unittest

import harness
import pglib
import rpc
from rpc import OK, ERROR_INTERNO

PG = None


def setUpModule():
    global PG
    PG = pglib.for_module()


def server(test, uri, **kw):
    srv = harness.Server(db=uri, **kw)
    test.addCleanup(srv.__exit__, None, None, None)
    return srv


def refused(test, uri):
    """Starts a server on uri that must not start: its exit status and log."""
    srv = server(test, uri)
    srv.start(wait=False)
    return srv.proc.wait(30), srv.log()


def until_ok(fn, timeout=15.0):
    """Calls fn until it answers OK; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = fn()
        if (r[0] if isinstance(r, tuple) else r) == OK or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def db_name(uri):
    return uri.split("/")[3].split("?")[0]


def check_log(test, c, inicial):
    """Gapless, chained log whose last stock is the product's."""
    movs, seq = [], 0
    while True:
        e, page, ultimo = c.movimientos(seq, "", 1000)
        test.assertEqual(e, OK)
        if not page:
            break
        movs += page
        seq = page[-1]["seq"]
    test.assertEqual([m["seq"] for m in movs], list(range(1, ultimo + 1)))
    test.assertEqual(movs[0]["stock_despues"], inicial)
    for prev, m in zip(movs, movs[1:]):
        test.assertEqual(m["stock_antes"], prev["stock_despues"])
    return movs


class CaidaDePostgres(unittest.TestCase):
    def test_errores_mientras_falta_y_escrituras_al_volver_sin_reiniciar(self):
        srv = server(self, PG.create_database(), threads=2).start()
        pid = srv.pid
        with srv.client(2) as c:
            self.assertEqual(c.agregar("a", "Producto", 10), OK)
            self.assertEqual(c.ajustar("a", -1, "", "antes")[0], OK)
            PG.stop()
            t0 = time.monotonic()
            self.assertEqual(c.ajustar("a", -1, "", "durante"), (ERROR_INTERNO, None))
            self.assertEqual(c.actualizar("a", 3), ERROR_INTERNO)
            self.assertEqual(c.agregar("b", "Otro", 1), ERROR_INTERNO)
            self.assertEqual(c.eliminar("a"), ERROR_INTERNO)
            self.assertEqual(c.obtener("a"), (ERROR_INTERNO, None))
            self.assertEqual(c.movimientos()[0], ERROR_INTERNO)
            st = c.estado()                          # still answered
            self.assertFalse(st["almacen_ok"])
            # No call waits for a database that is not there.
            self.assertLess(time.monotonic() - t0, 5)
            PG.start()
            # Back, on the same server process and the same client connection.
            self.assertEqual(until_ok(lambda: c.ajustar("a", -1, "", "durante")),
                             (OK, ("a", "Producto", 8)))
            self.assertEqual(c.ajustar("a", -1, "", "durante"), (OK, ("a", "Producto", 8)))
            self.assertTrue(c.estado()["almacen_ok"])
            self.assertEqual(c.obtener("a"), (OK, ("a", "Producto", 8)))
            movs = check_log(self, c, 10)
            self.assertEqual(len(movs), 3)
        self.assertEqual(srv.pid, pid)
        self.assertIsNone(srv.proc.poll())
        self.assertEqual(srv.stop(), 0)            # and stops cleanly (no leak)
        log = srv.log()
        self.assertIn("se perdió la conexión con PostgreSQL", log)
        self.assertIn("conexión con PostgreSQL restablecida", log)

    def test_escrituras_en_vuelo_durante_la_caida_se_aplican_una_vez(self):
        srv = server(self, PG.create_database(), threads=4).start()
        with srv.client(2) as c:
            self.assertEqual(c.agregar("a", "Producto", 100000), OK)
        acked, errors, lock, stop = [], [], threading.Lock(), threading.Event()

        def writer(n):
            try:
                with srv.client(2, timeout=15) as c:
                    i = 0
                    while not stop.is_set():
                        delta = (n % 3) + 1
                        # ERROR_INTERNO changed nothing; a retry with the same
                        # key is safe whatever happened to the first one.
                        e = until_ok(lambda: c.ajustar("a", -delta, "", "w%d-%d" % (n, i)),
                                     timeout=30)[0]
                        with lock:
                            (acked if e == OK else errors).append(delta if e == OK else e)
                        i += 1
            except Exception as ex:
                with lock:
                    errors.append(ex)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        PG.stop()
        time.sleep(0.5)
        PG.start()
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        with srv.client(2) as c:
            self.assertEqual(c.obtener("a")[1][2], 100000 - sum(acked))
            movs = check_log(self, c, 100000)
            self.assertEqual(len(movs), 1 + len(acked))


class TurnoDeEscritura(unittest.TestCase):
    """Another session holds the writers' advisory lock, as a server does in
    the middle of a batch."""
    LOCK = "SELECT pg_advisory_xact_lock(541675094);\n"

    def setUp(self):
        self.uri = PG.create_database()
        self.srv = server(self, self.uri, threads=2).start()
        self.c = self.srv.client(2, timeout=20)
        self.addCleanup(self.c.close)
        self.assertEqual(self.c.agregar("a", "Producto", 10), OK)

    def holder(self, sql):
        """A psql session that runs sql and then waits, holding the lock."""
        p = subprocess.Popen([pglib.os.path.join(PG.bin, "psql"), "-X", "-q", "-h", PG.dir,
                              "-U", "inventario", "-d", db_name(self.uri)],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(p.wait, 10)
        self.addCleanup(p.stdin.close)
        self.addCleanup(p.kill)
        p.stdin.write(sql)
        p.stdin.flush()
        deadline = time.monotonic() + 10
        while PG.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                     "AND granted").strip() != "1":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        return p

    def test_un_servidor_colgado_con_el_turno_pierde_su_sesion(self):
        # What a stopped server's session looks like: idle in its transaction.
        self.holder("SET idle_in_transaction_session_timeout = '3s';\nBEGIN;\n" + self.LOCK)
        t0 = time.monotonic()
        self.assertEqual(self.c.ajustar("a", -1, "", "k"), (OK, ("a", "Producto", 9)))
        self.assertLess(time.monotonic() - t0, 4.5)

    def test_un_turno_ocupado_demasiado_da_error_interno_y_nada_cambia(self):
        self.holder("BEGIN;\n" + self.LOCK + "SELECT pg_sleep(60);\n")
        t0 = time.monotonic()
        self.assertEqual(self.c.ajustar("a", -1, "", "k"), (ERROR_INTERNO, None))
        self.assertGreater(time.monotonic() - t0, 4)
        PG.sql("SELECT pg_terminate_backend(pid) FROM pg_locks "
               "WHERE locktype = 'advisory' AND granted")
        self.assertEqual(until_ok(lambda: self.c.ajustar("a", -1, "", "k")),
                         (OK, ("a", "Producto", 9)))
        self.assertEqual(len(check_log(self, self.c, 10)), 2)
        self.assertIn("esperar el turno de escritura", self.srv.log())

    def test_las_lecturas_no_esperan_al_turno_de_escritura(self):
        # Reads go on a connection of their own: while a write waits for the
        # turn (and gives up), they answer well within a 3 s timeout.
        self.holder("BEGIN;\n" + self.LOCK + "SELECT pg_sleep(60);\n")
        answers = []
        writer = threading.Thread(
            target=lambda: answers.append(self.c.ajustar("a", -1, "", "k2")[0]))
        writer.start()
        with self.srv.client(2, timeout=3) as r:
            for _ in range(10):
                self.assertEqual(r.obtener("a"), (OK, ("a", "Producto", 10)))
                self.assertEqual(r.pagina()[0], OK)
                self.assertEqual(r.movimientos()[0], OK)
                self.assertTrue(r.estado()["almacen_ok"])
        writer.join(60)
        PG.sql("SELECT pg_terminate_backend(pid) FROM pg_locks "
               "WHERE locktype = 'advisory' AND granted")
        self.assertEqual(answers, [ERROR_INTERNO])


class Arranque(unittest.TestCase):
    def test_postgres_inalcanzable(self):
        for scheme in ("postgresql", "postgres"):
            uri = "%s:///inventario?host=/nonexistent/pg&user=inventario&password=secreto" % scheme
            rc, log = refused(self, uri)
            self.assertEqual(rc, 1, log)
            self.assertIn("no se puede conectar con PostgreSQL en %s:///inventario?"
                          "host=/nonexistent/pg&user=inventario&password=***" % scheme, log)
            self.assertNotIn("secreto", log)
        rc, log = refused(self, "postgresql://inventario:secreto@/nada?host=%s" % PG.dir)
        self.assertEqual(rc, 1, log)
        self.assertIn("postgresql://inventario:***@/nada", log)
        self.assertNotIn("secreto", log)

    def test_uri_invalida(self):
        rc, log = refused(self, "postgresql:///inventario?opcion_inventada=1")
        self.assertEqual(rc, 1, log)
        self.assertIn("URI de PostgreSQL inválida", log)

    def test_tablas_de_otra_forma_no_se_tocan(self):
        uri = PG.create_database()
        db = db_name(uri)
        PG.sql("CREATE TABLE productos(id text PRIMARY KEY, nombre text, stock text)",
               db=db, user="inventario")
        rc, log = refused(self, uri)
        self.assertEqual(rc, 1, log)
        self.assertIn("tiene tablas de otra forma", log)
        self.assertEqual(PG.sql("SELECT count(*) FROM pg_tables WHERE tablename IN "
                                "('movimientos', 'claves')", db=db).strip(), "0")

    def test_ids_sin_orden_bytewise_se_rechazan(self):
        # The right columns, but ids in the database's collation (ICU
        # Spanish here): LISTAR's order would not be the contract's.
        uri = PG.create_database()
        db = db_name(uri)
        srv = server(self, uri).start()
        srv.stop()
        PG.sql('ALTER TABLE productos ALTER COLUMN id TYPE text COLLATE "default"',
               db=db, user="inventario")
        rc, log = refused(self, uri)
        self.assertEqual(rc, 1, log)
        self.assertIn('COLLATE "C"', log)

    def test_codificacion_que_no_es_utf8(self):
        PG.sql("CREATE DATABASE latin1 OWNER inventario ENCODING 'LATIN1' "
               "LOCALE 'C' LOCALE_PROVIDER libc TEMPLATE template0")
        rc, log = refused(self, PG.uri("latin1"))
        self.assertEqual(rc, 1, log)
        self.assertIn("codificación LATIN1", log)


class Replica(unittest.TestCase):
    def test_replica_sincrona_caida(self):
        # A synchronous standby that never answers: COMMIT waits for it.
        uri = PG.create_database()
        a = server(self, uri, threads=2).start()
        b = server(self, uri, threads=2).start()
        with a.client(2, timeout=60) as ca, b.client(2, timeout=60) as cb:
            self.assertEqual(ca.agregar("a", "Producto", 10), OK)

            sync = PG.set_synchronous_standbys
            sync("nadie")
            self.addCleanup(sync, "")
            got = []
            t = threading.Thread(target=lambda: got.append(ca.ajustar("a", -1, "", "k1")))
            t.start()
            time.sleep(1)
            self.assertEqual(got, [])                  # waiting for the standby
            # The other server gives up waiting for the lock: nothing changed.
            self.assertEqual(cb.ajustar("a", -1, "", "k2"), (ERROR_INTERNO, None))
            # Without the standby the commit completes, and writes go on.
            sync("")
            t.join(10)
            self.assertEqual(got, [(OK, ("a", "Producto", 9))])
            self.assertEqual(until_ok(lambda: cb.ajustar("a", -1, "", "k2")),
                             (OK, ("a", "Producto", 8)))
            self.assertEqual(len(check_log(self, cb, 10)), 3)

    def test_promocion_de_la_replica_sin_reiniciar_los_servidores(self):
        with pglib.PostgreSQL() as primary:
            uri = primary.create_database()
            db = db_name(uri)
            with primary.standby() as standby:
                # The standby alone cannot take writes: refused, and said so.
                rc, log = refused(self, standby.uri(db))
                self.assertEqual(rc, 1, log)
                self.assertIn("réplica en recuperación", log)
                # Both hosts in one URI: libpq takes the one that accepts
                # writes, at start and on every reconnection.
                both = ("postgresql:///%s?host=%s,%s&user=inventario"
                        "&target_session_attrs=read-write" % (db, primary.dir, standby.dir))
                srv = server(self, both, threads=2).start()
                with srv.client(2) as c:
                    self.assertEqual(c.agregar("a", "Producto", 10), OK)
                    self.assertEqual(c.ajustar("a", -1, "", "k1")[0], OK)
                    primary.stop()
                    self.assertEqual(c.ajustar("a", -1, "", "k2")[0], ERROR_INTERNO)
                    standby.promote()
                    self.assertEqual(until_ok(lambda: c.ajustar("a", -1, "", "k2")),
                                     (OK, ("a", "Producto", 8)))
                    # The key written before the failover is in the replica.
                    self.assertEqual(c.ajustar("a", -1, "", "k1"), (OK, ("a", "Producto", 9)))
                    movs = check_log(self, c, 10)
                    self.assertEqual(len(movs), 3)
                self.assertEqual(srv.stop(), 0)
                self.assertIn("restablecida", srv.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
