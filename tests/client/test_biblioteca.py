"""The client library's connection behaviour, seen through inventario-client:
a failover announced at connect time, a silent reconnection after the
server's idle close, vigilar on a version 3 server (one held call, news as
they commit) and on a version 2 one (polling), and Ctrl-C abandoning a call
that gets no answer."""
import signal
import subprocess
import time
import unittest

import cliente
import harness
import hostiles
from cliente import run, OK


class Conexiones(unittest.TestCase):
    def test_cambio_de_servidor_anunciado_al_conectar(self):
        # Served over IPv4 only: on ::1 rpcbind does not know the program.
        srv = cliente.servidor(self, args=["--listen", "127.0.0.1"])
        with srv.client(2) as raw:
            raw.agregar("A1", "Radio", 3)
        r = run(["--host", "::1,127.0.0.1", "obtener", "A1"], srv, timeout=2)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("aviso: El servidor en ::1 no responde; se sigue con el "
                      "servidor en 127.0.0.1", r.err)
        # The first host answering: nothing to announce.
        r = run(["--host", "127.0.0.1,::1", "obtener", "A1"], srv, timeout=2)
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.err, "")

    def test_reconexion_silenciosa_tras_el_cierre_por_inactividad(self):
        srv = cliente.servidor(self, args=["--idle-timeout", "1"])
        with srv.client(2) as raw:
            raw.agregar("A1", "Radio", 3)
        antes = harness.settled_fds(srv)
        p = subprocess.Popen(cliente.command([], srv), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=cliente.ENV)
        self.addCleanup(p.kill)
        p.stdin.write(b"2\nA1\n")
        p.stdin.flush()
        # The menu's connection is open, then closed by the server as idle.
        self.assertTrue(harness.wait_until(lambda: srv.open_fds() > antes, 10))
        self.assertTrue(harness.wait_until(lambda: srv.open_fds() <= antes, 20))
        out, err = p.communicate(b"2\nA1\n0\n", timeout=30)
        out = out.decode()
        self.assertEqual(p.returncode, OK, (out, err))
        self.assertEqual(out.count("  Nombre: Radio"), 2, out)
        self.assertNotIn("Aviso", out)
        self.assertNotIn("restablecida", out)

    def test_ctrl_c_abandona_una_llamada_sin_respuesta(self):
        srv = hostiles.Goteo()          # never finishes an OBTENER
        srv.__enter__()
        self.addCleanup(srv.__exit__, None, None, None)
        p = subprocess.Popen(cliente.command([], program=srv.program, timeout=60),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=cliente.ENV)
        self.addCleanup(p.kill)
        p.stdin.write(b"2\nA1\n")
        p.stdin.flush()
        self.assertTrue(harness.wait_until(lambda: (2, hostiles.OBTENER) in srv.procs, 10))
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)    # far below the 60 s deadline
        self.assertIn("Se dejó de esperar la respuesta del servidor en localhost.",
                      out.decode())
        self.assertNotIn("no respondió", out.decode())


class Vigilar(unittest.TestCase):
    def vigilar(self, srv):
        p = subprocess.Popen(cliente.command(["vigilar"], program=srv.program, timeout=2),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=cliente.ENV)
        self.addCleanup(p.kill)
        return p

    def feed(self, versiones):
        srv = hostiles.Feed(versiones)
        srv.__enter__()
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def test_version_3_una_llamada_retenida(self):
        srv = self.feed((1, 2, 3))
        p = self.vigilar(srv)
        self.assertIn(b"desde el movimiento n.\xc2\xba 5", p.stdout.readline())
        self.assertTrue(harness.wait_until(lambda: srv.contar(3, hostiles.ESPERAR) == 1, 10))
        srv.nuevo()
        self.assertIn(b"venta", p.stdout.readline())
        # Then one call held again, and no polling while nothing happens.
        self.assertTrue(harness.wait_until(lambda: srv.contar(3, hostiles.ESPERAR) == 2, 10))
        self.assertFalse(harness.wait_until(
            lambda: srv.contar(3, hostiles.ESPERAR) > 2, 1.5))
        self.assertEqual(srv.esperas, [60000, 60000])
        self.assertEqual(srv.contar(3, hostiles.MOVIMIENTOS), 1)    # where it starts
        out, err = p.communicate(b"\n", timeout=10)                 # Enter ends it
        self.assertEqual(p.returncode, OK, err)
        self.assertIn(b"Fin de la vigilancia.", out)

    def test_version_2_consulta_periodica(self):
        srv = self.feed((1, 2))
        p = self.vigilar(srv)
        self.assertIn(b"desde el movimiento n.\xc2\xba 5", p.stdout.readline())
        self.assertTrue(harness.wait_until(lambda: srv.contar(2, hostiles.MOVIMIENTOS) >= 3, 10))
        srv.nuevo()
        self.assertIn(b"venta", p.stdout.readline())
        self.assertEqual(srv.contar(2, hostiles.ESPERAR) + srv.contar(3, hostiles.ESPERAR), 0)
        out, err = p.communicate(b"\n", timeout=10)
        self.assertEqual(p.returncode, OK, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
