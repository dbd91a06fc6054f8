"""The menu driven through pipes, as a script would drive it: every option and
message, fields asked again until valid, end of input, and a server that dies
and comes back in the middle of a session."""
import os
import signal
import time
import unittest

from pexpect import EOF
from pexpect.popen_spawn import PopenSpawn

import cliente
import rpc
from cliente import run, OK, NO_ENCONTRADO, SIN_SERVIDOR, NO_OFRECIDO

MENU = ("  1) Agregar producto\n  2) Obtener producto\n  3) Actualizar stock\n"
        "  4) Listar productos\n  5) Eliminar producto\n  6) Ajustar stock (+/-)\n"
        "  7) Ver movimientos\n  8) Vigilar cambios en tiempo real\n"
        "  9) Estado del servidor\n  0) Salir\n")


def en_orden(test, texto, trozos):
    """Each piece appears in texto, after the one before."""
    pos = 0
    for t in trozos:
        i = texto.find(t, pos)
        test.assertNotEqual(i, -1, "falta %r después de la posición %d en:\n%s"
                            % (t, pos, texto))
        pos = i + len(t)


class MenuPorTuberia(unittest.TestCase):
    def setUp(self):
        self.srv = cliente.servidor(self)

    def test_todas_las_opciones(self):
        guion = "\n".join([
            "1", "A1", "Cámara réflex", "-5", "10",            # bad stock, asked again
            "1", "A1", "cancelar",                              # taken: said at once
            "1", "",                                            # empty: cancelled
            "2", "ZZ",                                          # not found: fails (4)
            "2", "A1",
            "3", "A1", "abc", "7",
            "4",
            "6", "A1", "-2", "venta",
            "6", "A1", "muchos", "-50", "",                     # bad amount; not enough
            "7", "A1", "",                                      # the newest 20
            "7", "", "todos",
            "8", "", "",                                        # all products; Enter
            "9",
            "5", "A1", "no",                                    # not confirmed
            "5", "A1", "s",
            "5", "A1", " CANCELAR ",                            # missing: said at once
            "x", "12", "", " 4 ",
            "0", ""])
        r = run([], self.srv, input=guion)
        # The first operation that failed gives the exit status.
        self.assertEqual(r.rc, NO_ENCONTRADO, r)
        self.assertEqual(r.err, "")
        en_orden(self, r.out, [
            "Conectado al servicio de inventario en localhost (programa %d, protocolo "
            "versión %d).\n" % (self.srv.program, cliente.version_alta(self.srv.program)),
            "=== Inventario TecnoMarket ===\n" + MENU + "Elija una opción: 1\n",
            "Id: A1\nNombre: Cámara réflex\n",
            "Stock (0 a 2147483647): -5\nEl stock debe ser un número entero entre 0 y "
            "2147483647. Inténtelo de nuevo (o «cancelar»).\nStock (0 a 2147483647): 10\n",
            "Producto agregado:\n  Id:     A1\n  Nombre: Cámara réflex\n"
            "  Stock:  10 unidades\n",
            "Elija una opción: 1\nId: A1\nYa existe un producto con id A1 («Cámara "
            "réflex», 10 en stock). Escriba otro id (o «cancelar»).\nId: cancelar\n"
            "Cancelado: no se ha enviado nada.\n",
            "Elija una opción: 1\nId: \nCancelado: no se ha enviado nada.\n",
            "Id: ZZ\nNo existe ningún producto con id ZZ.\n",
            "Id: A1\n  Id:     A1\n  Nombre: Cámara réflex\n  Stock:  10 unidades\n",
            "Elija una opción: 3\nId: A1\n  Cámara réflex: 10 unidades ahora.\n"
            "Nuevo stock (0 a 2147483647): abc\nEl stock debe ser",
            "Stock de A1 actualizado a 7 unidades.\n",
            "Elija una opción: 4\nId  Nombre         Stock\n--  -------------  -----\n"
            "A1  Cámara réflex      7\n1 producto.\n",
            "Stock de A1 ajustado en -2 (venta): antes 7, ahora 5.\n",
            "Cantidad (+N entra, -N sale): muchos\nLa cantidad debe ser un número entero",
            "No hay stock suficiente de A1 para ese ajuste",
            "¿Cuántos de los más recientes? (vacío: 20; «todos»: todos): \n",
            "Los 20 movimientos más recientes del producto A1 (el más reciente, al "
            "final):\n",
            "venta",
            "3 movimientos.\n",
            "Movimientos de todos los productos:\n",
            "Vigilando los cambios de todos los productos",
            "Pulse Enter o Ctrl-C para terminar.\n",
            "Fin de la vigilancia.\n",
            "Servidor de inventario en localhost (programa %d, protocolo versión %d)\n"
            % (self.srv.program, cliente.version_alta(self.srv.program)),
            "Elija una opción: 5\nId: A1\n¿Eliminar el producto A1 («Cámara réflex», 5 en "
            "stock)? Es definitivo.\n",
            ": no\nNo se ha eliminado nada.\n",
            ": s\nProducto A1 eliminado.\n",
            "Id: A1\nNo existe ningún producto con id A1. Escriba otro id (o «cancelar»).\n"
            "Id:  CANCELAR \nCancelado: no se ha enviado nada.\n",
            "Opción no válida: «x». Escriba un número del 0 al 9.\n",
            "Opción no válida: «12». Escriba un número del 0 al 9.\n",
            "Elija una opción: \nEscriba un número del 0 al 9.\n",
            "Elija una opción:  4 \nNo hay productos en el inventario.\n",
            "Elija una opción: 0\nHasta luego.\n"])
        with self.srv.client(2) as raw:
            self.assertEqual(raw.listar(), (rpc.OK, []))

    def test_sin_fallos_sale_con_0(self):
        r = run([], self.srv, input="1\nA1\nRadio\n3\n4\n1\nA1\n\n0\n")
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Producto agregado:", r.out)

    def test_fin_de_entrada_en_mitad_de_una_pregunta(self):
        # End of input leaves the form with nothing sent, then the menu.
        r = run([], self.srv, input="1\nA1\n")
        self.assertEqual(r.rc, OK, r)
        self.assertTrue(r.out.endswith("Nombre: \nCancelado: no se ha enviado nada.\n\n"
                                       "=== Inventario TecnoMarket ===\n" + MENU +
                                       "Elija una opción: \nHasta luego.\n"), r.out)
        with self.srv.client(2) as raw:
            self.assertEqual(raw.listar(), (rpc.OK, []))
        r = run([], self.srv, input="")
        self.assertEqual(r.rc, OK, r)
        self.assertTrue(r.out.endswith("Elija una opción: \nHasta luego.\n"), r.out)

    def test_servidor_caido_se_dice_antes_de_pedir_mas(self):
        with self.srv.client(2) as raw:
            self.assertEqual(raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn()
        self.srv.kill9()
        for opcion in ("1", "3", "5", "6"):
            self.opcion(p, opcion, "A1")
            p.expect_exact("no acepta conexiones")
            p.expect_exact("Elija una opción: ")
            self.assertNotIn("Nombre:", p.before)
            self.assertNotIn("Nuevo stock", p.before)
            self.assertNotIn("Stock (0", p.before)
            self.assertNotIn("Cantidad", p.before)
            self.assertNotIn("Eliminar el producto", p.before)
        self.salir(p, SIN_SERVIDOR)

    def spawn(self):
        p = PopenSpawn(cliente.command([], self.srv, timeout=2), env=cliente.ENV,
                       encoding="utf-8", timeout=15)
        p.expect_exact("Elija una opción: ")
        return p

    def opcion(self, p, *lineas):
        for l in lineas:
            p.sendline(l)

    def salir(self, p, rc=OK):
        p.sendline("0")
        p.expect_exact("Hasta luego.")
        p.expect(EOF)
        self.assertEqual(p.wait(), rc)

    def test_servidor_muere_y_vuelve(self):
        with self.srv.client(2) as raw:
            self.assertEqual(raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn()
        self.opcion(p, "4")
        p.expect_exact("1 producto.")
        p.expect_exact("Elija una opción: ")
        self.srv.kill9()
        # The operation fails with a sentence, and the menu stays.
        self.opcion(p, "2", "A1")
        p.expect_exact("pero el servidor no acepta conexiones")
        p.expect_exact("rpcinfo -p localhost")
        p.expect_exact("Elija una opción: ")
        self.opcion(p, "9")
        p.expect_exact("no acepta conexiones")
        p.expect_exact("Elija una opción: ")
        # Back on a new port: found again through rpcbind, by itself.
        self.srv.start()
        self.opcion(p, "2", "A1")
        p.expect_exact("Aviso: Conexión restablecida con el servidor en localhost "
                       "(protocolo versión %d)." % cliente.version_alta(self.srv.program))
        p.expect_exact("  Nombre: Radio")
        p.expect_exact("Elija una opción: ")
        self.opcion(p, "6", "A1", "+2", "recuento")
        p.expect_exact("ajustado en +2 (recuento): antes 3, ahora 5.")
        self.salir(p, SIN_SERVIDOR)

    def test_servidor_reiniciado_entre_dos_operaciones(self):
        with self.srv.client(2) as raw:
            self.assertEqual(raw.agregar("A1", "Radio", 3), rpc.OK)
        p = self.spawn()
        self.srv.restart()
        # The old connection is dead: noticed before the call, which then
        # goes over a new one and works at the first try.  No call was lost
        # or repeated, so nothing is said (as after the server's idle close).
        self.opcion(p, "2", "A1")
        p.expect_exact("  Nombre: Radio")
        self.assertNotIn("Aviso", p.before)
        self.salir(p)

    def test_servidor_muere_durante_la_llamada(self):
        p = self.spawn()
        os.kill(self.srv.pid, signal.SIGSTOP)
        self.opcion(p, "4")
        time.sleep(0.3)                 # the call is on its way
        self.srv.kill9()
        p.expect_exact("no acepta conexiones")
        p.expect_exact("Elija una opción: ")
        self.srv.start()
        self.opcion(p, "4")
        p.expect_exact("No hay productos en el inventario.")
        self.salir(p, SIN_SERVIDOR)

    def test_vigilar_en_el_menu_ve_cambios_de_otro_cliente(self):
        with self.srv.client(2) as raw:
            self.assertEqual(raw.agregar("A1", "Radio", 3), rpc.OK)
            p = self.spawn()
            self.opcion(p, "8", "A1")
            p.expect_exact("Vigilando los cambios del producto A1")
            self.assertEqual(raw.ajustar("A1", -1, "venta", "")[0], rpc.OK)
            self.assertEqual(raw.agregar("B2", "Otro", 1), rpc.OK)   # not A1: not shown
            self.assertEqual(raw.actualizar("A1", 9), rpc.OK)
            p.expect(r"\] #\d+ A1: stock 3 → 2 \(venta\) — 127\.0\.0\.1")
            p.expect(r"\] #\d+ A1: stock 2 → 9 — ")
            self.assertNotIn("B2", p.before)
            self.opcion(p, "")          # Enter: back to the menu
            p.expect_exact("Fin de la vigilancia.")
            p.expect_exact("Elija una opción: ")
            self.salir(p)


class MenuVersion1(unittest.TestCase):
    def test_servidor_de_version_1(self):
        with cliente.ServidorV1() as v1:
            v1.productos["A1"] = ("Radio", 3)
            r = run([], program=v1.program, input="4\n6\n7\n8\n9\n2\nA1\n0\n")
            self.assertEqual(r.rc, NO_OFRECIDO, r)
            en_orden(self, r.out, [
                "(programa %d, protocolo versión 1).\n" % v1.program,
                "El servidor solo ofrece la versión 1: las opciones 6 a 9 no están "
                "disponibles.\n",
                "Elija una opción: 4\n", "A1  Radio       3\n1 producto.\n",
                "Elija una opción: 6\nEl servidor en localhost solo ofrece la versión 1 "
                "del protocolo; «Ajustar stock» necesita la versión 2.\n",
                "Elija una opción: 7\nEl servidor en localhost solo ofrece la versión 1",
                "Elija una opción: 8\nEl servidor en localhost solo ofrece la versión 1",
                "Elija una opción: 9\nEl servidor en localhost solo ofrece la versión 1",
                "Id: A1\n  Id:     A1\n  Nombre: Radio\n",
                "Hasta luego.\n"])
            # The newest version was tried (and refused), then everything
            # was v1, and the listing was version 1's LISTAR_PRODUCTOS.
            self.assertIn((3, 0), v1.procs)
            self.assertIn((1, 4), v1.procs)
            self.assertNotIn(8, [p for v, p in v1.procs])


if __name__ == "__main__":
    unittest.main()
