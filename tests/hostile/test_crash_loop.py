"""Crash loop: SIGKILL at random moments under a stream of writes, many times.

Writer threads, each on its own connection, log every call they make as
ok (answered OK), failed (answered something else) or unknown (the
connection died before the answer).  The server is killed with SIGKILL at a
random moment, the writers stop, the database is checked as the kill left
it, the server is restarted, and the round starts again.  After every kill:

  - ACTUALIZAR_STOCK (version 1): each writer sets its own product to 1, 2,
    3 ... in order; the stock found is the last acknowledged value or the
    one in flight, never older and never another;
  - AJUSTAR_STOCK (version 2): writers add to one shared product, each call
    with its own idempotency key (also its motivo); unknown calls are retried
    with the same key after the restart, must answer OK, and then the stock
    is exactly the start plus every delta, each key in the log exactly once;
  - nothing never sent appears: every movement is one of ours, with the
    value or delta we sent, failed calls leave no trace;
  - PRAGMA integrity_check passes, the movement log is gapless (1..N) and
    each movement starts where the product's previous one ended.

INVENTARIO_CRASH_KILLS sets the number of kills (default 20, about half a
minute); scripts/crash-loop.sh runs it for longer.  A SQLite store is read
with Python's sqlite3 while the server is down, as the kill left it; on
PostgreSQL (harness.DB_URI) the same checks read it through the server
after the restart, and integrity_check is SQLite's alone.
"""
import os
import random
import sqlite3
import threading
import time
import unittest

import harness
import rpc
from rpc import OK

KILLS = int(os.environ.get("INVENTARIO_CRASH_KILLS", "20"))
ABS_WRITERS = 3         # ACTUALIZAR, one product each
ADJ_WRITERS = 3         # AJUSTAR with keys, one shared product
SHARED = "caja"
DEAD = (OSError, ConnectionError, EOFError)


