"""The install tree and the .deb: what an operator gets is what was built.

`cmake --install` into a temporary prefix, then the installed programs run
from there (the server on a temporary database under a transient program
number, registered with the real rpcbind and answering a NULL call); the
man pages, the .x, the systemd unit and the sysusers file are where they
belong; and `cpack -G DEB` makes a package whose control data and file list
`dpkg-deb` confirms.  The build folder comes from INVENTARIO_BUILD_DIR.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
import rpc

BUILD = os.environ.get("INVENTARIO_BUILD_DIR", "")
CMAKE = os.environ.get("CMAKE_COMMAND", "cmake")
CPACK = os.environ.get("CPACK_COMMAND", "cpack")


def run(*cmd, **kw):
    """Runs cmd, returns its stdout; fails the test with its output if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if p.returncode != 0:
        raise AssertionError("%s exited with %d:\n%s%s"
                             % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


class InstallTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(os.path.join(BUILD, "CMakeCache.txt")):
            raise unittest.SkipTest("INVENTARIO_BUILD_DIR is not a build folder")
        cls.tmp = tempfile.mkdtemp(prefix="inventario-install-")
        cls.prefix = os.path.join(cls.tmp, "prefijo")
        run(CMAKE, "--install", BUILD, "--prefix", cls.prefix)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.prefix, rel)

    def test_programs_answer_version_and_help(self):
        for rel in ("sbin/inventario-server", "bin/inventario-client",
                    "bin/inventario-stress"):
            exe = self.path(rel)
            name = os.path.basename(rel)
            self.assertTrue(os.access(exe, os.X_OK), rel)
            self.assertEqual(run(exe, "--version").strip(), "%s 1.0.0" % name)
            self.assertIn("Estado de salida", run(exe, "--help"))

    def test_installed_server_registers_and_answers(self):
        harness.SERVER = self.path("sbin/inventario-server")
        with harness.Server(threads=2) as srv:        # waits for a NULL call
            self.assertIn((1, "tcp"), rpc.registrations(srv.program))
            with srv.client(1) as c:
                self.assertEqual(c.null(), b"")
            with srv.client(2) as c:
                self.assertEqual(c.estado()["version"], "1.0.0")
            self.assertEqual(srv.stop(), 0)          # SIGTERM to its PID
            self.assertEqual(rpc.registrations(srv.program), set())

    def test_installed_stress_starts_the_installed_server(self):
        # With no --host or --program the tool starts a server of its own:
        # the installed one beside it (../sbin), not one from the build tree.
        p = subprocess.run([self.path("bin/inventario-stress"), "-v", "--ops", "100",
                            "--products", "20", "--json"], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL,
                           env=dict(os.environ, PATH="/usr/bin:/bin"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("servidor propio: %s" % os.path.join(
            self.path("bin"), "..", "sbin", "inventario-server"), p.stderr)
        self.assertTrue(json.loads(p.stdout)["servidor"]["propio"])

    def test_man_pages_in_their_sections(self):
        for page in ("man8/inventario-server.8", "man1/inventario-client.1",
                     "man1/inventario-stress.1"):
            f = self.path("share/man/" + page)
            self.assertTrue(os.path.isfile(f), page)
            if shutil.which("groff"):
                # -k: the pages are UTF-8; -ww: every warning.
                p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", f],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.stderr, "", page)

    def test_contract_unit_and_docs(self):
        with open(self.path("include/rpcsvc/inventario.x")) as f:
            self.assertIn("0x20494E56", f.read())
        with open(self.path("lib/systemd/system/inventario.service")) as f:
            unit = f.read()
        # The unit runs the server of this prefix, not /usr/sbin's.
        self.assertIn("ExecStart=%s --db /var/lib/inventario/inventario.db"
                      % self.path("sbin/inventario-server"), unit)
        self.assertIn("Requires=rpcbind.socket", unit)
        # systemd's own check of the unit, where systemd is installed (it
        # needs no running systemd).
        if shutil.which("systemd-analyze") and os.path.exists(
                "/lib/systemd/system/rpcbind.socket"):
            p = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                self.path("lib/systemd/system/inventario.service")],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual((p.returncode, p.stderr), (0, ""))
        with open(self.path("lib/sysusers.d/inventario.conf")) as f:
            self.assertRegex(f.read(), r"(?m)^u inventario ")
        for doc in ("README.md", "arquitectura.md", "operacion.md"):
            self.assertTrue(os.path.isfile(self.path("share/doc/inventario/" + doc)), doc)


@unittest.skipUnless(shutil.which("dpkg-deb"), "dpkg-deb is not installed")
class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(os.path.join(BUILD, "CPackConfig.cmake")):
            raise unittest.SkipTest("no CPackConfig.cmake in the build folder")
        cls.tmp = tempfile.mkdtemp(prefix="inventario-deb-")
        run(CPACK, "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"),
            "-B", cls.tmp)
        debs = glob.glob(os.path.join(cls.tmp, "*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return run("dpkg-deb", "-f", self.deb, name).strip()

    def test_control(self):
        self.assertEqual(self.field("Package"), "inventario")
        self.assertEqual(self.field("Version"), "1.0.0")
        depends = [re.sub(r"\s*\(.*\)", "", d).strip()
                   for d in self.field("Depends").split(",")]
        for pkg in ("rpcbind", "netbase", "libtirpc3", "libsqlite3-0",
                    "libjansson4", "libedit2"):
            self.assertIn(pkg, depends)
        info = run("dpkg-deb", "-I", self.deb)
        for script in ("postinst", "prerm", "postrm"):
            self.assertRegex(info, r"\b%s\b" % script)

    def test_postinst_adds_the_alias(self):
        out = os.path.join(self.tmp, "control")
        run("dpkg-deb", "-e", self.deb, out)
        with open(os.path.join(out, "postinst")) as f:
            text = f.read()
        self.assertIn("inventario\t541675094\tinventario.servicio", text)
        self.assertIn("-m 0750 -o root -g inventario /etc/inventario/tls", text)
        self.assertTrue(os.access(os.path.join(out, "postinst"), os.X_OK))

    def test_files(self):
        listing = run("dpkg-deb", "-c", self.deb)
        files = {line.split()[-1] for line in listing.splitlines()}
        for f in ("./usr/sbin/inventario-server", "./usr/bin/inventario-client",
                  "./usr/bin/inventario-stress",
                  "./usr/share/man/man8/inventario-server.8",
                  "./usr/share/man/man1/inventario-client.1",
                  "./usr/share/man/man1/inventario-stress.1",
                  "./usr/include/rpcsvc/inventario.x",
                  "./usr/lib/systemd/system/inventario.service",
                  "./usr/lib/sysusers.d/inventario.conf",
                  "./usr/share/doc/inventario/operacion.md",
                  "./usr/share/inventario/certificados.sh"):
            self.assertIn(f, files)
        # Files owned by root, whoever built the package.
        for line in listing.splitlines():
            self.assertTrue(line.split()[1].startswith("root/root"), line)

    def test_unit_names_usr_sbin(self):
        out = os.path.join(self.tmp, "arbol")
        run("dpkg-deb", "-x", self.deb, out)
        with open(os.path.join(out, "usr/lib/systemd/system/inventario.service")) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/sbin/inventario-server --db "
                      "/var/lib/inventario/inventario.db", unit)
        self.assertIn("file:/usr/share/doc/inventario/operacion.md", unit)


if __name__ == "__main__":
    unittest.main(verbosity=2)
