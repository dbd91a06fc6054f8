"""inventario-client with a list of servers that share one inventory: it takes
the first that answers, and goes on with the next when one dies or hangs, at
start and in the middle of a session; an adjustment whose answer was lost is
repeated on the other server with its key and applied once.

Two servers of one program on one machine: real deployments have one server
per machine, each registered in its own rpcbind.  Here there is one rpcbind,
which holds one address per program, version and netid, so server A serves
the program over IPv6 (::1, netid tcp6) and server B over IPv4 (127.0.0.1,
tcp); the client is given --host ::1,127.0.0.1.  A server refuses to start
while rpcbind has a live entry for its program, so B's entries are taken out
of rpcbind while A starts, then put back (portmapper SET, as tests/client's
scripted servers register themselves).
"""
import json
import os
import signal
import subprocess
import time
import unittest

from pexpect import EOF
from pexpect.popen_spawn import PopenSpawn

import cliente
import harness
import pglib
import rpc
from cliente import OK, SIN_SERVIDOR, USO

PG = None


def setUpModule():
    global PG
    PG = pglib.for_module()


def pmap_set(prog, vers, port):
    with rpc.Client("127.0.0.1", 111, 100000, 2, timeout=3.0) as c:
        r = c.call(1, rpc.Packer().uint(prog).uint(vers).uint(6).uint(port).bytes())
    assert rpc.Unpacker(r).uint() == 1, "rpcbind refused the registration"


def wait_registered(srv, timeout=30.0):
    deadline = time.monotonic() + timeout
    while "registrado en rpcbind" not in srv.log():
        if srv.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("server A did not start:\n" + srv.log())
        time.sleep(0.05)


def cerrar(p):
    """Ends a menu that is still running and collects it."""
    if p.proc.poll() is None:
        p.kill(signal.SIGKILL)
    p.wait()
    p.proc.stdin.close()
    p.proc.stdout.close()


