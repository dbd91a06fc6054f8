"""pglib.py - a throwaway PostgreSQL for tests: initdb, a server on a Unix
socket only, databases, a streaming standby, and removal of everything.

    with PostgreSQL() as pg:                # initdb'd, started, answering
        uri = pg.create_database()          # postgresql:///inv1?host=...&user=inventario
        pg.sql("SELECT count(*) FROM productos", db="inv1")   # psql -At output
        pg.stop(); pg.start()               # the same cluster, down and up again
        with pg.standby() as rep:           # pg_basebackup -R, streaming
            rep.promote()

Everything lives in one temporary folder: the data directory, the socket
(listen_addresses is empty: no TCP port at all) and the server's log.
PostgreSQL refuses to run as root, so as root it runs as the 'postgres'
user the Debian package made (else 'nobody'), which owns the folder.  The
server is stopped by its PID, never by name, and dies with the test
process (PR_SET_PDEATHSIG) if that is killed.  Binaries come from
INVENTARIO_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else PATH.

The cluster's default collation is ICU Spanish where the build has ICU, so
that a column without COLLATE "C" would sort 'a' before 'B': the store must
not depend on the database's default to give the contract's bytewise order.
"""
import ctypes
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness


def bindir():
    d = os.environ.get("INVENTARIO_PG_BINDIR")
    if d:
        return d

    def version(path):
        try:
            return float(path.split("/")[-2])
        except ValueError:
            return 0.0
    found = sorted((p for p in glob.glob("/usr/lib/postgresql/*/bin")
                    if os.path.exists(os.path.join(p, "initdb"))), key=version)
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("no se encuentra PostgreSQL (initdb): instale el paquete "
                       "postgresql (scripts/setup.sh) o indique INVENTARIO_PG_BINDIR")