class Ledger:
    """What the writers sent and what they heard; shared by all rounds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.abs_sent = {n: set() for n in range(ABS_WRITERS)}
        self.abs_acked = {n: 0 for n in range(ABS_WRITERS)}
        self.abs_inflight = {n: None for n in range(ABS_WRITERS)}
        self.keys = {}          # key -> delta, every key ever sent
        self.key_state = {}     # key -> "ok" | "failed" | "unknown"


def abs_writer(srv, ledger, n, stop, errors):
    pid = "abs-%d" % n
    try:
        with srv.client(1, timeout=5) as c:
            e, p = c.obtener(pid)
            if e != OK:
                errors.append("%s missing after restart: %s" % (pid, rpc.ESTADOS[e]))
                return
            v = p[2]
            # The round starts from what the server has, which the checks
            # have already accepted; nothing is in flight yet.
            ledger.abs_acked[n], ledger.abs_inflight[n] = v, None
            while not stop.is_set():
                v += 1
                ledger.abs_sent[n].add(v)
                ledger.abs_inflight[n] = v
                e = c.actualizar(pid, v)
                if e != OK:
                    errors.append("actualizar %s %d: %s" % (pid, v, rpc.ESTADOS[e]))
                    return
                ledger.abs_acked[n], ledger.abs_inflight[n] = v, None
    except DEAD:
        pass                                    # the server was killed


def adj_writer(srv, ledger, n, round_, stop):
    rnd = random.Random(round_ * 100 + n)
    try:
        with srv.client(2, timeout=5) as c:
            i = 0
            while not stop.is_set():
                key = "k-%d-%d-%d" % (round_, n, i)
                delta = rnd.randint(1, 9)
                with ledger.lock:
                    ledger.keys[key] = delta
                    ledger.key_state[key] = "unknown"
                e, _ = c.ajustar(SHARED, delta, key, key)
                ledger.key_state[key] = "ok" if e == OK else "failed"
                i += 1
    except DEAD:
        pass


def read_sqlite(testcase, path):
    """The movement log and the stock, straight from the file."""
    con = sqlite3.connect(path)
    try:
        testcase.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        movs = con.execute("SELECT seq, tipo, id, stock_antes, stock_despues, motivo "
                           "FROM movimientos ORDER BY seq").fetchall()
        stock = dict(con.execute("SELECT id, stock FROM productos"))
    finally:
        con.close()
    return movs, stock


def read_rpc(srv):
    """The same, through a running server (MOVIMIENTOS and LISTAR)."""
    movs, desde = [], 0
    with srv.client(2, timeout=10) as c:
        for _ in range(100000):
            e, page, _ = c.movimientos(desde, "", 1000)
            if e != OK or not page:
                break
            movs += [(m["seq"], m["tipo"], m["id"], m["stock_antes"],
                      m["stock_despues"], m["motivo"]) for m in page]
            desde = page[-1]["seq"]
        stock = {p[0]: p[2] for p in c.listar()[1]}
    return movs, stock


class CrashLoop(unittest.TestCase):
    def check_database(self, srv, ledger):
        """The database exactly as the kill left it (SQLite), or as the
        restarted server shows it (PostgreSQL)."""
        if getattr(harness, "DB_URI", None):
            movs, stock = read_rpc(srv)
        else:
            movs, stock = read_sqlite(self, srv.db)
        self.assertEqual([m[0] for m in movs], list(range(1, len(movs) + 1)),
                         "the movement log has gaps")
        self.assertEqual(set(stock), {SHARED} | {"abs-%d" % n for n in range(ABS_WRITERS)},
                         "a product nobody created")
        last, seen_keys = {}, set()
        for seq, tipo, pid, antes, despues, motivo in movs:
            if tipo == rpc.ALTA:
                self.assertEqual(despues, 0, "seq %d" % seq)
            else:
                self.assertEqual(tipo, rpc.STOCK, "seq %d: a deletion nobody asked for" % seq)
                self.assertEqual(antes, last[pid], "seq %d does not follow on" % seq)
            last[pid] = despues
            if pid == SHARED and tipo == rpc.STOCK:
                self.assertIn(motivo, ledger.keys, "seq %d: a key never sent" % seq)
                self.assertNotIn(motivo, seen_keys, "seq %d: key %s applied twice" % (seq, motivo))
                self.assertEqual(despues - antes, ledger.keys[motivo], "seq %d" % seq)
                self.assertNotEqual(ledger.key_state[motivo], "failed", "seq %d" % seq)
                seen_keys.add(motivo)
            elif pid != SHARED and tipo == rpc.STOCK:
                n = int(pid.split("-")[1])
                self.assertIn(despues, ledger.abs_sent[n], "seq %d: a value never sent" % seq)
                self.assertGreater(despues, antes, "seq %d: %s went backwards" % (seq, pid))
        self.assertEqual(stock, last, "stock and movement log disagree")
        for key, state in ledger.key_state.items():
            if state == "ok":
                self.assertIn(key, seen_keys, "acknowledged %s lost" % key)
        for n in range(ABS_WRITERS):
            got = stock["abs-%d" % n]
            self.assertIn(got, (ledger.abs_acked[n], ledger.abs_inflight[n]),
                          "abs-%d: %d, acknowledged %d, in flight %r"
                          % (n, got, ledger.abs_acked[n], ledger.abs_inflight[n]))
        return stock

    def settle_unknown_keys(self, srv, ledger):
        """Retries every unknown AJUSTAR with its own key: it must answer OK,
        whether the first attempt was committed or not."""
        unknown = [k for k, s in ledger.key_state.items() if s == "unknown"]
        with srv.client(2, timeout=10) as c:
            for key in unknown:
                e, p = c.ajustar(SHARED, ledger.keys[key], key, key)
                self.assertEqual(e, OK, "retry of %s: %s" % (key, rpc.ESTADOS[e]))
                ledger.key_state[key] = "ok"
            total = sum(ledger.keys[k] for k, s in ledger.key_state.items() if s == "ok")
            self.assertEqual(c.obtener(SHARED)[1][2], total,
                             "the shared stock is not the sum of every applied delta")
        return len(unknown)

    def test_sigkill_at_random_moments(self):
        ledger = Ledger()
        rnd = random.Random(os.environ.get("INVENTARIO_CRASH_SEED", "inventario"))
        retried = unknown_abs = 0
        with harness.Server(threads=4) as srv:
            with srv.client(1) as c:
                for pid in [SHARED] + ["abs-%d" % n for n in range(ABS_WRITERS)]:
                    self.assertEqual(c.agregar(pid, "Crash loop", 0), OK)
            for round_ in range(KILLS):
                stop, errors = threading.Event(), []
                threads = [threading.Thread(target=abs_writer,
                                            args=(srv, ledger, n, stop, errors))
                           for n in range(ABS_WRITERS)]
                threads += [threading.Thread(target=adj_writer,
                                             args=(srv, ledger, n, round_, stop))
                            for n in range(ADJ_WRITERS)]
                for t in threads:
                    t.start()
                time.sleep(rnd.uniform(0.05, 0.6))
                srv.kill9()
                stop.set()
                for t in threads:
                    t.join(30)
                    self.assertFalse(t.is_alive(), "a writer hung after the kill")
                self.assertEqual(errors, [])
                unknown_abs += sum(v is not None for v in ledger.abs_inflight.values())
                pg = getattr(harness, "DB_URI", None)
                if not pg:
                    self.check_database(srv, ledger)
                srv.start()
                if pg:
                    self.check_database(srv, ledger)
                retried += self.settle_unknown_keys(srv, ledger)
            if getattr(harness, "DB_URI", None):
                self.check_database(srv, ledger)
            self.assertEqual(srv.stop(), 0)
            if not getattr(harness, "DB_URI", None):
                self.check_database(srv, ledger)
        acked = sum(s == "ok" for s in ledger.key_state.values())
        print("%d kills: %d keyed adjustments applied (%d retried after a kill), "
              "%d absolute writes in flight at a kill"
              % (KILLS, acked, retried, unknown_abs))


if __name__ == "__main__":
    unittest.main(verbosity=2)