class ListaDeServidores(unittest.TestCase):
    def setUp(self):
        self.uri = PG.create_database()
        self.prog = harness.unique_program()
        self.b = self.server("127.0.0.1").start()
        self.raw = self.b.client(2)
        self.addCleanup(self.raw.close)
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)

    def server(self, listen):
        srv = harness.Server(db=self.uri, program=self.prog, threads=2,
                             args=["--listen", listen])
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def start_a(self):
        """Server A on ::1, beside B on 127.0.0.1 (see the module's notes)."""
        for v in (1, 2, 3):
            rpc.unset(self.prog, v)
        self.a = self.server("::1")
        self.a.start(wait=False)
        wait_registered(self.a)
        for v in (1, 2, 3):
            pmap_set(self.prog, v, self.b.port)

    def run_client(self, args, hosts="::1,127.0.0.1", timeout=2):
        return cliente.run(["--host", hosts] + args, program=self.prog,
                           timeout=timeout)

    def menu(self, hosts="::1,127.0.0.1", timeout=2):
        p = PopenSpawn(cliente.command(["--host", hosts], program=self.prog,
                                       timeout=timeout),
                       env=cliente.ENV, encoding="utf-8", timeout=20)
        self.addCleanup(cerrar, p)
        p.expect_exact("Elija una opción: ")
        return p

    def ajustes(self):
        """(antes, después, origen's address) of every STOCK movement of A1."""
        movs = self.raw.movimientos(0, "A1")[1]
        return [(m["stock_antes"], m["stock_despues"], m["origen"].split()[0])
                for m in movs if m["tipo"] == rpc.STOCK]

    # -- at start ----------------------------------------------------------
    def test_al_arrancar_toma_el_primero_que_responde(self):
        # Nobody serves the program over IPv6: ::1 is skipped, and the
        # switch is announced at connect time, as it is during a session.
        for hosts in (["--host", "::1,127.0.0.1"], ["--host", "::1", "--host", "127.0.0.1"]):
            r = cliente.run(hosts + ["--json", "estado"], program=self.prog, timeout=2)
            self.assertEqual(r.rc, OK, r)
            self.assertEqual(r.json()["host"], "127.0.0.1", r.out)
            # With --json the notice is a JSON line on stderr.
            self.assertTrue(any(a.startswith("El servidor en ::1 no responde; se sigue "
                                             "con el servidor en 127.0.0.1")
                                for a in r.avisos()), r.err)
        r = self.run_client(["ajustar", "A1", "-1"])
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(self.ajustes(), [(10, 9, "127.0.0.1")])

    def test_ninguno_responde(self):
        self.b.stop()
        r = self.run_client(["obtener", "A1"])
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertIn("No respondió ningún servidor de la lista (::1, 127.0.0.1). "
                      "Con 127.0.0.1: El servicio de inventario (programa %d) no está "
                      "registrado" % self.prog, r.err)
        # One host alone says what it always said.
        r = self.run_client(["obtener", "A1"], hosts="127.0.0.1")
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertTrue(r.err.startswith("inventario-client: El servicio de inventario"), r.err)

    def test_host_vacio_es_uso_incorrecto(self):
        for hosts in ("a,,b", ",a", "a,", ""):
            r = self.run_client(["obtener", "A1"], hosts=hosts)
            self.assertEqual(r.rc, USO, (hosts, r))
            self.assertIn("nombre vacío", r.err)

    # -- mid-session -------------------------------------------------------
    def test_a_mitad_de_sesion_sigue_con_el_siguiente(self):
        self.start_a()
        p = self.menu()
        for l in ("6", "A1", "-1", "venta"):
            p.sendline(l)
        p.expect_exact("antes 10, ahora 9.")
        p.expect_exact("Elija una opción: ")
        self.a.kill9()
        for l in ("6", "A1", "-2", "venta"):
            p.sendline(l)
        p.expect_exact("Aviso: El servidor en ::1 no responde; se sigue con el "
                       "servidor en 127.0.0.1 (protocolo versión %d)."
                       % cliente.version_alta(self.prog))
        p.expect_exact("antes 9, ahora 7.")
        p.expect_exact("Elija una opción: ")
        p.sendline("0")
        p.expect(EOF)
        self.assertEqual(self.ajustes(), [(10, 9, "::1"), (9, 7, "127.0.0.1")])

    def test_respuesta_perdida_se_repite_en_el_otro_y_se_aplica_una_vez(self):
        self.start_a()
        p = self.menu()
        # The menu checks the id with the server as soon as it is typed:
        # that read is answered before the fault is set.
        for l in ("6", "A1"):
            p.sendline(l)
        p.expect_exact("Radio: 10 unidades ahora.")
        # A applies and commits the next adjustment, then dies as it starts
        # to write the answer (its first write(2): the log is quiet).
        fault = subprocess.Popen(
            ["strace", "-f", "-p", str(self.a.pid), "-e", "trace=write",
             "-e", "inject=write:error=EIO:signal=KILL", "-o", "/dev/null"],
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(fault.wait, 10)
        for line in fault.stderr:               # until every thread is held
            if "attached" in line:
                break
        time.sleep(0.1)
        for l in ("-3", "venta"):
            p.sendline(l)
        p.expect_exact("Aviso: Sin conexión con el servidor en ::1; se repite con "
                       "la misma clave, sin riesgo de aplicarlo dos veces (intento 2 "
                       "de 3).")
        p.expect_exact("Aviso: El servidor en ::1 no responde; se sigue con el "
                       "servidor en 127.0.0.1 (protocolo versión %d)."
                       % cliente.version_alta(self.prog))
        # B finds the key A stored and answers what A would have.
        p.expect_exact("Stock de A1 ajustado en -3 (venta): antes 10, ahora 7.")
        p.sendline("0")
        p.expect(EOF)
        fault.stderr.close()
        self.assertEqual(self.a.proc.wait(10), -signal.SIGKILL)
        self.assertEqual(self.raw.obtener("A1")[1][2], 7)
        self.assertEqual(self.ajustes(), [(10, 7, "::1")])

    def test_servidor_colgado_cuesta_un_plazo_y_no_aplica_dos_veces(self):
        self.start_a()
        p = self.menu(timeout=1)
        # The id is checked at once (answered by A), then A hangs.
        for l in ("6", "A1"):
            p.sendline(l)
        p.expect_exact("Radio: 10 unidades ahora.")
        os.kill(self.a.pid, signal.SIGSTOP)
        self.addCleanup(lambda: self.a.proc.poll() is None and
                        os.kill(self.a.pid, signal.SIGCONT))
        for l in ("-4", "venta"):
            p.sendline(l)
        p.expect_exact("Aviso: El servidor en ::1 no respondió en 1 s; se repite "
                       "con la misma clave")
        p.expect_exact("se sigue con el servidor en 127.0.0.1")
        p.expect_exact("antes 10, ahora 6.")
        p.expect_exact("Elija una opción: ")
        # Reads go on B from now on, without waiting for A again.
        t0 = time.monotonic()
        for l in ("2", "A1"):
            p.sendline(l)
        p.expect_exact("Stock:  6 unidades")
        self.assertLess(time.monotonic() - t0, 1)
        # A wakes up and runs the call it had been sent: the key stops it.
        os.kill(self.a.pid, signal.SIGCONT)
        with rpc.Client("::1", self.a.listen_port("::1"), self.prog, 2) as ca:
            deadline = time.monotonic() + 10
            # Answered so far: the menu's NULL, the id's check (OBTENER),
            # then the adjustment.
            while ca.estado()["llamadas"] < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(ca.estado()["llamadas"], 3)
        self.assertEqual(self.raw.obtener("A1")[1][2], 6)
        self.assertEqual(len(self.ajustes()), 1)
        p.sendline("0")
        p.expect(EOF)

    def test_vigilar_sigue_el_mismo_registro_en_el_otro(self):
        self.start_a()
        v = subprocess.Popen(cliente.command(["--host", "::1,127.0.0.1", "--json",
                                              "vigilar"], program=self.prog, timeout=1),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=cliente.ENV, text=True)
        self.addCleanup(v.kill)
        # Its notice says where it starts: only writes after it are shown.
        self.assertIn("Vigilando", v.stderr.readline())
        self.assertEqual(self.raw.ajustar("A1", -1)[0], rpc.OK)
        first = json.loads(v.stdout.readline())
        self.a.kill9()
        self.assertEqual(self.raw.ajustar("A1", -1)[0], rpc.OK)
        second = json.loads(v.stdout.readline())
        self.assertEqual(second["seq"], first["seq"] + 1)
        self.assertEqual((first["stock_despues"], second["stock_despues"]), (9, 8))
        v.stdin.write("\n")
        v.stdin.close()
        self.assertEqual(v.wait(10), OK)
        self.assertIn("se sigue con el servidor en 127.0.0.1", v.stderr.read())
        v.stdout.close()
        v.stderr.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
