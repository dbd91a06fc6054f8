"""harness.py - start and stop real inventario-server processes for tests.

Each Server registers with the machine's real rpcbind under its own program
number in the transient range (0x40000000 and up), on its own SQLite file
in a temporary folder, so tests never collide with each other or with a
server someone is running.  Processes are ended by PID, never by name.

    with Server() as srv:           # started, registered, answering
        srv.program, srv.db, srv.pid
        srv.restart(); srv.kill9(); srv.stop()
        srv.log()                   # what the server wrote to stderr

The binaries come from the environment (ctest sets them):
INVENTARIO_SERVER, INVENTARIO_CLIENT, INVENTARIO_STRESS.
"""
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time

import rpc

SERVER = os.environ.get("INVENTARIO_SERVER", "inventario-server")
CLIENT = os.environ.get("INVENTARIO_CLIENT", "inventario-client")
STRESS = os.environ.get("INVENTARIO_STRESS", "inventario-stress")

_seq = itertools.count()


def unique_program():
    """A transient program number no other test process uses right now:
    derived from our PID (unique among live processes) and a counter."""
    base = 0x40000000 + (os.getpid() % 0x100000) * 0x100
    return base + next(_seq) % 0x100


class Server:
    def __init__(self, threads=4, args=(), db=None, program=None, workdir=None,
                 env=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="inventario-test-")
        self._own_dir = workdir is None
        self.db = db or os.path.join(self.dir, "inventario.db")
        self.program = program or unique_program()
        self.threads = threads
        self.args = list(args)
        self.env = env
        self.proc = None
        self.logpath = os.path.join(self.dir, "server.log")

    # -- life cycle --------------------------------------------------------
    def command(self):
        return [SERVER, "--db", self.db, "--program", str(self.program),
                "--threads", str(self.threads)] + self.args

    def start(self, wait=True):
        if self.proc is not None:
            self._logf.close()
        self._logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._logf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=10.0):
        """Until rpcbind knows us and a NULL call on version 1 answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d:\n%s"
                                   % (self.proc.returncode, self.log()))
            try:
                port = rpc.getport(self.program, 1)
                if port:
                    with rpc.Client("127.0.0.1", port, self.program, 1) as c:
                        c.call(0)
                    self.port = port
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server not ready in %.0fs:\n%s" % (timeout, self.log()))

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("server ignored SIGTERM for %.0fs" % timeout)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def prefill(self, rows):
        """Puts (id, nombre, stock) rows straight into the stopped server's
        database, for tests that need a large inventory quickly; starts it
        again."""
        import sqlite3
        self.stop()
        con = sqlite3.connect(self.db)
        try:
            con.executemany("INSERT INTO productos VALUES (?, ?, ?)", rows)
            con.commit()
        finally:
            con.close()
        return self.start()

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill9()
        if self.proc is not None:
            self._logf.close()
        for v in (1, 2):
            rpc.unset(self.program, v)
        if self._own_dir and os.environ.get("INVENTARIO_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- inspection --------------------------------------------------------
    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def listen_port(self, addr):
        """The port the server said it listens on at addr (its start-up log);
        rpcbind's portmapper view only has the IPv4 ones."""
        for line in self.log().splitlines():
            if "escuchando en %s puerto " % addr in line:
                return int(line.split(" puerto ")[1].split()[0])
        raise AssertionError("the server does not listen on %s" % addr)

    def client(self, version=1, host="127.0.0.1", timeout=5.0):
        """A raw RPC client (tests/lib/rpc.py) on a fresh connection."""
        port = (self.listen_port(host) if ":" in host
                else rpc.getport(self.program, version))
        return rpc.Client(host, port, self.program, version, timeout=timeout)
