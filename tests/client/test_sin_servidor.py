"""When the service cannot be reached: the message names the host and what to
check, the exit status says why, and no wait outlasts the timeout."""
import os
import signal
import unittest

import cliente
import harness
import rpc
from cliente import run, OK, SIN_SERVIDOR, TIEMPO_AGOTADO


class SinServidor(unittest.TestCase):
    def test_programa_no_registrado(self):
        nadie = harness.unique_program()
        for args in (["listar"], ["obtener", "A1"], ["--json", "estado"]):
            with self.subTest(args=args):
                r = run(args, program=nadie, timeout=2)
                self.assertEqual(r.rc, SIN_SERVIDOR, r)
                msg = r.json()["error"]["mensaje"] if "--json" in args else r.err
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
            self.assertEqual(r2.json()["error"]["codigo"], "TIEMPO_AGOTADO")
            self.assertIn("no respondió en 0,5 s", r2.json()["error"]["mensaje"])
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
