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

INVENTARIO_TEST_DB_URI runs the same tests on PostgreSQL (tests/pg runs them
so): each Server without an explicit db then gets a new empty database on
that PostgreSQL, created with psql (INVENTARIO_PSQL, else psql) through the
URI, whose role needs CREATEDB; srv.db is the new database's URI.

INVENTARIO_VALGRIND=1 runs every server under valgrind's memcheck
(scripts/test-valgrind.sh): no invalid access and no definite leak, with
tests/valgrind.supp for libtirpc's own.  Servers then stop with SIGTERM at
the end of a test, so the leak check runs; a report makes stop(), kill9()
or the end of the `with` raise with it.  Waits and client timeouts stretch
by SLOW.  INVENTARIO_VALGRIND_LOGS keeps every report in that folder.
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

DB_URI = os.environ.get("INVENTARIO_TEST_DB_URI")
PSQL = os.environ.get("INVENTARIO_PSQL", "psql")

VALGRIND = os.environ.get("INVENTARIO_VALGRIND") == "1"
VALGRIND_LOGS = os.environ.get("INVENTARIO_VALGRIND_LOGS")
VALGRIND_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             os.pardir, "valgrind.supp")
VALGRIND_EXIT = 99
# What memcheck prints for an error (suppressed ones are not printed).
VALGRIND_ERRORS = ("Invalid read", "Invalid write", "Invalid free",
                   "Mismatched free", "uninitialised", "Syscall param",
                   "overlap", "definitely lost in loss record",
                   "Process terminating with default action")
SLOW = 10 if VALGRIND else 1

_seq = itertools.count()
_dbseq = itertools.count(1)


def wait_until(pred, timeout=10.0, step=0.05):
    """Polls pred until it holds or timeout passes; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def settled_fds(srv):
    """The server's open fd count once connections that just closed are gone."""
    last, stable_since = srv.open_fds(), time.monotonic()
    deadline = stable_since + 10
    while time.monotonic() - stable_since < 0.3 and time.monotonic() < deadline:
        time.sleep(0.05)
        now = srv.open_fds()
        if now != last:
            last, stable_since = now, time.monotonic()
    return last


def unique_program():
    """A transient program number no other test process uses right now:
    derived from our PID (unique among live processes) and a counter."""
    base = 0x40000000 + (os.getpid() % 0x100000) * 0x100
    return base + next(_seq) % 0x100


def fresh_database():
    """The URI of a new empty database beside the one DB_URI names."""
    name = "inventario_%d_%d" % (os.getpid(), next(_dbseq))
    p = subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB_URI,
                        "-c", 'CREATE DATABASE "%s"' % name],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("CREATE DATABASE %s: %s" % (name, p.stderr))
    head, sep, query = DB_URI.partition("?")
    return head[:head.index("/", head.index("://") + 3)] + "/" + name + sep + query


class Process:
    """What the processes tests start have in common (a server here, a
    PostgreSQL in tests/pg): restart, and `with` starting one that is not
    running yet.  A subclass gives start(), stop() and __exit__(), and keeps
    its subprocess.Popen in self.proc."""
    proc = None

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self


class Server(Process):
    def __init__(self, threads=4, args=(), db=None, program=None, workdir=None,
                 env=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="inventario-test-")
        self._own_dir = workdir is None
        if not db:
            db = fresh_database() if DB_URI else os.path.join(self.dir, "inventario.db")
        self.db = db
        self.program = program or unique_program()
        self.threads = threads
        self.args = list(args)
        self.env = env
        self.proc = None
        self.logpath = os.path.join(self.dir, "server.log")

    # -- life cycle --------------------------------------------------------
    def command(self):
        cmd = [SERVER, "--db", self.db, "--program", str(self.program),
               "--threads", str(self.threads)] + self.args
        return self._valgrind() + cmd if VALGRIND else cmd

    def _valgrind(self):
        self.valgrind_log = os.path.join(VALGRIND_LOGS or self.dir,
                                         "valgrind-%p.log")
        return ["valgrind", "--tool=memcheck", "--error-exitcode=%d" % VALGRIND_EXIT,
                "--leak-check=full", "--show-leak-kinds=definite",
                "--errors-for-leak-kinds=definite", "--num-callers=30",
                "--suppressions=" + os.path.normpath(VALGRIND_SUPP),
                "--log-file=" + self.valgrind_log]

    def valgrind_report(self):
        """memcheck's report for the current process if it names an error."""
        try:
            with open(self.valgrind_log.replace("%p", str(self.proc.pid))) as f:
                text = f.read()
        except (AttributeError, OSError):
            return ""
        return text if any(e in text for e in VALGRIND_ERRORS) else ""

    def _check_valgrind(self, returncode):
        if VALGRIND and (returncode == VALGRIND_EXIT or self.valgrind_report()):
            raise AssertionError("valgrind found errors in the server:\n%s"
                                 % self.valgrind_report())

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
        deadline = time.monotonic() + timeout * SLOW
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
            rc = self.proc.wait(timeout * SLOW)
            self._check_valgrind(rc)
            return rc
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("server ignored SIGTERM for %.0fs" % timeout)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._check_valgrind(None)

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

    def __exit__(self, *exc):
        try:
            if VALGRIND:
                self.stop()             # SIGTERM: memcheck's leak check runs
        finally:
            self._exit_cleanup()

    def _exit_cleanup(self):
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

    def client(self, version=1, host="127.0.0.1", timeout=5.0, source=None):
        """A raw RPC client (tests/lib/rpc.py) on a fresh connection, from
        'source' (e.g. another loopback address) if given."""
        port = (self.listen_port(host) if ":" in host
                else rpc.getport(self.program, version))
        return rpc.Client(host, port, self.program, version, timeout=timeout * SLOW,
                          source=source)
