"""Hostile connections against a live server.

Each test plays one kind of offender: a record marker announcing 2 GiB,
endless empty fragments, a call dribbled a byte at a time, a client that
never reads, a thousand idle connections under a low open-file limit,
clients that vanish in the middle of a call, and malformed RPC headers.
In every case the offender is cut off or refused, a normal client on its
own connection is answered without delay (each call within PROMPT seconds,
a bound that only a missing defence can break), and the server's open files
and memory come back to where they were.

Every loop here is bounded in count and in time; all traffic is loopback.
"""
import os
import re
import resource
import socket
import struct
import threading
import time
import unittest

import harness
from harness import settled_fds, wait_until
import rpc
from rpc import OK, AUTH_SYS

# A normal client's call is answered within this, whatever the offenders do
# (stretched under valgrind, still far below libtirpc's 35 s blocking read).
PROMPT = 2.0 * getattr(harness, "SLOW", 1)
# Growth of the server's resident memory allowed after an attack: room for
# allocator caches, far below what a leak per offender or one unbounded
# allocation would take.
RSS_SLACK_KIB = 8 * 1024
MSG_DENIED, RPC_MISMATCH, AUTH_ERROR = 1, 0, 1


def instrumented(srv):
    """Whether the server runs under a sanitizer or valgrind, whose own
    allocators keep freed memory (quarantine) and make RSS meaningless."""
    if os.environ.get("INVENTARIO_VALGRIND") == "1":
        return True
    try:
        with open("/proc/%d/maps" % srv.pid) as f:
            maps = f.read()
    except OSError:
        return True
    return any(lib in maps for lib in ("libasan", "libtsan", "libubsan",
                                       "vgpreload"))


def cut_off(sock, timeout=5.0):
    """True if the server closes sock within timeout (EOF or reset).  What it
    sends before closing is read and thrown away."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


def read_record(sock, timeout=5.0):
    """One record from sock, or None if the server closed it first."""
    sock.settimeout(timeout)
    buf = b""
    try:
        while True:
            while len(buf) < 4:
                chunk = sock.recv(4 - len(buf))
                if not chunk:
                    return None
                buf += chunk
            (mark,) = struct.unpack(">I", buf[:4])
            need = 4 + (mark & 0x7FFFFFFF)
            while len(buf) < need:
                chunk = sock.recv(need - len(buf))
                if not chunk:
                    return None
                buf += chunk
            if mark & 0x80000000:
                return buf[4:]
            # A record of several fragments: keep what came, read on.
            buf = buf[4:]
    except (ConnectionResetError, BrokenPipeError):
        return None


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Hostil(unittest.TestCase):
    """A fresh server per test, warmed up, with its baseline taken."""
    threads = 4
    args = []
    prefill = 0

    def setUp(self):
        self.srv = harness.Server(threads=self.threads, args=self.args)
        self.srv.start()
        self.addCleanup(self.srv.__exit__, None, None, None)
        if self.prefill:
            self.srv.prefill(("p%05d" % i, "n" * 200, i) for i in range(self.prefill))
        self.port = rpc.getport(self.srv.program, 1)
        self.warm_up()
        self.base_fds = settled_fds(self.srv)
        self.base_rss = self.srv.rss_kib()

    def warm_up(self):
        """Every worker has served calls, so the allocator's per-thread
        caches exist before the baseline is taken."""
        def client(n):
            with self.srv.client(2, timeout=30) as c:
                c.agregar("base-%d" % n, "Producto base", 10)
                for _ in range(40):
                    c.obtener("base-%d" % n)
                c.pagina("", 50)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def connect(self, rcvbuf=0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.port))
        return s

    def assert_served_promptly(self, calls=20):
        """A new client's calls are each answered within PROMPT seconds."""
        with self.srv.client(2, timeout=PROMPT) as c:
            for i in range(calls):
                t0 = time.monotonic()
                self.assertEqual(c.obtener("base-%d" % (i % 8))[0], OK)
                self.assertLess(time.monotonic() - t0, PROMPT)

    def assert_back_to_baseline(self):
        self.assertIsNone(self.srv.proc.poll(), "the server died:\n" + self.srv.log())
        self.assertTrue(wait_until(lambda: self.srv.open_fds() <= self.base_fds, 15),
                        "open fds %d, baseline %d" % (self.srv.open_fds(), self.base_fds))
        if not instrumented(self.srv):
            grown = self.srv.rss_kib() - self.base_rss
            self.assertLess(grown, RSS_SLACK_KIB,
                            "resident memory grew by %d KiB" % grown)

    def call(self, proc, args=b"", vers=2, xid=1, cred=(rpc.AUTH_NONE, b"")):
        return rpc.record(rpc.call_header(xid, self.srv.program, vers, proc, cred) + args)


