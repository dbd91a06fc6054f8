"""exportar and importar: the whole inventory in one JSON file, and back."""
import json
import os
import shutil
import stat
import tempfile
import unittest

import cliente
import rpc
from cliente import run, OK, INVALIDO, SIN_SERVIDOR, ARCHIVO

PRODUCTOS = [("A1", "Cámara réflex", 12), ("B2", "Auriculares \"pro\"", 0),
             ("Ñ3", "Tarjeta 漢字 SD", 2147483647), ("c4", "Cable\\USB", 7)]


def como_json(productos):
    return [{"id": i, "nombre": n, "stock": s}
            for i, n, s in sorted(productos, key=lambda p: p[0].encode())]


class Intercambio(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="inventario-cliente-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.srv = cliente.servidor(self)
        self.raw = cliente.conexion_directa(self, self.srv)

    def llenar(self, productos):
        for p in productos:
            self.assertEqual(self.raw.agregar(*p), rpc.OK)

    def escribir(self, nombre, texto):
        ruta = os.path.join(self.dir, nombre)
        with open(ruta, "w", encoding="utf-8") as f:
            f.write(texto)
        return ruta

    def test_exportar_a_la_salida_y_a_un_archivo(self):
        self.llenar(PRODUCTOS)
        r = run(["exportar"], self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(json.loads(r.out), como_json(PRODUCTOS))
        ruta = os.path.join(self.dir, "inventario.json")
        r = run(["exportar", ruta], self.srv)
        self.assertEqual((r.rc, r.out), (OK, "Exportados 4 productos a %s.\n" % ruta))
        with open(ruta, encoding="utf-8") as f:
            self.assertEqual(json.load(f), como_json(PRODUCTOS))
        # Written whole through a temporary file, which does not stay behind;
        # as readable as any new file.
        self.assertEqual(os.listdir(self.dir), ["inventario.json"])
        self.assertEqual(stat.S_IMODE(os.stat(ruta).st_mode), 0o666 & ~_umask())
        r = run(["--json", "exportar", ruta], self.srv)
        self.assertEqual(r.json(), {"exportados": 4, "archivo": ruta})

    def test_exportar_a_donde_no_se_puede(self):
        ruta = os.path.join(self.dir, "no-existe", "inventario.json")
        r = run(["exportar", ruta], self.srv)
        self.assertEqual(r.rc, ARCHIVO, r)
        self.assertIn("No se pudo escribir %s" % ruta, r.err)

    def test_ida_y_vuelta_entre_dos_servidores(self):
        # More products than one page, so export pages through LISTAR_PAGINA.
        productos = PRODUCTOS + [("P%03d" % i, "Producto %d" % i, i) for i in range(230)]
        self.llenar(productos)
        ruta = os.path.join(self.dir, "inventario.json")
        self.assertEqual(run(["exportar", ruta], self.srv).rc, OK)
        with cliente.fast_server() as otro, otro.client(2) as raw2:
            r = run(["importar", ruta], otro)
            self.assertEqual(r.rc, OK, r)
            self.assertTrue(r.out.endswith(
                "Importación de %s: 234 productos añadidos, 0 ya existían y no se han "
                "modificado, 0 entradas inválidas (de 234 entradas).\n" % ruta), r.out)
            self.assertEqual(raw2.listar()[1], self.raw.listar()[1])
            # Again: everything already there, nothing changed.
            r = run(["--json", "importar", ruta], otro)
            self.assertEqual(r.rc, OK, r)
            doc = r.json()
            self.assertEqual((doc["total"], doc["agregados"], len(doc["ya_existian"]),
                              doc["invalidos"], doc["errores"]), (234, [], 234, [], []))
            self.assertEqual(raw2.listar()[1], self.raw.listar()[1])

    def test_importar_sigue_tras_entradas_malas(self):
        self.llenar([("B2", "Original", 5)])
        entradas = [
            {"id": "A1", "nombre": "Cámara", "stock": 3},          # 1 added
            {"id": "B2", "nombre": "Otro nombre", "stock": 99},    # 2 exists
            {"nombre": "Sin id", "stock": 1},                      # 3
            {"id": 7, "nombre": "Id numérico", "stock": 1},        # 4
            {"id": "a\u0000b", "nombre": "NUL", "stock": 1},       # 5
            {"id": "x" * 65, "nombre": "Largo", "stock": 1},       # 6
            {"id": "C3", "nombre": "", "stock": 1},                # 7
            {"id": "C3", "nombre": "Negativo", "stock": -1},       # 8
            {"id": "C3", "nombre": "Texto", "stock": "5"},         # 9
            {"id": "C3", "nombre": "Decimal", "stock": 1.5},       # 10
            {"id": "C3", "nombre": "Enorme", "stock": 2147483648}, # 11
            "no es un objeto",                                     # 12
            {"id": " D4", "nombre": "Espacio", "stock": 1},        # 13
            {"id": "E5", "nombre": "Bien", "stock": 0, "extra": 1},# 14 added
            {"id": "A1", "nombre": "Repetido", "stock": 8},        # 15 exists
        ]
        ruta = self.escribir("mezcla.json", json.dumps(entradas))
        r = run(["importar", ruta], self.srv)
        self.assertEqual(r.rc, INVALIDO, r)
        lineas = r.out.splitlines()
        self.assertEqual(lineas[0], "Importando %s (15 entradas):" % ruta)
        esperado = [
            "  añadido: A1",
            "  ya existía: B2 (no se ha modificado)",
            "  inválida, entrada 3: El id falta o no es un texto.",
            "  inválida, entrada 4: El id falta o no es un texto.",
            "  inválida, entrada 5 (a\\u0000b): El id contiene caracteres de control.",
            "  inválida, entrada 6 (%s): El id es demasiado largo: como mucho 64 bytes; "
            "este tiene 65 (una letra con tilde o una ñ ocupa 2 bytes, otros caracteres "
            "hasta 4)." % ("x" * 65),
            "  inválida, entrada 7 (C3): El nombre no puede estar vacío.",
            "  inválida, entrada 8 (C3): El stock debe ser un número entero entre 0 y 2147483647.",
            "  inválida, entrada 9 (C3): El stock debe ser un número entero entre 0 y 2147483647.",
            "  inválida, entrada 10 (C3): El stock debe ser un número entero entre 0 y 2147483647.",
            "  inválida, entrada 11 (C3): El stock debe ser un número entero entre 0 y 2147483647.",
            "  inválida, entrada 12: no es un objeto {\"id\", \"nombre\", \"stock\"}.",
            "  inválida, entrada 13 ( D4): El id no puede empezar ni terminar con espacios.",
            "  añadido: E5",
            "  ya existía: A1 (no se ha modificado)",
            "Importación de %s: 2 productos añadidos, 2 ya existían y no se han "
            "modificado, 11 entradas inválidas (de 15 entradas)." % ruta,
            "Con --actualizar se fija el stock de los que ya existen.",
        ]
        self.assertEqual(lineas[1:], esperado)
        self.assertEqual(self.raw.listar()[1], [("A1", "Cámara", 3), ("B2", "Original", 5),
                                                ("E5", "Bien", 0)])

    def test_importar_informe_json(self):
        ruta = self.escribir("dos.json", json.dumps([
            {"id": "A1", "nombre": "Radio", "stock": 1},
            {"id": "", "nombre": "Vacío", "stock": 1}]))
        r = run(["--json", "importar", ruta], self.srv)
        self.assertEqual(r.rc, INVALIDO, r)
        self.assertEqual(r.json(), {
            "archivo": ruta, "total": 2, "agregados": ["A1"], "ya_existian": [],
            "invalidos": [{"entrada": 2, "id": "", "motivo": "El id no puede estar vacío."}],
            "errores": [], "nombres_distintos": [], "detenida": None})

    def test_importar_desde_la_entrada_estandar(self):
        r = run(["importar", "-"], self.srv, input=json.dumps(como_json(PRODUCTOS)))
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(self.raw.listar()[1], [tuple(p.values()) for p in como_json(PRODUCTOS)])

    def test_archivos_que_no_sirven(self):
        # Not JSON: refused whole, said in Spanish with line and column.
        casos = [
            ('[{"id": "A1", "nombre": "x", "stock": 1}',
             "no es JSON válido: se esperaba ',' o ']', al final del archivo (línea 1, "
             "columna 40)"),
            ('[\n  {"id": "A1" "nombre": "x"}]',
             "no es JSON válido: se esperaba ',' o '}', cerca de '\"nombre\"' (línea 2, "
             "columna 22)"),
            ('[{"id": "A1", "nombre": "x", "stock": 1}] sobra',
             "no es JSON válido: sobra texto después del final"),
            ('', "no es JSON válido: se esperaba '[' o '{', al final del archivo"),
            ('[{"id": "A1", "stock": 1e999}]', "no es JSON válido: número demasiado grande"),
            ('[tru]', "no es JSON válido: símbolo no válido"),
            ('{"id": "A1", "nombre": "x", "stock": 1}', "no contiene una lista de productos"),
        ]
        for texto, frase in casos:
            with self.subTest(texto=texto):
                ruta = self.escribir("malo.json", texto)
                r = run(["importar", ruta], self.srv)
                self.assertEqual(r.rc, INVALIDO, r)
                self.assertIn(ruta + " " + frase, r.err)
                self.assertIn("No se importó nada.", r.err)
                self.assertNotRegex(r.err, r"expected|near|token|end of file")
        # What cannot be read is a local file error (its own exit status).
        casos = [
            (os.path.join(self.dir, "no-existe.json"),
             "No se puede abrir %s: No such file or directory" ),
            (self.dir, "%s es una carpeta, no un archivo."),
        ]
        for ruta, frase in casos:
            with self.subTest(ruta=ruta):
                r = run(["importar", ruta], self.srv)
                self.assertEqual(r.rc, ARCHIVO, r)
                self.assertIn(frase.split(":")[0] % ruta if "%" in frase else frase, r.err)
        # stdin is named as such.
        r = run(["importar", "-"], self.srv, input="[")
        self.assertEqual(r.rc, INVALIDO, r)
        self.assertIn("inventario-client: entrada estándar no es JSON válido", r.err)
        r = run(["importar", "-"], self.srv, input="[]")
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Importando entrada estándar (0 entradas):", r.out)
        self.assertEqual(self.raw.listar()[1], [])

    def test_importar_actualizar(self):
        self.llenar([("A1", "Radio", 5), ("B2", "Tele", 2), ("C3", "Cable", 7)])
        base = self.raw.movimientos(0, "", 1)[2]
        ruta = self.escribir("nuevo.json", json.dumps([
            {"id": "A1", "nombre": "Radio", "stock": 9},        # stock set
            {"id": "B2", "nombre": "Televisor", "stock": 2},    # name differs: left
            {"id": "C3", "nombre": "Cable", "stock": 7},        # the same
            {"id": "D4", "nombre": "Nuevo", "stock": 1},        # added
        ]))
        # Without --actualizar: reported and left.
        r = run(["importar", ruta], self.srv)
        self.assertEqual(r.rc, OK, r)
        self.assertIn("  ya existía: A1 (no se ha modificado)", r.out)
        self.assertIn("Con --actualizar se fija el stock", r.out)
        self.assertEqual(self.raw.obtener("A1")[1], ("A1", "Radio", 5))
        self.assertEqual(self.raw.eliminar("D4"), rpc.OK)
        # With it (after the file, as options may go anywhere).
        r = run(["importar", ruta, "--actualizar"], self.srv)
        self.assertEqual(r.rc, OK, r)
        lineas = r.out.splitlines()
        self.assertEqual(lineas[1:], [
            "  actualizado: A1",
            "  aviso: B2 tiene otro nombre en el servidor; el nombre no se puede cambiar "
            "(el protocolo no tiene esa operación) y se deja como está",
            "  ya estaba igual: B2",
            "  ya estaba igual: C3",
            "  añadido: D4",
            "Importación de %s: 1 producto añadido, 1 actualizado, 2 ya estaban iguales, "
            "0 entradas inválidas (de 4 entradas)." % ruta,
            "1 producto tenía otro nombre en el servidor, que no se ha cambiado.",
        ])
        self.assertEqual(self.raw.listar()[1], [("A1", "Radio", 9), ("B2", "Tele", 2),
                                                ("C3", "Cable", 7), ("D4", "Nuevo", 1)])
        # One write, with its movement, for the one stock that changed.
        movs = self.raw.movimientos(base, "")[1]
        self.assertEqual([(m["id"], m["stock_antes"], m["stock_despues"]) for m in movs],
                         [("D4", 0, 1), ("D4", 1, 0), ("A1", 5, 9), ("D4", 0, 1)])
        r = run(["--json", "importar", "-a", ruta], self.srv)
        doc = r.json()
        self.assertEqual((doc["actualizados"], doc["sin_cambios"], doc["agregados"],
                          doc["nombres_distintos"]), ([], ["A1", "B2", "C3", "D4"], [], ["B2"]))
        self.assertNotIn("ya_existian", doc)

    def test_importar_sin_servidor(self):
        ruta = self.escribir("uno.json", json.dumps([{"id": "A1", "nombre": "x", "stock": 1}]))
        self.srv.kill9()
        r = run(["importar", ruta], self.srv, timeout=2)
        self.assertEqual(r.rc, SIN_SERVIDOR, r)
        self.assertIn("La importación se detuvo en la entrada 1", r.out)
        self.assertIn("no acepta conexiones", r.out)


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    unittest.main()
