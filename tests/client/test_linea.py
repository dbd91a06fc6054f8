"""The command line as scripts use it: options anywhere, the environment,
help per order, exit statuses, JSON errors, movimientos --ultimos, the
adjustment that was a replay, and Ctrl-C during a call."""
import json
import os
import signal
import subprocess
import time
import unittest

import cliente
import harness
import rpc
from cliente import run, OK, USO, INVALIDO, SIN_SERVIDOR, ARCHIVO, INTERRUMPIDA


class Linea(unittest.TestCase):
    def setUp(self):
        self.srv = cliente.servidor(self)
        self.raw = cliente.conexion_directa(self, self.srv)
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)

    def solo(self, args, **kw):
        """The client with exactly these arguments (no --program added)."""
        return run(args, **kw)

    def test_opciones_en_cualquier_lugar(self):
        p = str(self.srv.program)
        for args in (["obtener", "A1", "--program", p, "-j"],
                     ["-j", "obtener", "--program=" + p, "A1"],
                     ["obtener", "-p" + p, "A1", "--json", "-t", "3"],
                     ["--prog", p, "obtener", "A1", "--js"],       # unique prefixes
                     ["-jp", p, "obtener", "A1"]):                 # bundled
            with self.subTest(args=args):
                r = self.solo(args)
                self.assertEqual((r.rc, r.json()), (OK, {"id": "A1", "nombre": "Radio",
                                                         "stock": 10}), r)
        # A negative number is an argument; "--" ends the options.
        r = self.solo(["ajustar", "A1", "-3", "-p", p, "--motivo", "venta"])
        self.assertEqual(r.rc, OK, r)
        self.assertIn("ajustado en -3 (venta): antes 10, ahora 7.", r.out)
        r = self.solo(["-p", p, "obtener", "--", "-A1"])
        self.assertEqual(r.rc, 4, r)
        self.assertIn("No existe ningún producto con id -A1.", r.err)

    def test_variables_de_entorno_y_las_opciones_mandan(self):
        env = {"INVENTARIO_PROGRAM": str(self.srv.program), "INVENTARIO_HOST": "localhost",
               "INVENTARIO_TIMEOUT": "3"}
        r = self.solo(["obtener", "A1"], env=env)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("  Nombre: Radio", r.out)
        # The option wins over the variable (a program nobody registered).
        nadie = harness.unique_program()
        r = self.solo(["obtener", "A1", "--program", str(nadie)], env=env)
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        # An invalid variable is misuse, named; overridden, it is not read.
        r = self.solo(["obtener", "A1"], env=dict(env, INVENTARIO_TIMEOUT="pronto"))
        self.assertEqual(r.rc, USO, r)
        self.assertIn("valor inválido en INVENTARIO_TIMEOUT: 'pronto'", r.err)
        r = self.solo(["obtener", "A1", "-t", "2"], env=dict(env, INVENTARIO_TIMEOUT="pronto"))
        self.assertEqual(r.rc, OK, r)
        r = self.solo(["obtener", "A1"], env=dict(env, INVENTARIO_PROGRAM="0"))
        self.assertEqual(r.rc, USO, r)
        self.assertIn("INVENTARIO_PROGRAM", r.err)

    def test_ayuda_de_cada_orden(self):
        for args in (["help", "ajustar"], ["ajustar", "--help"], ["ajustar", "-h"]):
            with self.subTest(args=args):
                r = self.solo(args)
                self.assertEqual((r.rc, r.err), (OK, ""), r)
                self.assertTrue(r.out.startswith(
                    "Uso: inventario-client [OPCIÓN]... ajustar ID CANTIDAD"), r.out)
                self.assertIn("--motivo=M", r.out)
                self.assertIn("--clave=K", r.out)
                self.assertNotIn("--ultimos", r.out)
        r = self.solo(["help", "movimientos"])
        self.assertIn("--ultimos=N", r.out)
        r = self.solo(["help"])
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Estado de salida:", r.out)
        r = self.solo(["help", "vender"])
        self.assertEqual(r.rc, USO, r)
        self.assertIn("orden desconocida: 'vender'", r.err)

    def test_errores_de_uso_en_json(self):
        for args, frase in ((["--json", "vender"], "orden desconocida: 'vender'"),
                            (["obtener", "--json"], "argumentos incorrectos"),
                            (["listar", "--bogus", "-j"], "opción desconocida: '--bogus'"),
                            (["--json"], "--json solo se usa con una orden"),
                            (["-j", "obtener", "A1", "--motivo", "x"],
                             "no admite la opción --motivo")):
            with self.subTest(args=args):
                r = self.solo(args)
                self.assertEqual((r.rc, r.out), (USO, ""), r)
                self.assertEqual(r.err.count("\n"), 1, r)
                err = json.loads(r.err)["error"]
                self.assertEqual((err["codigo"], err["salida"]), ("USO", USO))
                self.assertIn(frase, err["mensaje"])

    def test_estado_de_salida_de_un_archivo_local(self):
        r = run(["exportar", "/nonexistent-dir/x.json"], self.srv)
        self.assertEqual(r.rc, ARCHIVO, r)
        r = run(["--json", "importar", "/nonexistent-dir/x.json"], self.srv)
        self.assertEqual(r.rc, ARCHIVO, r)
        self.assertEqual(r.json_err()["error"]["codigo"], "ARCHIVO")

    def test_movimientos_ultimos(self):
        for i in range(30):
            self.assertEqual(self.raw.ajustar("A1", 1, "m%d" % i, "")[0], rpc.OK)
            if i % 3 == 0:
                self.assertEqual(self.raw.agregar("X%d" % i, "Otro", 1), rpc.OK)
        r = run(["--json", "movimientos", "A1", "--ultimos", "5"], self.srv)
        self.assertEqual(r.rc, OK, r)
        movs = r.json()["movimientos"]
        self.assertEqual([m["motivo"] for m in movs], ["m25", "m26", "m27", "m28", "m29"])
        r = run(["--json", "movimientos", "-n", "3"], self.srv)
        movs = r.json()["movimientos"]
        # The newest 3 of the whole log: m27, then X27's alta (motivo ""),
        # m28 and m29.
        self.assertEqual([m["motivo"] for m in movs], ["", "m28", "m29"])
        self.assertEqual(movs[-1]["seq"], r.json()["ultimo_seq"])
        self.assertEqual(len(movs), 3)
        self.assertEqual(sorted(m["seq"] for m in movs), [m["seq"] for m in movs])
        # More than there are: all of them, oldest first.
        r = run(["--json", "movimientos", "A1", "--ultimos", "1000"], self.srv)
        self.assertEqual(len(r.json()["movimientos"]), 31)
        r = run(["movimientos", "A1", "--ultimos", "2"], self.srv)
        self.assertIn("Los 2 movimientos más recientes del producto A1 (el más reciente, "
                      "al final):", r.out)
        self.assertTrue(r.out.endswith("2 movimientos.\n"), r.out)
        r = run(["movimientos", "--ultimos", "0"], self.srv)
        self.assertEqual(r.rc, INVALIDO, r)

    def test_ajuste_repetido_con_su_clave(self):
        r = run(["ajustar", "A1", "-3", "--motivo", "venta", "--clave", "k1"], self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("ajustado en -3 (venta): antes 10, ahora 7.", r.out)
        self.assertEqual(self.raw.ajustar("A1", 5, "compra", "")[0], rpc.OK)
        # Again, with another motivo: not applied, said, the log's motivo.
        r = run(["ajustar", "A1", "-3", "--motivo", "otro", "--clave", "k1"], self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Ajuste de A1 en -3 ya aplicado antes con esta clave: no se ha "
                      "repetido.", r.out)
        self.assertIn("de 10 a 7, con motivo «venta».", r.out)
        self.assertNotIn("otro", r.out)
        self.assertNotIn("ahora 7", r.out)
        self.assertEqual(self.raw.obtener("A1")[1][2], 12)
        doc = run(["--json", "ajustar", "A1", "-3", "--clave", "k1"], self.srv).json()
        self.assertEqual((doc["repetido"], doc["motivo"]), (True, "venta"))

    def test_desbordar_el_stock_nombra_solo_esa_causa(self):
        self.assertEqual(self.raw.actualizar("A1", 2147483640), rpc.OK)
        for args in (["ajustar", "A1", "100"], ["ajustar", "A1", "100", "--clave", "k9"]):
            with self.subTest(args=args):
                r = run(args, self.srv)
                self.assertEqual(r.rc, INVALIDO, r)
                self.assertIn("el stock pasaría de 2147483647, el máximo", r.err)
                self.assertNotIn("clave", r.err)

    def test_base_de_datos_perdida_se_nombra(self):
        # The server notices its database file was deleted: every write
        # answers ERROR_INTERNO and ESTADO says almacen_ok false.  The
        # client asks ESTADO after the ERROR_INTERNO, and names the cause.
        os.unlink(self.srv.db)
        r = run(["agregar", "B2", "Tele", "1"], self.srv)
        self.assertEqual(r.rc, cliente.INTERNO, r)
        self.assertIn("El servidor ha perdido su base de datos", r.err)
        self.assertNotIn("disco lleno", r.err)
        r = run(["estado"], self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Productos:            1 (último dato conocido)", r.out)
        self.assertIn("NO RESPONDE", r.out)
        doc = run(["--json", "estado"], self.srv).json()
        self.assertEqual((doc["almacen_ok"], doc["productos"]), (False, 1))

    def test_ctrl_c_durante_una_llamada(self):
        # A server that answers NULL (so the client connects) and nothing
        # else: the call waits (timeout 60 s) until Ctrl-C ends it.
        with cliente.ServidorSordo() as sordo:
            for args, incierta in ((["obtener", "A1"], False),
                                   (["actualizar", "A1", "4"], True)):
                with self.subTest(args=args):
                    antes = len(sordo.llamadas())
                    p = subprocess.Popen(cliente.command(args, program=sordo.program,
                                                         timeout=60),
                                         env=cliente.ENV, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
                    self.addCleanup(p.kill)
                    harness.wait_until(lambda: len(sordo.llamadas()) > antes, timeout=20)
                    t0 = time.monotonic()
                    p.send_signal(signal.SIGINT)
                    out, err = p.communicate(timeout=20)
                    print("Ctrl-C a fin del proceso: %.3f s" % (time.monotonic() - t0))
                    self.assertEqual(p.returncode, INTERRUMPIDA, err)
                    err = err.decode()
                    self.assertIn("Se dejó de esperar la respuesta del servidor", err)
                    if incierta:
                        self.assertIn("No se sabe si el cambio llegó a aplicarse", err)
                    else:
                        self.assertIn("No se ha cambiado nada.", err)


if __name__ == "__main__":
    unittest.main()
