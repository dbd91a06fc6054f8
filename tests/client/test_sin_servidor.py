"""When the service cannot be reached: the message names the host and what to
check, the exit status says why, and no wait outlasts the timeout."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import cliente
import harness
import rpc
from cliente import run, OK, SIN_SERVIDOR, TIEMPO_AGOTADO

# Runs inside a network and mount namespace of its own (test_dns_mudo):
# brings up lo, which a new network namespace has down; puts the given
# resolv.conf and nsswitch.conf in place; binds a UDP socket on
# 127.0.0.77:53 that nobody reads, and execs the client with it still open:
# the client's DNS questions pile up there and get no answer, not even the
# ICMP "port unreachable" that would end the lookup at once.
DNS_MUDO = r"""
import fcntl, os, socket, struct, subprocess, sys
resolv, nsswitch, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 1
ifr = fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack("16sH22x", b"lo", 0))
flags = struct.unpack("16sH22x", ifr)[1]
fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
for f, etc in ((resolv, "/etc/resolv.conf"), (nsswitch, "/etc/nsswitch.conf")):
    subprocess.run(["mount", "--bind", f, etc], check=True)
s.bind(("127.0.0.77", 53))
s.set_inheritable(True)
os.execvp(cmd[0], cmd)
"""


class SinServidor(unittest.TestCase):
    def test_programa_no_registrado(self):
        nadie = harness.unique_program()
        for args in (["listar"], ["obtener", "A1"], ["--json", "estado"]):
            with self.subTest(args=args):
                r = run(args, program=nadie, timeout=2)
                self.assertEqual(r.rc, SIN_SERVIDOR, r)
                msg = r.json_err()["error"]["mensaje"] if "--json" in args else r.err
                self.assertIn("(programa %d) no está registrado en rpcbind de localhost"
                              % nadie, msg)
                self.assertIn("¿Está arrancado inventario-server?", msg)
                self.assertIn("rpcinfo -p localhost", msg)
                self.assertLess(r.secs, 5)

    def test_menu_sin_servidor_no_arranca(self):
        nadie = harness.unique_program()
        r = run([], program=nadie, input="4\n0\n")
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertEqual(r.out, "")
        self.assertIn("no está registrado en rpcbind de localhost", r.err)
        self.assertIn("rpcinfo -p localhost", r.err)

    def test_rpcbind_inalcanzable(self):
        # TEST-NET-1 (RFC 5737): nobody answers there.  Depending on the
        # network the connection is refused, reset or dropped; every way it
        # must end within the timeout with a message about rpcbind.
        r = run(["--host", "192.0.2.1", "listar"], timeout=1)
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertIn("rpcbind", r.err)
        self.assertIn("192.0.2.1", r.err)
        self.assertIn("rpcinfo -p 192.0.2.1", r.err)
        # Bounded by the timeout, not by the kernel's connect (minutes);
        # the margin is for a loaded machine and sanitizer builds.
        self.assertLess(r.secs, 1 + 5)

    def test_host_desconocido(self):
        r = run(["--host", "no-existe.invalid", "listar"], timeout=2)
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertIn("No se encuentra el host no-existe.invalid", r.err)

    def test_dns_mudo(self):
        # A name server that never answers: glibc's resolver waits 5 s a
        # try, 3 tries (resolv.conf below, also its defaults), 15 s with
        # nothing said, more with more servers.  The client's name lookup
        # must give up at the timeout like every other step, and say why.
        # The client runs in namespaces of its own (see DNS_MUDO) so that
        # this test touches neither the machine's network nor its /etc;
        # nsswitch.conf sends host names to files and DNS only, as Debian's
        # does, so that no other resolver (systemd-resolved, mDNS) answers
        # first.  Needs root, or user namespaces (as test_ordenes does).
        nombre = "nombre-que-no-existe.invalid"
        with tempfile.TemporaryDirectory() as d:
            resolv = os.path.join(d, "resolv.conf")
            nsswitch = os.path.join(d, "nsswitch.conf")
            with open(resolv, "w") as f:
                f.write("nameserver 127.0.0.77\noptions timeout:5 attempts:3\n")
            with open("/etc/nsswitch.conf") as f:
                lineas = [l for l in f if not l.startswith("hosts:")]
            with open(nsswitch, "w") as f:
                f.writelines(lineas + ["hosts: files dns\n"])
            ns = ["unshare", "--mount", "--net"] if os.geteuid() == 0 else \
                 ["unshare", "--user", "--map-root-user", "--mount", "--net"]
            t0 = time.monotonic()
            p = subprocess.run(ns + [sys.executable, "-c", DNS_MUDO, resolv, nsswitch] +
                               cliente.command(["--host", nombre, "listar"], timeout=1),
                               capture_output=True, text=True, timeout=60, env=cliente.ENV)
            secs = time.monotonic() - t0
        self.assertEqual(p.returncode, SIN_SERVIDOR, p.stderr)
        # Bounded by the timeout, not by the resolver (15 s); the margin is
        # for a loaded machine and sanitizer builds.
        self.assertLess(secs, 1 + 4)
        self.assertIn("No se pudo resolver el nombre %s en 1 s: el servidor de nombres "
                      "(DNS) no contesta." % nombre, p.stderr)
        self.assertIn("indique una dirección IP con --host", p.stderr)

    def test_registro_de_un_servidor_muerto(self):
        # kill -9 leaves the registration behind: rpcbind knows a port where
        # nobody listens any more.
        with cliente.fast_server() as srv:
            srv.kill9()
            self.assertNotEqual(rpc.getport(srv.program, 2), 0)
            r = run(["obtener", "A1"], srv, timeout=2)
            self.assertEqual(r.rc, SIN_SERVIDOR, r)
            self.assertIn("rpcbind de localhost tiene registrado el servicio de "
                          "inventario (programa %d), pero el servidor no acepta "
                          "conexiones" % srv.program, r.err)
            self.assertIn("rpcinfo -p localhost", r.err)

    def test_servidor_detenido_agota_el_tiempo(self):
        with cliente.fast_server() as srv:
            with srv.client(2) as raw:
                self.assertEqual(raw.agregar("A1", "Radio", 1), rpc.OK)
            os.kill(srv.pid, signal.SIGSTOP)
            try:
                r = run(["obtener", "A1"], srv, timeout=1)
                r2 = run(["--json", "listar"], srv, timeout=0.5)
            finally:
                os.kill(srv.pid, signal.SIGCONT)
            self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
            self.assertIn("no respondió en 1 s", r.err)
            self.assertLess(r.secs, 1 + 4)
            self.assertEqual(r2.rc, TIEMPO_AGOTADO, r2)
            self.assertEqual(r2.json_err()["error"]["codigo"], "TIEMPO_AGOTADO")
            self.assertIn("no respondió en 0,5 s", r2.json_err()["error"]["mensaje"])
            self.assertLess(r2.secs, 0.5 + 4)
            # Going on, the server answers again.
            self.assertEqual(run(["obtener", "A1"], srv).rc, OK)

    def test_escritura_sin_respuesta_no_se_repite(self):
        with cliente.fast_server(args=["-v"]) as srv:
            os.kill(srv.pid, signal.SIGSTOP)
            try:
                # Connecting needs the server's answer too: stopped, the
                # client never gets to send the write.
                r = run(["agregar", "A1", "Radio", "1"], srv, timeout=1)
            finally:
                os.kill(srv.pid, signal.SIGCONT)
            self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
            self.assertIn("no respondió en 1 s al conectar", r.err)
            self.assertEqual(cliente.calls(srv, "AGREGAR_PRODUCTO"), 0)


if __name__ == "__main__":
    unittest.main()