class Registros(Hostil):
    def test_record_marker_of_0x7fffffff_is_cut_off(self):
        # The marker announces a 2 GiB fragment; a well-formed call header
        # follows, so nothing but the record cap refuses it (a server without
        # the cap answers the call, then waits for the rest of the fragment).
        head = rpc.call_header(1, self.srv.program, 2, 0)
        for mark in (0x7FFFFFFF, 0xFFFFFFFF):
            offenders = []
            for _ in range(25):
                s = self.connect()
                s.sendall(struct.pack(">I", mark) + head)
                offenders.append(s)
            # 25 offenders, 4 workers: none may hold a worker.
            self.assert_served_promptly()
            for s in offenders:
                self.assertTrue(cut_off(s), "marker %#x was not cut off" % mark)
                s.close()
        self.assert_back_to_baseline()

    def test_a_million_empty_fragments_are_cut_off_at_the_first(self):
        for mark in (0, 0x80000000):            # not last, and last
            s = self.connect()
            chunk = struct.pack(">I", mark) * 16384      # 16384 fragments
            sent, deadline = 0, time.monotonic() + 10
            try:
                while sent < 1000000 and time.monotonic() < deadline:
                    s.sendall(chunk)
                    sent += 16384
            except OSError:
                pass                                    # cut off while sending
            self.assertTrue(cut_off(s), "empty fragments (%#x) were not cut off" % mark)
            s.close()
            self.assert_served_promptly()
        self.assert_back_to_baseline()

    def test_a_record_past_the_cap_is_cut_off(self):
        # 8192 bytes is the server's record cap; 9000 bytes of a valid-looking
        # call, in two fragments that each fit, are still too much.
        body = rpc.call_header(1, self.srv.program, 2, 0) + b"\0" * 9000
        s = self.connect()
        try:
            s.sendall(struct.pack(">I", 5000) + body[:5000] +
                      struct.pack(">I", 0x80000000 | (len(body) - 5000)) + body[5000:])
        except OSError:
            pass
        self.assertTrue(cut_off(s))
        s.close()
        self.assert_served_promptly()
        self.assert_back_to_baseline()


