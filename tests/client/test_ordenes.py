"""One-shot orders against a real server: text, --json, exit statuses, misuse."""
import json
import os
import re
import subprocess
import tempfile
import unicodedata
import unittest

import cliente
import harness
import rpc
from cliente import (run, OK, USO, INVALIDO, NO_ENCONTRADO, YA_EXISTE,
                     STOCK_INSUFICIENTE, CODIGOS)


def ancho(s):
    """Display columns, the way a terminal counts them."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


class Ordenes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cliente.fast_server(args=["-v"])
        cls.addClassCleanup(cls.srv.__exit__, None, None, None)
        cls.srv.start()

    def setUp(self):
        self.raw = cliente.conexion_directa(self, self.srv)
        for pid, _, _ in self.raw.listar()[1]:
            self.assertEqual(self.raw.eliminar(pid), rpc.OK)
        self.base = self.raw.movimientos(0, "", 1)[2]     # newest seq now

    def cli(self, *args, **kw):
        return run(args, self.srv, **kw)

    # -- help, version, misuse ---------------------------------------------
    def test_ayuda_y_version(self):
        r = run(["--help"])
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.err, "")
        for code in CODIGOS:
            self.assertRegex(r.out, r"\n  %d  \S" % code)
        for orden in ("agregar ID NOMBRE STOCK", "obtener ID", "actualizar ID STOCK",
                      "listar", "eliminar ID", "ajustar ID CANTIDAD", "movimientos [ID]",
                      "vigilar [ID]", "estado", "exportar [ARCHIVO]", "importar ARCHIVO",
                      "--host", "--program", "--timeout", "--json", "rpcinfo -p"):
            self.assertIn(orden, r.out)
        # The manual page lists the same exit statuses.
        man = os.path.join(os.path.dirname(__file__), "..", "..", "client",
                           "inventario-client.1")
        with open(man, encoding="utf-8") as f:
            pagina = f.read().replace("\\-", "-")
        estados = re.findall(r"\n  (\d+)  (.+)", r.out)
        self.assertEqual([int(c) for c, _ in estados], CODIGOS)
        for code, texto in estados:
            self.assertIn(".B %s\n%s\n" % (code, texto), pagina)
        r = run(["--version"])
        self.assertEqual((r.rc, r.out, r.err), (OK, "inventario-client 1.0.0\n", ""))

    def test_mal_uso_sale_con_2_por_stderr(self):
        casos = [
            (["--bogus"], "opción desconocida: '--bogus'"),
            (["--timeout"], "le falta su valor"),
            (["--timeout", "cero", "listar"], "--timeout"),
            (["--timeout", "0", "listar"], "--timeout"),
            (["--program", "0", "listar"], "--program"),
            (["--program", "0x1z", "listar"], "--program"),
            (["--program", "-5", "listar"], "--program"),
            (["--host", "", "listar"], "--host"),
            (["vender", "A1"], "orden desconocida: 'vender'"),
            (["obtener"], "inventario-client obtener ID"),
            (["obtener", "A1", "B2"], "inventario-client obtener ID"),
            (["agregar", "A1", "x"], "agregar ID NOMBRE STOCK"),
            (["obtener", "A1", "--motivo", "x"], "no admite la opción --motivo"),
            (["ajustar", "A1", "1", "--motivo"], "le falta su valor"),
            (["listar", "--todo"], "opción desconocida: '--todo'"),
        ]
        for args, frase in casos:
            with self.subTest(args=args):
                r = self.cli(*args)
                self.assertEqual(r.rc, USO, r)
                self.assertEqual(r.out, "")
                self.assertIn(frase, r.err)
                self.assertIn("Pruebe 'inventario-client --help'.", r.err)

    # -- writes and reads ----------------------------------------------------
    def test_agregar_obtener_actualizar_eliminar(self):
        r = self.cli("agregar", "CAM-1", "Cámara réflex", "12")
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.out, "Producto agregado:\n  Id:     CAM-1\n"
                         "  Nombre: Cámara réflex\n  Stock:  12 unidades\n")
        self.assertEqual(self.raw.obtener("CAM-1"), (rpc.OK, ("CAM-1", "Cámara réflex", 12)))
        r = self.cli("obtener", "CAM-1")
        self.assertEqual((r.rc, r.err), (OK, ""))
        self.assertIn("  Nombre: Cámara réflex\n", r.out)
        r = self.cli("actualizar", "CAM-1", "1")
        self.assertEqual((r.rc, r.out), (OK, "Stock de CAM-1 actualizado a 1 unidad.\n"))
        self.assertEqual(self.raw.obtener("CAM-1")[1][2], 1)
        r = self.cli("eliminar", "CAM-1")
        self.assertEqual((r.rc, r.out), (OK, "Producto CAM-1 eliminado.\n"))
        self.assertEqual(self.raw.obtener("CAM-1"), (rpc.NO_ENCONTRADO, None))

    def test_cada_estado_es_una_frase_y_un_codigo(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 2), rpc.OK)
        casos = [
            (["agregar", "A1", "Otro", "1"], YA_EXISTE, "Ya existe un producto con id A1.\n"),
            (["obtener", "X9"], NO_ENCONTRADO, "No existe ningún producto con id X9.\n"),
            (["actualizar", "X9", "3"], NO_ENCONTRADO, "No existe ningún producto con id X9.\n"),
            (["eliminar", "X9"], NO_ENCONTRADO, "No existe ningún producto con id X9.\n"),
            (["ajustar", "X9", "3"], NO_ENCONTRADO, "No existe ningún producto con id X9.\n"),
            (["ajustar", "A1", "-3"], STOCK_INSUFICIENTE,
             "No hay stock suficiente de A1 para ese ajuste: el stock no puede "
             "quedar por debajo de cero. No se cambió nada.\n"),
            (["ajustar", "A1", "2147483647"], INVALIDO,
             "El servidor rechazó el ajuste de A1: el stock pasaría de 2147483647"),
        ]
        for args, rc, frase in casos:
            with self.subTest(args=args):
                r = self.cli(*args)
                self.assertEqual(r.rc, rc, r)
                self.assertEqual(r.out, "")
                self.assertTrue(r.err.startswith("inventario-client: " + frase), r.err)
        self.assertEqual(self.raw.obtener("A1"), (rpc.OK, ("A1", "Radio", 2)))

    def test_datos_invalidos_se_rechazan_antes_de_enviar(self):
        # A program nobody registered: a check that needed the server would
        # answer SIN_SERVIDOR (7), not INVALIDO (3).
        nadie = harness.unique_program()
        casos = [
            (["obtener", ""], "El id no puede estar vacío."),
            (["obtener", " A1"], "El id no puede empezar ni terminar con espacios."),
            (["obtener", "x" * 65],
             "El id es demasiado largo: como mucho 64 bytes; este tiene 65"),
            (["obtener", "a\tb"], "El id contiene caracteres de control."),
            (["obtener", "a\x1b[2Jb"], "El id contiene caracteres de control."),
            (["agregar", "A1", "", "1"], "El nombre no puede estar vacío."),
            (["agregar", "A1", "é" * 200, "1"],
             "El nombre es demasiado largo: como mucho 256 bytes; este tiene 400"),
            (["agregar", "A1", "Radio", "-1"],
             "El stock debe ser un número entero entre 0 y 2147483647."),
            (["agregar", "A1", "Radio", "2147483648"], "El stock debe ser"),
            (["actualizar", "A1", "12abc"], "El stock debe ser"),
            (["actualizar", "A1", "0x10"], "El stock debe ser"),
            (["ajustar", "A1", "mucho"], "La cantidad debe ser un número entero"),
            (["ajustar", "A1", "2147483648"], "La cantidad debe ser"),
            (["ajustar", "A1", "1", "--motivo", "m" * 65],
             "El motivo es demasiado largo: como mucho 64 bytes; este tiene 65"),
            (["ajustar", "A1", "1", "--clave", ""], "El valor de --clave no puede estar vacío."),
            (["movimientos", "A1", "--desde", "-1"], "El número de movimiento debe ser"),
            (["vigilar", " "], "El id no puede empezar ni terminar con espacios."),
        ]
        for args, frase in casos:
            with self.subTest(args=args):
                r = run(args, program=nadie)
                self.assertEqual(r.rc, INVALIDO, r)
                self.assertIn(frase, r.err)
                self.assertNotIn("rpcbind", r.err)

    def test_ajustar_texto_y_movimiento(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)
        r = self.cli("ajustar", "A1", "-3", "--motivo", "venta")
        self.assertEqual(r.rc, OK, r)
        self.assertTrue(r.out.startswith("Stock de A1 ajustado en -3 (venta): antes 10, "
                                         "ahora 7.\n"), r.out)
        r = self.cli("ajustar", "A1", "+5", "--motivo=devolución")
        self.assertEqual(r.rc, OK, r)
        self.assertIn("ajustado en +5 (devolución): antes 7, ahora 12.", r.out)
        _, movs, _ = self.raw.movimientos(self.base, "A1")
        self.assertEqual([(m["stock_antes"], m["stock_despues"], m["motivo"]) for m in movs],
                         [(0, 10, ""), (10, 7, "venta"), (7, 12, "devolución")])

    def test_ajustar_con_la_misma_clave_se_aplica_una_vez(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)
        for vez in range(2):
            r = self.cli("--json", "ajustar", "A1", "-4", "--clave", "venta-0001")
            self.assertEqual(r.rc, OK, r)
            self.assertEqual(r.json()["stock"], 6)
            self.assertEqual(r.json()["clave"], "venta-0001")
            self.assertEqual(r.json()["repetido"], vez == 1)
        self.assertEqual(self.raw.obtener("A1")[1][2], 6)
        self.assertEqual(len(self.raw.movimientos(self.base, "A1")[1]), 2)
        # The same key with another amount is a client bug: refused.
        r = self.cli("ajustar", "A1", "-5", "--clave", "venta-0001")
        self.assertEqual(r.rc, INVALIDO, r)
        self.assertIn("esa clave ya se usó en un ajuste distinto", r.err)
        self.assertNotIn("2147483647", r.err)
        self.assertEqual(self.raw.obtener("A1")[1][2], 6)

    def test_cada_ajuste_lleva_una_clave_nueva(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 10), rpc.OK)
        claves = set()
        for _ in range(3):
            r = self.cli("--json", "ajustar", "A1", "1")
            self.assertEqual(r.rc, OK, r)
            self.assertRegex(r.json()["clave"], r"^[0-9a-f]{32}$")
            claves.add(r.json()["clave"])
        self.assertEqual(len(claves), 3)
        self.assertEqual(self.raw.obtener("A1")[1][2], 13)

    # -- listings ------------------------------------------------------------
    def test_tabla_alineada_por_ancho_visible(self):
        datos = [("A1", "Cámara réflex", 12), ("B22", "Auriculares", 5),
                 ("Ñ-3", "Tarjeta 漢字 SD", 300), ("Z", "Cafe\u0301 molido", 1)]
        for d in datos:
            self.assertEqual(self.raw.agregar(*d), rpc.OK)
        r = self.cli("listar")
        self.assertEqual(r.rc, OK, r)
        lineas = r.out.splitlines()
        self.assertEqual(lineas[-1], "4 productos.")
        tabla = lineas[:-1]
        self.assertEqual(len(tabla), 2 + len(datos))
        self.assertEqual(tabla[0].split(), ["Id", "Nombre", "Stock"])
        # Every line ends at the same display column (Stock is right-aligned),
        # and each name starts at the same column.
        self.assertEqual(len({ancho(l) for l in tabla}), 1, tabla)
        col = tabla[0].index("Nombre")
        for (pid, nombre, stock), linea in zip(sorted(datos, key=lambda d: d[0].encode()),
                                              tabla[2:]):
            self.assertTrue(linea.startswith(pid))
            self.assertEqual(ancho(linea[:linea.index(nombre)]), col, linea)
            self.assertTrue(linea.endswith(" %d" % stock))

    def test_listar_vacio(self):
        r = self.cli("listar")
        self.assertEqual((r.rc, r.out), (OK, "No hay productos en el inventario.\n"))
        self.assertEqual(self.cli("--json", "listar").json(), [])

    def test_listar_usa_listar_pagina_pagina_a_pagina(self):
        ids = ["P%04d" % i for i in range(450)]
        for pid in ids:
            self.assertEqual(self.raw.agregar(pid, "Producto " + pid, 1), rpc.OK)
        antes_pag = cliente.calls(self.srv, "LISTAR_PAGINA")
        antes_todo = cliente.calls(self.srv, "LISTAR_PRODUCTOS")
        r = self.cli("--json", "listar")
        self.assertEqual(r.rc, OK, r)
        self.assertEqual([p["id"] for p in r.json()], ids)
        # 450 products in pages of at most 200: three pages or more, and no
        # call of version 1's all-in-one listing.
        self.assertGreaterEqual(cliente.calls(self.srv, "LISTAR_PAGINA") - antes_pag, 3)
        self.assertEqual(cliente.calls(self.srv, "LISTAR_PRODUCTOS"), antes_todo)
        r = self.cli("listar")
        self.assertTrue(r.out.endswith("\n450 productos.\n"))

    # -- JSON -----------------------------------------------------------------
    def test_json(self):
        self.assertEqual(self.raw.agregar("A1", "Cámara \"pro\" \\ 4K", 3), rpc.OK)
        r = self.cli("--json", "obtener", "A1")
        self.assertEqual((r.rc, r.json()), (OK, {"id": "A1", "nombre": "Cámara \"pro\" \\ 4K",
                                                 "stock": 3}))
        r = self.cli("obtener", "A1", "--json")          # after the order too
        self.assertEqual(r.json()["nombre"], "Cámara \"pro\" \\ 4K")
        r = self.cli("--json", "agregar", "B2", "Radio", "0")
        self.assertEqual(r.json(), {"id": "B2", "nombre": "Radio", "stock": 0})
        r = self.cli("--json", "actualizar", "B2", "9")
        self.assertEqual(r.json(), {"id": "B2", "stock": 9})
        r = self.cli("--json", "listar")
        self.assertEqual(r.json(), [{"id": "A1", "nombre": "Cámara \"pro\" \\ 4K", "stock": 3},
                                    {"id": "B2", "nombre": "Radio", "stock": 9}])
        r = self.cli("--json", "eliminar", "B2")
        self.assertEqual(r.json(), {"id": "B2", "eliminado": True})
        # Errors go to stderr, as JSON, one line; stdout stays empty.
        r = self.cli("--json", "obtener", "B2")
        self.assertEqual(r.rc, NO_ENCONTRADO)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err.count("\n"), 1, r)
        self.assertEqual(r.json_err(), {"error": {"codigo": "NO_ENCONTRADO", "salida": 4,
                                                  "mensaje": "No existe ningún producto con id B2."}})
        r = self.cli("--json", "obtener", "")
        self.assertEqual(r.rc, INVALIDO)
        self.assertEqual(r.json_err()["error"]["codigo"], "INVALIDO")

    def test_movimientos(self):
        # A log of its own, so that the listing of every movement is known.
        with cliente.fast_server() as srv, srv.client(2) as raw:
            self._movimientos(srv, raw)

    def _movimientos(self, srv, raw):
        def cli(*args):
            return run(args, srv)
        self.assertEqual(raw.agregar("A1", "Radio", 5), rpc.OK)
        self.assertEqual(raw.agregar("B2", "Tele", 1), rpc.OK)
        self.assertEqual(raw.ajustar("A1", -2, "venta", "k1")[0], rpc.OK)
        self.assertEqual(raw.eliminar("B2"), rpc.OK)
        r = cli("movimientos")
        self.assertEqual(r.rc, OK, r)
        lineas = r.out.splitlines()
        self.assertEqual(lineas[0], "Movimientos de todos los productos:")
        self.assertEqual(lineas[1].split()[:4], ["N.º", "Fecha", "y", "hora"])
        filas = lineas[3:-1]
        self.assertEqual(lineas[-1], "4 movimientos.")
        self.assertEqual([f.split()[3:6] for f in filas],
                         [["alta", "A1", "-"], ["alta", "B2", "-"],
                          ["stock", "A1", "5"], ["baja", "B2", "1"]])
        self.assertIn("venta", filas[2])
        self.assertIn("127.0.0.1", filas[2])
        r = cli("movimientos", "A1", "--desde", "1")
        self.assertTrue(r.out.startswith("Movimientos del producto A1 posteriores al n.º 1:"))
        self.assertTrue(r.out.endswith("\n1 movimiento.\n"))
        r = cli("--json", "movimientos", "B2")
        doc = r.json()
        self.assertEqual(doc["ultimo_seq"], 4)
        self.assertEqual([(m["seq"], m["tipo"], m["stock_antes"], m["stock_despues"])
                          for m in doc["movimientos"]], [(2, "ALTA", 0, 1), (4, "BAJA", 1, 0)])
        self.assertTrue(doc["movimientos"][0]["origen"].startswith("127.0.0.1"))

    def test_movimientos_de_muchas_paginas(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 0), rpc.OK)
        inicio = self.raw.movimientos(0, "", 1)[2]
        for i in range(420):
            self.assertEqual(self.raw.actualizar("A1", i + 1), rpc.OK)
        r = self.cli("--json", "movimientos", "--desde", str(inicio))
        seqs = [m["seq"] for m in r.json()["movimientos"]]
        self.assertEqual(seqs, list(range(inicio + 1, inicio + 421)))

    def test_estado(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 5), rpc.OK)
        r = self.cli("estado")
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Servidor de inventario en localhost (programa %d, protocolo versión %d)"
                      % (self.srv.program, cliente.version_alta(self.srv.program)), r.out)
        self.assertRegex(r.out, r"Versión del servidor: +1\.0\.0\n")
        self.assertRegex(r.out, r"Productos: +1\n")
        self.assertRegex(r.out, r"Hilos de trabajo: +4\n")
        self.assertRegex(r.out, r"Almacén: +responde correctamente\n")
        doc = self.cli("--json", "estado").json()
        self.assertEqual((doc["version"], doc["productos"], doc["hilos"], doc["almacen_ok"],
                          doc["protocolo"], doc["programa"]),
                         ("1.0.0", 1, 4, True, cliente.version_alta(self.srv.program),
                          self.srv.program))
        self.assertEqual(doc["ultimo_seq"], self.raw.movimientos(0, "", 1)[2])

    def test_programa_en_hexadecimal(self):
        self.assertEqual(self.raw.agregar("A1", "Radio", 5), rpc.OK)
        r = run(["--program", hex(self.srv.program), "obtener", "A1"])
        self.assertEqual(r.rc, OK, r)
        r = run(["--program", hex(self.srv.program).upper().replace("0X", "0x"),
                 "--host", "127.0.0.1", "obtener", "A1"])
        self.assertEqual(r.rc, OK, r)

    def test_alias_inventario_servicio(self):
        # Without --program the client asks /etc/rpc for the alias.  This
        # test cannot touch the machine's /etc/rpc (nor use the contract's
        # number, which a real server may hold), so it runs the client in a
        # mount namespace of its own where /etc/rpc maps the alias to this
        # test's server.
        self.assertEqual(self.raw.agregar("A1", "Radio", 5), rpc.OK)
        with tempfile.NamedTemporaryFile("w", suffix=".rpc") as f:
            f.write("portmapper\t100000\tportmap sunrpc rpcbind\n"
                    "inventario\t%d\tinventario.servicio\n" % self.srv.program)
            f.flush()
            ns = ["unshare", "--mount"] if os.geteuid() == 0 else \
                 ["unshare", "--user", "--map-root-user", "--mount"]
            p = subprocess.run(ns + ["sh", "-c", 'mount --bind "$0" /etc/rpc && exec "$@"',
                                     f.name, cliente.CLIENT, "--json", "obtener", "A1"],
                               capture_output=True, text=True, timeout=30, env=cliente.ENV)
        self.assertEqual(p.returncode, OK, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"id": "A1", "nombre": "Radio", "stock": 5})

    def test_ipv6(self):
        # The server listens on ::1 too (netid tcp6).
        self.assertEqual(self.raw.agregar("A1", "Radio", 5), rpc.OK)
        r = run(["--host", "::1", "--program", str(self.srv.program), "obtener", "A1"])
        self.assertEqual(r.rc, OK, r)
        self.assertIn("Radio", r.out)


if __name__ == "__main__":
    unittest.main()