def _account():
    """(uid, gid) to run PostgreSQL as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            pass
    raise RuntimeError("no hay un usuario sin privilegios (postgres, nobody) "
                       "con el que ejecutar PostgreSQL")


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _as(account, deathsig=None):
    """preexec_fn: drop to the account, and die with us if asked."""
    def fn():
        if account is not None:
            os.setgroups([])
            os.setgid(account[1])
            os.setuid(account[0])
        if deathsig is not None:
            _libc.prctl(PR_SET_PDEATHSIG, int(deathsig), 0, 0, 0)
    return fn


class PostgreSQL(harness.Process):
    _dbseq = itertools.count(1)
    ROLE = "inventario"

    def __init__(self):
        self.bin = bindir()
        self.account = _account()
        # The account must reach its folder: TMPDIR may be under /root.
        tmp = "/tmp" if self.account is not None else tempfile.gettempdir()
        self.dir = tempfile.mkdtemp(prefix="inventario-pg-", dir=tmp)
        self.data = os.path.join(self.dir, "data")
        self.logpath = os.path.join(self.dir, "postgres.log")
        self.proc = None
        self._logf = None
        self._fresh = False         # initdb'd here: the test role is missing
        if self.account is not None:
            os.chown(self.dir, *self.account)
        os.chmod(self.dir, 0o755)

    # -- running programs --------------------------------------------------
    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        return env

    def _run_as(self, args, **kw):
        """One of PostgreSQL's programs as the account; its output if it
        fails goes into the exception."""
        p = subprocess.run([os.path.join(self.bin, args[0])] + list(args[1:]),
                           cwd=self.dir, env=self._env(), preexec_fn=_as(self.account),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=kw.pop("timeout", 60), **kw)
        if p.returncode != 0:
            raise RuntimeError("%s falló (%d):\n%s%s" % (args[0], p.returncode,
                               p.stdout.decode(errors="replace"),
                               p.stderr.decode(errors="replace")))
        return p.stdout.decode()

    def initdb(self):
        common = ["initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8"]
        try:
            self._run_as(common + ["--locale-provider=icu", "--icu-locale=es",
                                   "--locale=C.UTF-8"])
        except RuntimeError:
            shutil.rmtree(self.data, ignore_errors=True)
            self._run_as(common + ["--no-locale"])
        self._fresh = True
        return self

    # -- life cycle --------------------------------------------------------
    def start(self, timeout=30.0):
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self.initdb()
        if self._logf is None:
            self._logf = open(self.logpath, "ab")
        cmd = [os.path.join(self.bin, "postgres"), "-D", self.data,
               "-k", self.dir, "-c", "listen_addresses=",
               "-c", "shared_buffers=16MB", "-c", "max_connections=50",
               "-c", "max_wal_senders=4"]
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=self._env(),
                                     stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=_as(self.account, signal.SIGINT))
        self.wait_ready(timeout)
        if self._fresh:
            self.sql("CREATE ROLE %s LOGIN CREATEDB" % self.ROLE)
            self._fresh = False
        return self

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres terminó con %d:\n%s"
                                   % (self.proc.returncode, self.log()))
            p = subprocess.run([os.path.join(self.bin, "pg_isready"), "-q",
                                "-h", self.dir, "-U", "postgres"], env=self._env())
            if p.returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("postgres no está listo en %.0f s:\n%s" % (timeout, self.log()))

    def stop(self, timeout=30.0):
        """Fast shutdown (SIGINT): clients are disconnected, what is
        committed stays."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("postgres no se detuvo con SIGINT en %.0f s" % timeout)

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop()
            except RuntimeError:
                pass
        if self._logf is not None:
            self._logf.close()
            self._logf = None
        if os.environ.get("INVENTARIO_KEEP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- using it ----------------------------------------------------------
    def uri(self, db):
        return "postgresql:///%s?host=%s&user=%s" % (db, self.dir, self.ROLE)

    def sql(self, query, db="postgres", user="postgres"):
        """Runs SQL with psql (as us: the socket trusts every local user);
        its unaligned output, one row a line."""
        p = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-At",
                            "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", user,
                            "-d", db, "-c", query], env=self._env(),
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql: %s\n%s" % (query, p.stderr.decode(errors="replace")))
        return p.stdout.decode()

    def set_synchronous_standbys(self, names, timeout=15.0):
        """Sets synchronous_standby_names and returns once commits obey it.

        pg_reload_conf() only signals: the postmaster, the checkpointer
        (which publishes whether sync standbys are defined) and every
        backend reload later, each on its own.  So probe commits are made
        until one behaves as the new setting says: with names, it waits for
        a standby (pg_stat_activity shows it in SyncRep); without, it
        returns at once.  A probe still waiting is cancelled, which ends
        its wait (its row stays committed locally)."""
        self.sql("CREATE TABLE IF NOT EXISTS sonda_sincrona(n int)")   # before: it commits
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '%s'" % names)
        self.sql("SELECT pg_reload_conf()")
        deadline = time.monotonic() + timeout
        while True:
            probe = subprocess.Popen(
                [os.path.join(self.bin, "psql"), "-X", "-q", "-h", self.dir,
                 "-U", "postgres", "-d", "dbname=postgres application_name=sonda",
                 "-c", "INSERT INTO sonda_sincrona VALUES (1)"],
                env=self._env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                probe.wait(0.3)
                obeys = not names
            except subprocess.TimeoutExpired:
                obeys = bool(names) and self.sql(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'sonda' AND wait_event = 'SyncRep'").strip() != "0"
                self.sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = 'sonda'")
                probe.wait(30)
            if obeys:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("synchronous_standby_names = '%s' sin efecto en %.0f s"
                                   % (names, timeout))
            time.sleep(0.05)

    def create_database(self, name=None):
        """A new empty database owned by the test role; its URI."""
        name = name or "inv%d" % next(self._dbseq)
        self.sql('CREATE DATABASE "%s" OWNER %s' % (name, self.ROLE))
        return self.uri(name)

    def log(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- replication -------------------------------------------------------
    def is_standby(self):
        return self.sql("SELECT pg_is_in_recovery()").strip() == "t"

    def standby(self):
        """A streaming standby of this cluster in a folder of its own,
        started (pg_basebackup -R writes its primary_conninfo)."""
        rep = PostgreSQL()
        self._run_as(["pg_basebackup", "-h", self.dir, "-U", "postgres",
                      "-D", rep.data, "-R", "-X", "stream", "-c", "fast", "--no-sync"])
        return rep.start()

    def promote(self):
        self._run_as(["pg_ctl", "promote", "-w", "-D", self.data])


def for_module():
    """A PostgreSQL for a whole test module, from its setUpModule: started
    now, stopped and removed once the module's tests are done."""
    pg = PostgreSQL()
    unittest.addModuleCleanup(pg.__exit__, None, None, None)
    return pg.start()