class Goteo(Hostil):
    threads = 2

    def test_calls_sent_one_byte_at_a_time_are_served_and_delay_nobody(self):
        # Six clients dribble a whole AGREGAR a byte at a time over about two
        # seconds each, three times the two workers: a worker that waited for
        # a record to complete would keep a normal client waiting far longer
        # than PROMPT.
        results, errors = {}, []

        def dribble(n):
            try:
                s = self.connect()
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                args = rpc.Packer().string("goteo-%d" % n).string("Goteo").int(n).bytes()
                msg = self.call(1, args, xid=100 + n, cred=rpc.auth_sys("goteo", 7))
                for i in range(len(msg)):
                    s.send(msg[i:i + 1])
                    time.sleep(2.0 / len(msg))
                reply = read_record(s, timeout=10)
                results[n] = rpc.Unpacker(rpc.Client.parse_reply(reply, 100 + n)).uint()
                s.close()
            except Exception as e:              # reported below, not swallowed
                errors.append(repr(e))

        threads = [threading.Thread(target=dribble, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            self.assert_served_promptly(calls=5)
            time.sleep(0.1)
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(results, {n: OK for n in range(6)})
        with self.srv.client(1) as c:
            for n in range(6):
                self.assertEqual(c.obtener("goteo-%d" % n), (OK, ("goteo-%d" % n, "Goteo", n)))
        self.assert_back_to_baseline()


class NoLee(Hostil):
    def test_a_client_that_pipelines_calls_and_never_reads_is_cut_off(self):
        # Calls with small replies, sent without end and never read: the
        # replies fill the hog's socket, the server's write gives up (libtirpc
        # waits at most 2 s on a non-blocking connection) and cuts it off.
        hog = self.connect(rcvbuf=4096)
        hog.settimeout(1.0)
        call = self.call(2, rpc.Packer().string("base-0").bytes())
        batch = call * 2000
        stop = threading.Event()

        def flood():
            deadline = time.monotonic() + 20
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    hog.sendall(batch)
                except socket.timeout:
                    continue                    # the server stopped reading for now
                except OSError:
                    return                      # cut off

        t = threading.Thread(target=flood)
        t.start()
        try:
            # Meanwhile everybody else is served; at most one of the four
            # workers is ever busy with the hog.
            t_end = time.monotonic() + 4
            while time.monotonic() < t_end:
                self.assert_served_promptly(calls=5)
                time.sleep(0.1)
            # The hog's connection is closed by the server, its fd freed,
            # without the hog ever reading.
            self.assertTrue(wait_until(lambda: self.srv.open_fds() <= self.base_fds, 20),
                            "the hog's connection was not closed (fds %d, base %d)"
                            % (self.srv.open_fds(), self.base_fds))
        finally:
            stop.set()
            t.join()
            hog.close()
        self.assert_served_promptly()
        self.assert_back_to_baseline()


class Desconexiones(Hostil):
    prefill = 2000

    def test_disconnects_mid_request_before_and_during_the_reply(self):
        rst = struct.pack("ii", 1, 0)               # SO_LINGER on, 0 s: reset
        added = []
        for i in range(150):
            kind = i % 5
            s = self.connect()
            if kind in (1, 3, 4):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, rst)
            if kind in (0, 1):                      # half a call, then gone
                s.sendall(struct.pack(">I", 0x80000000 | 100) + b"\0" * 40)
            elif kind in (2, 3):                    # a whole write, reply unread
                pid = "d%03d" % i
                added.append(pid)
                args = rpc.Packer().string(pid).string("Desconexión").int(i).bytes()
                s.sendall(self.call(1, args, xid=i))
            else:                                   # a listing, cut mid-reply
                s.sendall(self.call(4, xid=i))
                s.settimeout(5)
                s.recv(100)
            s.close()
        self.assert_served_promptly()
        self.assert_back_to_baseline()
        # A write whose client vanished happened entirely or not at all: every
        # such product present has exactly one ALTA, and no ALTA lacks one.
        with self.srv.client(2, timeout=10) as c:
            present = {p[0] for p in c.pagina("d", 1000)[1] if p[0] in added}
            altas = [m["id"] for m in c.movimientos(0, "", 1000)[1]
                     if m["tipo"] == rpc.ALTA and m["id"] in added]
        self.assertEqual(sorted(altas), sorted(present))


class Cabeceras(Hostil):
    """Malformed RPC headers: refused, with an RPC error where the header
    can be read, by closing the connection where it cannot."""

    def outcome(self, payload):
        """('cut', None), or ('reply', (reply_stat, detail words...))."""
        s = self.connect()
        try:
            s.sendall(payload)
        except OSError:
            pass
        reply = read_record(s)
        if reply is None:
            s.close()
            return "cut", None, None
        u = rpc.Unpacker(reply)
        u.uint()
        self.assertEqual(u.uint(), rpc.REPLY)
        words = []
        while not u.done():
            words.append(u.uint())
        return "reply", tuple(words), s

    def assert_refused(self, name, payload, allowed):
        """Each of 30 attempts ends in one of 'allowed': 'cut', 'auth' (MSG_DENIED
        AUTH_ERROR, the connection still usable), 'mismatch' (MSG_DENIED
        RPC_MISMATCH 2..2), 'garbage' (GARBAGE_ARGS, still usable)."""
        for _ in range(30):
            kind, words, s = self.outcome(payload)
            if kind == "cut":
                got = "cut"
            elif words[0] == MSG_DENIED and words[1] == AUTH_ERROR:
                got = "auth"
            elif words[0] == MSG_DENIED and words[1] == RPC_MISMATCH:
                self.assertEqual(words[2:4], (2, 2), name)
                got = "mismatch"
            elif words[0] == rpc.MSG_ACCEPTED and words[3] == rpc.GARBAGE_ARGS:
                got = "garbage"
            else:
                self.fail("%s: answered %r" % (name, words))
            self.assertIn(got, allowed, name)
            if s is not None:
                # Refused but not cut: the same connection still works.
                s.sendall(self.call(0, xid=99))
                self.assertEqual(rpc.Client.parse_reply(read_record(s), 99), b"")
                s.close()

    def test_malformed_headers_are_refused(self):
        P = self.srv.program
        hdr = rpc.call_header
        huge_cred = (struct.pack(">IIIIIII", 5, rpc.CALL, 2, P, 2, 0, AUTH_SYS) +
                     struct.pack(">I", 0x7FFFFFFF) + b"\0" * 32)
        cases = [
            # RFC 5531: MSG_DENIED RPC_MISMATCH (low 2, high 2).
            ("rpcvers 3", rpc.record(hdr(1, P, 2, 0, rpcvers=3)), {"mismatch"}),
            ("a REPLY sent as a call", rpc.record(hdr(2, P, 2, 0, msgtype=rpc.REPLY)),
             {"cut"}),
            ("unknown auth flavour", rpc.record(hdr(3, P, 2, 0, cred=(99, b""))), {"auth"}),
            ("unknown auth flavour with a body",
             rpc.record(hdr(4, P, 2, 0, cred=(99, b"\xff" * 64))), {"auth"}),
            # MAX_AUTH_BYTES is 400: a credential of exactly 400 bytes is
            # legal XDR; as AUTH_SYS garbage it must be refused as a bad
            # credential.  One byte more, or a header that ends inside the
            # credential or the verifier, is a bad credential as well.
            ("400-byte AUTH_SYS garbage",
             rpc.record(hdr(5, P, 2, 0, cred=(AUTH_SYS, b"\xff" * 400))), {"auth"}),
            # Claims 16 groups but carries 2: libtirpc refuses it and
            # complains with printf ("bad auth_len ...").
            ("AUTH_SYS claiming more groups than it carries",
             rpc.record(hdr(11, P, 2, 0, cred=(AUTH_SYS, struct.pack(">IIIII", 0, 0, 0, 0, 16) +
                                                  b"\0" * 8))), {"auth"}),
            ("401-byte credential",
             rpc.record(hdr(6, P, 2, 0, cred=(AUTH_SYS, b"\0" * 401))), {"auth"}),
            ("a credential claiming 2 GiB", rpc.record(huge_cred), {"auth"}),
            ("RPCSEC_GSS without a context",
             rpc.record(hdr(7, P, 2, 0, cred=(6, b"\0" * 40))), {"auth"}),
            ("a header cut after 12 bytes", rpc.record(hdr(8, P, 2, 0)[:12]), {"cut"}),
            ("a header cut inside the verifier", rpc.record(hdr(9, P, 2, 0)[:36]),
             {"auth"}),
            ("an argument string claiming 2 GiB",
             rpc.record(hdr(10, P, 2, 2) + struct.pack(">I", 0x7FFFFFFF) + b"abcd"),
             {"garbage"}),
        ]
        for name, payload, allowed in cases:
            with self.subTest(name):
                self.assert_refused(name, payload, allowed)
                self.assert_served_promptly(calls=3)
        self.assert_back_to_baseline()
        # libtirpc prints its complaint about the AUTH_SYS garbage with
        # printf; none of it may reach the service's log (stdout is flushed
        # at exit, so look after the stop).
        self.srv.stop()
        self.assertNotIn("bad auth_len", self.srv.log())


class ServidorLimitado(harness.Server):
    """A server started under a given RLIMIT_NOFILE (soft and hard)."""

    def __init__(self, nofile, **kw):
        super().__init__(**kw)
        self.nofile = nofile

    def command(self):
        return (["prlimit", "--nofile=%d:%d" % (self.nofile, self.nofile), "--"] +
                super().command())


class MilOciosas(unittest.TestCase):
    """1000 idle connections against a server whose open-file limit cannot
    hold them: it stays up, never runs out of descriptors (libtirpc's accept
    would then retry forever, every 50 ms, on the only thread that polls),
    and serves a normal client again once connections free up."""

    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

    def run_idle(self, nofile, max_conns, expect_cap=None):
        with ServidorLimitado(nofile, threads=4, args=["--max-conns", str(max_conns)]) as srv:
            if expect_cap is None:
                # The cap the server chose to fit its limit, from its log
                # (valgrind, when it runs the server, keeps a few fds too).
                m = re.search(r"solo permite (\d+) conexiones", srv.log())
                self.assertIsNotNone(m, "no cap to fit the limit:\n" + srv.log())
                expect_cap = int(m.group(1))
                self.assertLessEqual(expect_cap, nofile - 64)
            with srv.client(1, timeout=PROMPT) as c:
                self.assertEqual(c.null(), b"")
            base = settled_fds(srv)
            port = rpc.getport(srv.program, 1)
            idle = []
            try:
                for _ in range(1000):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.settimeout(5)
                    s.connect(("127.0.0.1", port))  # the rest wait in the backlog
                    idle.append(s)
                self.assertTrue(wait_until(lambda: srv.open_fds() >= base + expect_cap - 2, 10),
                                "fds %d, base %d" % (srv.open_fds(), base))
                # Full, and idle: the server stays up, below its limit, and does
                # not spin (at most half a core over two seconds).
                cpu0 = cpu_seconds(srv.pid)
                time.sleep(2)
                self.assertLess(cpu_seconds(srv.pid) - cpu0, 1.0)
                self.assertIsNone(srv.proc.poll())
                self.assertLessEqual(srv.open_fds(), base + expect_cap + 4)
                self.assertLess(srv.open_fds(), nofile)
            finally:
                for s in idle:
                    s.close()
            # Connections free up: a normal client is served (its connection
            # waits behind the backlog being drained), then promptly.
            with srv.client(1, timeout=15) as c:
                self.assertEqual(c.null(), b"")
            with srv.client(2, timeout=PROMPT) as c:
                for i in range(10):
                    self.assertEqual(c.agregar("x%d" % i, "n", i), OK)
            self.assertTrue(wait_until(lambda: srv.open_fds() <= base, 15),
                            "fds %d, base %d" % (srv.open_fds(), base))
            self.assertIsNone(srv.proc.poll())
            self.assertNotIn("Too many open files", srv.log())

    def test_idle_connections_under_a_low_limit_with_max_conns_below_it(self):
        self.run_idle(nofile=256, max_conns=100, expect_cap=100)

    def test_max_conns_above_the_limit_is_cut_to_fit(self):
        # The limit cannot be raised (hard 128): the server keeps 64 fds for
        # itself and takes at most the rest, 64 connections.
        self.run_idle(nofile=128, max_conns=1000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
