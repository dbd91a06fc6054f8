"""The server's own transport against the faults that libtirpc's svc_vc had.

Each test repeats one fault of the transport issue against a real server:
clients that pipeline calls and never read their replies, a thousand
connections that trickle a call a byte at a time from one address, a
valid call split into many record fragments, rpcvers other than 2,
malformed AUTH_SYS credentials (nothing may reach stdout), the
per-address and table limits, and SIGHUP.  Timings are asserted only as
generous bounds (PROMPT) that a missing defence breaks by seconds.
"""
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import wait_until
import rpc
from rpc import OK, AUTH_SYS

PROMPT = 2.0 * getattr(harness, "SLOW", 1)
MSG_DENIED, RPC_MISMATCH, AUTH_ERROR = 1, 0, 1


def connect(srv, rcvbuf=0, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", srv.port))
    return s


def call(srv, proc, args=b"", vers=2, xid=1, cred=(rpc.AUTH_NONE, b""), rpcvers=2):
    return rpc.call_header(xid, srv.program, vers, proc, cred, rpcvers=rpcvers) + args


def read_record(s):
    c = rpc.Client.__new__(rpc.Client)
    c.sock = s
    return c.recv_record()


def closed_by_server(s, timeout=10.0):
    """True if the server closes s within timeout (EOF or reset)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


def assert_served(test, srv, calls=20, id="base"):
    with srv.client(2, timeout=PROMPT) as c:
        for _ in range(calls):
            t0 = time.monotonic()
            test.assertEqual(c.obtener(id)[0], OK)
            test.assertLess(time.monotonic() - t0, PROMPT)


class NoLeen(unittest.TestCase):
    def test_pipelining_clients_that_never_read_do_not_delay_another(self):
        # Two threads only: any worker pinned by a reply that cannot be sent
        # would show at once.
        with harness.Server(threads=2) as srv:
            srv.prefill(("p%05d" % i, "n" * 200, i) for i in range(2000))
            with srv.client(2) as c:
                self.assertEqual(c.agregar("base", "Base", 1), OK)
            stop = threading.Event()
            hogs = [connect(srv, rcvbuf=4096, timeout=1.0) for _ in range(8)]
            batch = rpc.record(call(srv, 4)) * 50          # LISTAR_PRODUCTOS

            def flood(s):
                while not stop.is_set():
                    try:
                        s.sendall(batch)
                    except socket.timeout:
                        continue
                    except OSError:
                        return
            ts = [threading.Thread(target=flood, args=(h,)) for h in hogs]
            for t in ts:
                t.start()
            try:
                t_end = time.monotonic() + 4
                while time.monotonic() < t_end:
                    assert_served(self, srv, calls=10)
            finally:
                stop.set()
                for t in ts:
                    t.join()
                for h in hogs:
                    h.close()

    def test_a_reader_that_stalls_is_closed_after_send_timeout(self):
        with harness.Server(threads=2, args=["--send-timeout", "1"]) as srv:
            srv.prefill(("p%05d" % i, "n" * 200, i) for i in range(3000))
            hog = connect(srv, rcvbuf=4096)
            # 20 listings of 660 KB: far more than the kernel's buffers.
            hog.sendall(rpc.record(call(srv, 4)) * 20)
            # Without reading a byte: the server gives up on it by itself.
            self.assertTrue(wait_until(lambda: "no lee sus respuestas" in srv.log(), 20))
            self.assertTrue(closed_by_server(hog, 15))
            hog.close()


class Goteo(unittest.TestCase):
    def trickle(self, srv, n):
        socks = []
        head = rpc.record(call(srv, 0))
        for _ in range(n):
            s = connect(srv)
            s.sendall(head[:1])
            socks.append(s)
        return socks

    def test_a_thousand_trickling_connections_at_the_defaults(self):
        # Defaults: 512 per address, and the table far larger.  From one
        # address (loopback) the 1000 tricklers evict each other; a new
        # client from the same address still gets in, every time.
        with harness.Server(threads=2) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("base", "Base", 1), OK)
            socks = self.trickle(srv, 1000)
            try:
                for _ in range(5):
                    assert_served(self, srv, calls=5)
                    for s in socks[:50]:
                        try:
                            s.sendall(b"\0")    # a byte more: still no call
                        except OSError:
                            pass
                self.assertIn("se cierra su conexión inactiva más antigua", srv.log())
            finally:
                for s in socks:
                    s.close()

    def test_a_full_table_makes_room_for_a_new_client(self):
        with harness.Server(threads=2, args=["--max-conns", "50",
                                             "--max-conns-per-addr", "1000"]) as srv:
            with srv.client(2) as c:
                self.assertEqual(c.agregar("base", "Base", 1), OK)
            socks = self.trickle(srv, 120)
            try:
                assert_served(self, srv)
                with srv.client(2) as c:
                    self.assertLessEqual(c.estado()["conexiones"], 50)
            finally:
                for s in socks:
                    s.close()

    def test_per_address_limit_closes_that_address_longest_idle(self):
        # From an address of its own: the harness's readiness probe, from
        # 127.0.0.1, may still count as busy there for a moment.
        src = "127.0.0.2"
        with harness.Server(threads=2, args=["--max-conns-per-addr", "3"]) as srv:
            held = [srv.client(1, source=src) for _ in range(3)]
            for c in held:
                self.assertEqual(c.null(), b"")
            time.sleep(0.05)
            for c in held[1:]:
                self.assertEqual(c.null(), b"")
            with srv.client(1, source=src) as extra:
                self.assertEqual(extra.null(), b"")
            self.assertTrue(closed_by_server(held[0].sock, 5))
            for c in held[1:]:
                self.assertEqual(c.null(), b"")
            for c in held:
                c.close()

    def test_a_call_must_arrive_within_call_timeout(self):
        # Bytes keep coming, a call never completes: --call-timeout closes it
        # though the idle timeout is far away.
        with harness.Server(threads=2, args=["--call-timeout", "0.5"]) as srv:
            s = connect(srv)
            msg = rpc.record(call(srv, 0))
            t0 = time.monotonic()
            closed = False
            for b in msg[:-1]:
                try:
                    s.sendall(bytes([b]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.1)
            self.assertTrue(closed or closed_by_server(s, 5))
            self.assertLess(time.monotonic() - t0, 10)
            self.assertIn("no completó una llamada", srv.log())
            s.close()


class Fragmentos(unittest.TestCase):
    def test_a_call_in_many_fragments_is_answered_and_applied(self):
        with harness.Server(threads=2) as srv:
            msg = call(srv, 1, rpc.Packer().string("frag").string("Fragmentado")
                       .int(7).bytes(), xid=77)
            data = b""
            for i, b in enumerate(msg):             # one byte per fragment
                data += struct.pack(">I", 1) + bytes([b])
                if i % 10 == 0:
                    data += struct.pack(">I", 0)    # and empty ones
            data += struct.pack(">I", 0x80000000)   # an empty last fragment
            s = connect(srv)
            for i in range(0, len(data), 7):        # in odd-sized writes
                s.sendall(data[i:i + 7])
            u = rpc.Unpacker(rpc.Client.parse_reply(read_record(s), 77))
            self.assertEqual(u.uint(), OK)
            s.close()
            with srv.client(1) as c:
                self.assertEqual(c.obtener("frag"), (OK, ("frag", "Fragmentado", 7)))


class Cabeceras(unittest.TestCase):
    def test_rpcvers_3_gets_rpc_mismatch_and_the_connection_stays(self):
        with harness.Server(threads=2) as srv:
            s = connect(srv)
            s.sendall(rpc.record(call(srv, 0, rpcvers=3, xid=5)))
            u = rpc.Unpacker(read_record(s))
            self.assertEqual((u.uint(), u.uint(), u.uint(), u.uint(), u.uint(), u.uint()),
                             (5, rpc.REPLY, MSG_DENIED, RPC_MISMATCH, 2, 2))
            s.sendall(rpc.record(call(srv, 0, xid=6)))
            self.assertEqual(rpc.Client.parse_reply(read_record(s), 6), b"")
            s.close()

    def test_malformed_auth_sys_is_denied_and_nothing_reaches_stdout(self):
        out = tempfile.NamedTemporaryFile(prefix="inventario-stdout-")
        with harness.Server(threads=2) as srv:
            # Its stdout apart from the log, to see that nothing lands there.
            srv.stop()
            srv.proc = subprocess.Popen(srv.command(), stdout=out,
                                        stderr=srv._logf, stdin=subprocess.DEVNULL)
            srv.wait_ready()
            bad = [struct.pack(">IIIII", 0, 0, 0, 0, 16) + b"\0" * 8,   # 16 gids, 2 sent
                   struct.pack(">II", 0, 300) + b"x" * 300,            # a 300-byte name
                   b"\xff" * 40]
            for n, body in enumerate(bad * 20):
                s = connect(srv)
                s.sendall(rpc.record(call(srv, 0, cred=(AUTH_SYS, body), xid=n)))
                u = rpc.Unpacker(read_record(s))
                self.assertEqual((u.uint(), u.uint(), u.uint(), u.uint()),
                                 (n, rpc.REPLY, MSG_DENIED, AUTH_ERROR))
                s.close()
            with srv.client(1) as c:
                c.cred = rpc.auth_sys("caja", 1000)
                self.assertEqual(c.null(), b"")
            self.assertEqual(srv.stop(), 0)
            self.assertEqual(os.path.getsize(out.name), 0)
            # Throttled: one line for the 60 bad credentials, then a count.
            log = srv.log()
            self.assertLessEqual(log.count("credencial mal formada"), 2)


class Senales(unittest.TestCase):
    def test_sighup_does_not_kill(self):
        with harness.Server(threads=2) as srv:
            for _ in range(3):
                srv.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: "SIGHUP" in srv.log(), 10))
            self.assertIsNone(srv.proc.poll())
            with srv.client(1) as c:
                self.assertEqual(c.null(), b"")
            self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
