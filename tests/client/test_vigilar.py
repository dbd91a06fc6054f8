"""vigilar: every change made by another client, as it happens, until Enter or a
signal; filtered by product; as JSON lines; across a server restart."""
import json
import select
import signal
import subprocess
import time
import unittest

import cliente
import rpc
from cliente import OK, NO_OFRECIDO


class Vigilar(unittest.TestCase):
    def setUp(self):
        self.srv = cliente.servidor(self)
        self.raw = cliente.conexion_directa(self, self.srv)
        self.assertEqual(self.raw.agregar("A1", "Radio", 3), rpc.OK)

    def vigilar(self, *args):
        p = subprocess.Popen(cliente.command(["vigilar"] + list(args), self.srv, timeout=1),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=cliente.ENV)
        self.addCleanup(self.cerrar, p)
        return p

    @staticmethod
    def cerrar(p):
        if p.poll() is None:
            p.kill()
            p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            if f is not None and not f.closed:
                f.close()

    def linea(self, f, limite=5.0):
        """The next line of f, or a failure if none comes in time."""
        fin = time.monotonic() + limite
        buf = b""
        while not buf.endswith(b"\n"):
            r, _, _ = select.select([f], [], [], max(0, fin - time.monotonic()))
            self.assertTrue(r, "no llegó ninguna línea en %.0f s (hasta ahora %r)"
                            % (limite, buf))
            c = f.read1(1) if hasattr(f, "read1") else f.read(1)
            self.assertTrue(c, "fin de la salida (hasta ahora %r)" % buf)
            buf += c
        return buf.decode()

    def esperar_fin(self, p):
        if p.stdin is not None and p.stdin.closed:
            p.stdin = None
        out, err = p.communicate(timeout=5)
        return p.returncode, out.decode(), err.decode()

    def test_muestra_cambios_de_otro_cliente_hasta_enter(self):
        p = self.vigilar()
        cabecera = self.linea(p.stdout)
        seq = self.raw.movimientos(0, "", 1)[2]
        self.assertEqual(cabecera, "Vigilando los cambios de todos los productos (desde el "
                         "movimiento n.º %d). Pulse Enter o Ctrl-C para terminar.\n" % seq)
        t0 = time.monotonic()
        self.assertEqual(self.raw.ajustar("A1", -1, "venta", "")[0], rpc.OK)
        l = self.linea(p.stdout)
        self.assertLess(time.monotonic() - t0, 3.0)      # a few polls, not more
        self.assertRegex(l, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] #%d A1: stock 3 → 2 "
                            r"\(venta\) — 127\.0\.0\.1" % (seq + 1))
        self.assertEqual(self.raw.agregar("B2", "Tele", 5), rpc.OK)
        self.assertEqual(self.raw.eliminar("B2"), rpc.OK)
        self.assertIn("#%d B2: alta con stock 5 — " % (seq + 2), self.linea(p.stdout))
        self.assertIn("#%d B2: baja (tenía 5) — " % (seq + 3), self.linea(p.stdout))
        p.stdin.write(b"\n")
        p.stdin.flush()
        rc, out, err = self.esperar_fin(p)
        self.assertEqual((rc, out, err), (OK, "Fin de la vigilancia.\n", ""))

    def test_un_producto_y_ctrl_c(self):
        p = self.vigilar("A1")
        self.assertIn("Vigilando los cambios del producto A1", self.linea(p.stdout))
        self.assertEqual(self.raw.agregar("B2", "Tele", 5), rpc.OK)
        self.assertEqual(self.raw.actualizar("A1", 10), rpc.OK)
        self.assertIn(" A1: stock 3 → 10 — ", self.linea(p.stdout))   # B2 skipped
        p.send_signal(signal.SIGINT)
        rc, out, err = self.esperar_fin(p)
        # Ctrl-C: 130, as for any program it stops.
        self.assertEqual((rc, out, err), (cliente.INTERRUMPIDA, "Fin de la vigilancia.\n", ""))

    def test_json_por_lineas_y_sigterm(self):
        p = self.vigilar("--json")
        # Notices off stdout, as JSON lines on stderr.
        self.assertTrue(json.loads(self.linea(p.stderr))["aviso"].startswith("Vigilando"))
        self.assertEqual(self.raw.ajustar("A1", 2, "compra", "")[0], rpc.OK)
        m = json.loads(self.linea(p.stdout))
        self.assertEqual((m["tipo"], m["id"], m["stock_antes"], m["stock_despues"],
                          m["motivo"]), ("STOCK", "A1", 3, 5, "compra"))
        self.assertTrue(m["origen"].startswith("127.0.0.1"))
        p.send_signal(signal.SIGTERM)
        rc, out, _ = self.esperar_fin(p)
        self.assertEqual((rc, out), (OK, ""))

    def test_sigue_tras_un_reinicio_del_servidor(self):
        p = self.vigilar()
        self.linea(p.stdout)
        self.srv.kill9()
        aviso = self.linea(p.stdout)
        self.assertIn("Se sigue intentando...", aviso)
        self.srv.start()
        with self.srv.client(2) as raw:
            self.assertEqual(raw.actualizar("A1", 1), rpc.OK)
        # A call cut by the kill may have said "se vuelve a conectar" first.
        while "Conexión restablecida" not in self.linea(p.stderr):
            pass
        self.assertIn(" A1: stock 3 → 1 — ", self.linea(p.stdout))
        p.stdin.close()                 # end of stdin does not stop it ...
        time.sleep(0.5)
        self.assertIsNone(p.poll())
        p.send_signal(signal.SIGINT)    # ... a signal does
        self.assertEqual(self.esperar_fin(p)[0], cliente.INTERRUMPIDA)

    def test_servidor_de_version_1(self):
        with cliente.ServidorV1() as v1:
            r = cliente.run(["vigilar"], program=v1.program)
            self.assertEqual(r.rc, NO_OFRECIDO, r)
            self.assertIn("solo ofrece la versión 1", r.err)


if __name__ == "__main__":
    unittest.main()
