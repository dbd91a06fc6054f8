"""Many clients, stalled clients, idle clients: nobody delays anybody else."""
import socket
import struct
import threading
import time
import unittest

import harness
from harness import settled_fds, wait_until
import rpc
from rpc import OK


def raw_connect(srv, version=1, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", rpc.getport(srv.program, version)))
    return s


class Conexiones(unittest.TestCase):
    def test_many_clients_at_once_each_on_its_own_connection(self):
        with harness.Server(threads=8) as srv:
            errors = []

            def writer(n):
                try:
                    with srv.client(1, timeout=20) as c:
                        for i in range(40):
                            pid = "c%02d-%02d" % (n, i)
                            if c.agregar(pid, "Producto %d" % n, i) != OK:
                                errors.append(pid)
                            if c.actualizar(pid, i + 1000) != OK:
                                errors.append(pid)
                except Exception as e:          # reported below, not swallowed
                    errors.append(repr(e))

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(32)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            with srv.client(2) as c:
                e, prods = c.listar()
                self.assertEqual(len(prods), 32 * 40)
                self.assertTrue(all(p[2] == int(p[0][-2:]) + 1000 for p in prods))
                self.assertEqual(c.movimientos(0, "", 1)[2], 2 * 32 * 40)

    def test_half_sent_calls_do_not_slow_anyone(self):
        with harness.Server(threads=4) as srv:
            stalled = []
            for _ in range(100):
                s = raw_connect(srv)
                # A record marker announcing 200 bytes, and only 10 of them.
                s.sendall(struct.pack(">I", 0x80000000 | 200) + b"\0" * 10)
                stalled.append(s)
            time.sleep(0.3)
            # Every call of a normal client is answered well within 2 s,
            # although each of the 4 threads has seen 25 stalled clients.
            with srv.client(1, timeout=2.0) as c:
                for i in range(100):
                    self.assertEqual(c.agregar("p%d" % i, "n", i), OK)
                    self.assertEqual(c.obtener("p%d" % i)[0], OK)
            # The stalled ones may finish their call later and be answered.
            for s in stalled[:3]:
                s.sendall(b"\0" * 190)
            for s in stalled:
                s.close()

    def test_a_client_that_never_reads_is_cut_off(self):
        with harness.Server(threads=2) as srv:
            srv.prefill(("p%05d" % i, "n" * 200, i) for i in range(3000))
            base = settled_fds(srv)
            hog = raw_connect(srv, rcvbuf=4096)
            call = rpc.record(rpc.call_header(7, srv.program, 1, 4))
            try:
                for _ in range(50):                 # 50 listings of 700 KB, unread
                    hog.sendall(call)
            except OSError:
                pass
            # Meanwhile another client is served, with one of the two threads
            # busy at most 2 s on the hog's reply.
            with srv.client(1, timeout=5.0) as c:
                for i in range(50):
                    self.assertEqual(c.obtener("p%05d" % i)[0], OK)
            # The hog's connection is closed by the server, its fd freed.
            self.assertTrue(wait_until(lambda: srv.open_fds() <= base, 15),
                            "fds %d, base %d" % (srv.open_fds(), base))
            hog.close()

    def test_idle_connections_are_closed(self):
        with harness.Server(args=["--idle-timeout", "1"]) as srv:
            base = settled_fds(srv)
            s = raw_connect(srv)
            s.sendall(rpc.record(rpc.call_header(1, srv.program, 1, 0)))
            rpc_reply = s.recv(4096)
            self.assertGreater(len(rpc_reply), 0)
            self.assertEqual(settled_fds(srv), base + 1)
            s.settimeout(10)
            t0 = time.monotonic()
            self.assertEqual(s.recv(4096), b"")        # closed by the server
            self.assertLess(time.monotonic() - t0, 5)
            self.assertTrue(wait_until(lambda: srv.open_fds() == base, 5))
            s.close()

    def test_busy_connections_are_not_idle(self):
        with harness.Server(args=["--idle-timeout", "1"]) as srv:
            with srv.client(1) as c:
                for _ in range(12):                     # 2.4 s of activity
                    self.assertEqual(c.null(), b"")
                    time.sleep(0.2)

    def test_connection_cap_evicts_the_longest_idle(self):
        # At --max-conns a new connection gets in, and the one idle longest
        # makes room for it; the others stay.
        with harness.Server(args=["--max-conns", "5"]) as srv:
            held = [srv.client(1) for _ in range(5)]
            for c in held:
                self.assertEqual(c.null(), b"")
            time.sleep(0.05)                            # held[0]: idle longest
            for c in held[1:]:
                self.assertEqual(c.null(), b"")
            extra = srv.client(1, timeout=5.0)
            self.assertEqual(extra.null(), b"")
            held[0].sock.settimeout(5.0)
            with self.assertRaises(OSError):            # EOF or a reset
                held[0].null()
            for c in held[1:]:
                self.assertEqual(c.null(), b"")
            for c in held + [extra]:
                c.close()

    def test_connect_call_close_cycles_leave_no_fd_behind(self):
        with harness.Server(threads=4) as srv:
            with srv.client(1) as c:
                c.agregar("p", "n", 1)
            time.sleep(0.2)
            base = settled_fds(srv)
            port = rpc.getport(srv.program, 1)
            for i in range(2000):
                with rpc.Client("127.0.0.1", port, srv.program, 1) as c:
                    c.obtener("p")
                if i % 500 == 0:                         # and some cut mid-call
                    s = raw_connect(srv)
                    s.sendall(struct.pack(">I", 0x80000000 | 100) + b"\0" * 8)
                    s.close()
            self.assertTrue(wait_until(lambda: srv.open_fds() == base, 10),
                            "fds %d, base %d" % (srv.open_fds(), base))
            with srv.client(2) as c:
                self.assertLessEqual(c.estado()["conexiones"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
