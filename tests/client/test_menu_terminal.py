"""The menu on a real pseudo-terminal (pexpect): libedit's line editing and
history, every option, Ctrl-C and Ctrl-D, following changes, and a server
restarted in the middle of the session."""
import unittest

import pexpect

import cliente
import harness
import rpc

PROMPT = "Elija una opción: "
CTRL_C, CTRL_D, CTRL_P, BORRAR = "\x03", "\x04", "\x10", "\x7f"


class MenuEnTerminal(unittest.TestCase):
    def setUp(self):
        self.srv = cliente.servidor(self)
        self.raw = cliente.conexion_directa(self, self.srv)

    def spawn(self, env=None):
        cmd = cliente.command([], self.srv, timeout=2)
        p = pexpect.spawn(cmd[0], cmd[1:], env=dict(cliente.ENV, **(env or {})),
                          encoding="utf-8", timeout=15, dimensions=(40, 160))
        self.addCleanup(p.close, force=True)
        p.expect_exact("Conectado al servicio de inventario en localhost")
        p.expect_exact(PROMPT)
        return p

    def responder(self, p, prompt, texto):
        """Waits for prompt, then answers; prompt None: it was seen already."""
        if prompt is not None:
            p.expect_exact(prompt)
        p.send(texto + "\r")

    def terminar(self, p, rc=0):
        p.expect_exact("Hasta luego.")
        p.expect(pexpect.EOF)
        p.close()
        self.assertEqual(p.exitstatus, rc)
        self.assertIsNone(p.signalstatus)

    def test_todas_las_opciones_con_edicion_e_historial(self):
        p = self.spawn()
        p.send("1\r")
        # Line editing: "A9", rub the 9 out, "1".
        self.responder(p, "Id: ", "A9" + BORRAR + "1")
        self.responder(p, "Nombre: ", "Cámara réflex")
        self.responder(p, "Stock (0 a 2147483647): ", "diez")
        p.expect_exact("El stock debe ser un número entero entre 0 y 2147483647. "
                       "Inténtelo de nuevo (o «cancelar»).")
        self.responder(p, "Stock (0 a 2147483647): ", "10")
        p.expect_exact("Producto agregado:")
        p.expect_exact("  Id:     A1\r\n  Nombre: Cámara réflex\r\n  Stock:  10 unidades")
        self.assertEqual(self.raw.obtener("A1"), (rpc.OK, ("A1", "Cámara réflex", 10)))

        self.responder(p, PROMPT, "2")
        self.responder(p, "Id: ", "A1")
        p.expect_exact("  Nombre: Cámara réflex")
        # History: two steps back from the next "Id: " is "A1".
        self.responder(p, PROMPT, "2")
        self.responder(p, "Id: ", CTRL_P + CTRL_P)
        p.expect_exact("  Stock:  10 unidades")

        self.responder(p, PROMPT, "3")
        self.responder(p, "Id: ", "A1")
        self.responder(p, "Nuevo stock (0 a 2147483647): ", "8")
        p.expect_exact("Stock de A1 actualizado a 8 unidades.")
        self.responder(p, PROMPT, "4")
        p.expect_exact("A1  Cámara réflex      8\r\n1 producto.")
        self.responder(p, PROMPT, "6")
        self.responder(p, "Id: ", "A1")
        self.responder(p, "Cantidad (+N entra, -N sale): ", "-3")
        self.responder(p, "puede quedar vacío): ", "venta")
        p.expect_exact("Stock de A1 ajustado en -3 (venta): antes 8, ahora 5.")
        self.responder(p, PROMPT, "7")
        self.responder(p, "Id del producto (vacío para todos): ", "")
        self.responder(p, "(vacío: 20; «todos»: todos): ", "")
        p.expect_exact("Los 20 movimientos más recientes de todos los productos")
        p.expect_exact("3 movimientos.")
        self.responder(p, PROMPT, "9")
        p.expect_exact("Servidor de inventario en localhost")
        p.expect(r"Productos: +1\r\n")
        self.responder(p, PROMPT, "5")
        self.responder(p, "Id: ", "A1")
        p.expect_exact("¿Eliminar el producto A1 («Cámara réflex», 5 en stock)?")
        self.responder(p, "cualquier otra cosa para no: ", "s")
        p.expect_exact("Producto A1 eliminado.")
        self.responder(p, PROMPT, "siete")
        p.expect_exact("Opción no válida: «siete». Escriba un número del 0 al 9.")
        self.responder(p, PROMPT, "0")
        self.terminar(p)

    def test_vigilar_hasta_enter_y_hasta_ctrl_c(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn()
        p.send("8\r")
        self.responder(p, "Id del producto (vacío para todos): ", "")
        p.expect_exact("Pulse Enter o Ctrl-C para terminar.")
        self.assertEqual(self.raw.ajustar("A1", 4, "compra", "")[0], rpc.OK)
        p.expect(r"\] #\d+ A1: stock 3 → 7 \(compra\) — 127\.0\.0\.1")
        self.assertEqual(self.raw.agregar("B2", "Tele", 2), rpc.OK)
        p.expect(r"\] #\d+ B2: alta con stock 2 — ")
        p.send("\r")
        p.expect_exact("Fin de la vigilancia.")
        # Ctrl-C ends the watch and goes back to the menu, which stays.
        self.responder(p, PROMPT, "8")
        self.responder(p, "Id del producto (vacío para todos): ", "B2")
        p.expect_exact("Vigilando los cambios del producto B2")
        self.assertEqual(self.raw.eliminar("B2"), rpc.OK)
        p.expect(r"\] #\d+ B2: baja \(tenía 2\)")
        p.send(CTRL_C)
        p.expect_exact("Fin de la vigilancia.")
        self.responder(p, PROMPT, "4")
        p.expect_exact("1 producto.")
        self.responder(p, PROMPT, "0")
        self.terminar(p)

    def test_ctrl_c_en_una_pregunta_vuelve_al_menu(self):
        self.assertEqual(self.raw.agregar("B2", "Tele", 4), rpc.OK)
        p = self.spawn()
        # In each form, at each question: back to the menu, nothing sent.
        prompt = None
        for opcion, respuestas in (("1", ["A1", "Radio"]), ("3", ["B2"]),
                                   ("5", ["B2"]), ("6", ["B2", "-1"]), ("7", [""])):
            self.responder(p, prompt, opcion)
            prompt = PROMPT
            for r in respuestas:
                p.send(r + "\r")
            p.send("x")
            p.send(CTRL_C)
            p.expect_exact("Cancelado: no se ha enviado nada.")
        self.responder(p, PROMPT, "0")
        self.terminar(p)
        self.assertEqual(self.raw.listar(), (rpc.OK, [("B2", "Tele", 4)]))
        self.assertEqual(len(self.raw.movimientos(0, "")[1]), 1)

    def test_ctrl_c_en_el_menu_sale_con_130(self):
        p = self.spawn()
        p.send(CTRL_C)
        self.terminar(p, 130)

    def test_ctrl_d_en_una_pregunta_vuelve_y_en_el_menu_sale(self):
        p = self.spawn()
        p.send("2\r")
        p.expect_exact("Id: ")
        p.send(CTRL_D)
        p.expect_exact("Cancelado: no se ha enviado nada.")
        p.expect_exact(PROMPT)
        p.send(CTRL_D)
        self.terminar(p)

    def test_un_fallo_da_el_estado_de_salida(self):
        p = self.spawn()
        self.responder(p, None, "2")
        self.responder(p, "Id: ", "NADA")
        p.expect_exact("No existe ningún producto con id NADA.")
        self.responder(p, PROMPT, "0")
        self.terminar(p, cliente.NO_ENCONTRADO)

    def test_listados_por_el_paginador(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn(env={"PAGER": "sed s/^/PAGINADO:/"})
        self.responder(p, None, "4")
        p.expect_exact("PAGINADO:A1  Radio       3")
        p.expect_exact("PAGINADO:1 producto.")
        self.responder(p, PROMPT, "7")
        self.responder(p, "Id del producto (vacío para todos): ", "A1")
        self.responder(p, "(vacío: 20; «todos»: todos): ", "5")
        p.expect_exact("PAGINADO:Los 5 movimientos más recientes del producto A1")
        p.expect_exact("PAGINADO:1 movimiento.")
        self.responder(p, PROMPT, "0")
        self.terminar(p)

    def test_sin_less_instalado_el_listado_sale_igual(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 3), rpc.OK)
        env = {k: v for k, v in cliente.ENV.items() if k != "PAGER"}
        cmd = cliente.command([], self.srv, timeout=2)
        p = pexpect.spawn(cmd[0], cmd[1:], env=dict(env, PATH="/nonexistent"),
                          encoding="utf-8", timeout=15, dimensions=(40, 160))
        self.addCleanup(p.close, force=True)
        p.expect_exact(PROMPT)
        self.responder(p, None, "4")
        p.expect_exact("A1  Radio       3")
        self.responder(p, PROMPT, "0")
        self.terminar(p)

    def test_ctrl_c_durante_una_llamada_vuelve_al_menu(self):
        with cliente.ServidorSordo() as sordo:
            cmd = cliente.command([], program=sordo.program, timeout=60)
            p = pexpect.spawn(cmd[0], cmd[1:], env=cliente.ENV, encoding="utf-8",
                              timeout=15, dimensions=(40, 160))
            self.addCleanup(p.close, force=True)
            p.expect_exact(PROMPT)
            self.responder(p, None, "9")        # ESTADO: never answered
            harness.wait_until(lambda: len(sordo.llamadas()) > 0, timeout=10)
            p.send(CTRL_C)
            p.expect_exact("Se dejó de esperar la respuesta del servidor en localhost.")
            p.expect_exact("No se ha cambiado nada.")
            p.expect_exact("(Ctrl-C) De vuelta al menú.")
            self.responder(p, PROMPT, "0")
            # A cancelled call is no failure of the session.
            self.terminar(p)

    def test_ids_invisibles_se_muestran_escapados(self):
        # Inner non-ASCII spaces are valid (the server refuses format
        # characters such as U+202E; formato's unit test covers those).
        self.assertEqual(self.raw.agregar("A\u00a01", "Radio\u3000x", 3), rpc.OK)
        p = self.spawn()
        self.responder(p, None, "4")
        p.expect_exact("A\\u00a01  Radio\\u3000x      3")
        self.responder(p, PROMPT, "0")
        self.terminar(p)

    def test_servidor_reiniciado_a_mitad_de_sesion(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn()
        self.srv.kill9()
        p.send("4\r")
        p.expect_exact("pero el servidor no acepta conexiones")
        p.expect_exact(PROMPT)
        self.srv.start()
        p.send("4\r")
        p.expect_exact("Aviso: Conexión restablecida con el servidor en localhost")
        p.expect_exact("A1  Radio       3")
        self.responder(p, PROMPT, "0")
        self.terminar(p, cliente.SIN_SERVIDOR)


if __name__ == "__main__":
    unittest.main()
