"""AJUSTAR after a timeout: repeated with the same idempotency key, so that a
sale is applied once however many times it had to be sent."""
import os
import re
import signal
import time
import unittest

from pexpect import EOF
from pexpect.popen_spawn import PopenSpawn

import cliente
import rpc
from cliente import OK, TIEMPO_AGOTADO


class Reintentos(unittest.TestCase):
    def setUp(self):
        # -v: the server logs every call, so the test can count them.
        self.srv = cliente.servidor(self, args=["-v"])
        self.raw = cliente.conexion_directa(self, self.srv)
        # Cleanups run last in, first out: the server goes on before it stops.
        self.addCleanup(self.continuar)
        self.parado = False
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)
        self.base = self.raw.movimientos(0, "", 1)[2]

    def parar(self):
        os.kill(self.srv.pid, signal.SIGSTOP)
        self.parado = True

    def continuar(self):
        if self.parado:
            os.kill(self.srv.pid, signal.SIGCONT)
            self.parado = False

    def menu(self):
        """A menu already connected (timeout 1 s), so that its next call goes
        out on a live connection."""
        p = PopenSpawn(cliente.command([], self.srv, timeout=1), env=cliente.ENV,
                       encoding="utf-8", timeout=15)
        p.expect_exact("Elija una opción: ")
        return p

    def ajustes_de_a1(self):
        movs = self.raw.movimientos(self.base, "A1")[1]
        return [(m["stock_antes"], m["stock_despues"], m["motivo"]) for m in movs]

    def formulario(self, p, opcion, *datos):
        """Answers the Id of option opcion (checked with the server at
        once), then stops the server and answers the other fields: the
        call itself is what meets the stopped server."""
        p.sendline(opcion)
        p.sendline("A1")
        p.expect_exact("Radio: 10 unidades ahora.")
        self.parar()
        for l in datos:
            p.sendline(l)

    def test_repite_tras_tiempo_agotado_y_aplica_una_vez(self):
        p = self.menu()
        self.formulario(p, "6", "-3", "venta")
        # The first call is stuck in the stopped server; the client gives up
        # on it after 1 s and sends it again with the same key ...
        p.expect_exact("Aviso: El servidor en localhost no respondió en 1 s; se repite "
                       "con la misma clave, sin riesgo de aplicarlo dos veces (intento 2 "
                       "de 3).")
        time.sleep(0.2)
        self.continuar()
        # ... the server, going on, gets both: applies the first, and answers
        # the second with the first one's result.
        p.expect_exact("Stock de A1 ajustado en -3 (venta): antes 10, ahora 7.")
        p.sendline("0")
        p.expect(EOF)
        self.assertEqual(self.raw.obtener("A1")[1][2], 7)
        self.assertEqual(self.ajustes_de_a1(), [(10, 7, "venta")])
        self.assertGreaterEqual(cliente.calls(self.srv, "AJUSTAR_STOCK"), 2)

    def test_sin_respuesta_da_la_clave_para_repetirlo_a_mano(self):
        p = self.menu()
        self.formulario(p, "6", "-4", "venta")
        p.expect_exact("(intento 3 de 3).")
        p.expect(r"No se sabe si el cambio llegó a aplicarse: compruébelo antes de "
                 r"repetirlo\. La clave de este ajuste es ([0-9a-f]{32})\.")
        clave = p.match.group(1)
        p.expect_exact("Elija una opción: ")
        self.continuar()
        # The stuck call is applied once the server goes on.
        deadline = time.monotonic() + 5
        while self.raw.obtener("A1")[1][2] != 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Repeating by hand with the key the client gave changes nothing
        # more, and says so, with the motivo the log recorded (not the one
        # typed now).
        r = cliente.run(["ajustar", "A1", "-4", "--motivo", "otro", "--clave", clave],
                        self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("ya aplicado antes con esta clave: no se ha repetido", r.out)
        self.assertIn("de 10 a 6, con motivo «venta».", r.out)
        self.assertNotIn("otro", r.out)
        self.assertEqual(self.raw.obtener("A1")[1][2], 6)
        self.assertEqual(self.ajustes_de_a1(), [(10, 6, "venta")])
        p.sendline("0")
        p.expect(EOF)

    def test_orden_suelta_sin_respuesta_no_tarda_mas_de_lo_debido(self):
        self.parar()
        r = cliente.run(["ajustar", "A1", "-1"], self.srv, timeout=0.5)
        self.continuar()
        self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
        # Three tries, each bounded by the timeout, and two short pauses (and a
        # margin for a loaded machine: rpcgen's default alone would be 25 s).
        self.assertLess(r.secs, 3 * 0.5 + 2 * 0.3 + 4)
        self.assertEqual(len(re.findall(r"se repite con la misma clave", r.err)), 2)
        # It never got past connecting, so it knows nothing was applied.
        self.assertNotIn("No se sabe si", r.err)

    def test_una_escritura_sin_clave_no_se_repite(self):
        p = self.menu()
        self.formulario(p, "3", "4")
        p.expect_exact("no respondió en 1 s")
        p.expect_exact("No se sabe si el cambio llegó a aplicarse: compruébelo antes de "
                       "repetirlo.")
        p.expect_exact("Elija una opción: ")
        self.assertNotIn("se repite", p.before)
        self.continuar()
        p.sendline("0")
        p.expect(EOF)
        # Everything the client sent is in the server's socket by now: wait
        # for the first call, then a little for any (wrong) second one.
        deadline = time.monotonic() + 10
        while (cliente.calls(self.srv, "ACTUALIZAR_STOCK") == 0 and
               time.monotonic() < deadline):
            time.sleep(0.05)
        time.sleep(0.3)
        self.assertEqual(cliente.calls(self.srv, "ACTUALIZAR_STOCK"), 1)


class ClaveRepetida(unittest.TestCase):
    def test_cada_intento_lleva_la_misma_clave(self):
        # A server that takes every adjustment and never answers: the client
        # sends it three times, always with the same key, then gives the key
        # (also as JSON) so that it can be repeated by hand.
        with cliente.ServidorMudo() as mudo:
            r = cliente.run(["--json", "ajustar", "A1", "-2", "--motivo", "venta"],
                            program=mudo.program, timeout=0.5)
            self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
            self.assertEqual(len(mudo.ajustes), 3, mudo.ajustes)
            self.assertEqual({a[:3] for a in mudo.ajustes}, {("A1", -2, "venta")})
            claves = {a[3] for a in mudo.ajustes}
            self.assertEqual(len(claves), 1)
            clave = claves.pop()
            self.assertRegex(clave, r"^[0-9a-f]{32}$")
            err = r.json_err()["error"]
            self.assertEqual((err["codigo"], err["clave"]), ("TIEMPO_AGOTADO", clave))
            self.assertIn("No se sabe si el cambio llegó a aplicarse", err["mensaje"])
            self.assertIn("--clave " + clave, err["mensaje"])
            self.assertEqual(len([a for a in r.avisos()
                                  if "se repite con la misma clave" in a]), 2)
            # A key given by hand is the one sent.
            r = cliente.run(["ajustar", "A1", "-2", "--clave", "mi-clave-1"],
                            program=mudo.program, timeout=0.5)
            self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
            self.assertEqual([a[3] for a in mudo.ajustes[3:]], ["mi-clave-1"] * 3)


if __name__ == "__main__":
    unittest.main()
