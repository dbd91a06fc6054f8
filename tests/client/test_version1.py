"""A server that only offers version 1: the client falls back to it, lists with
LISTAR_PRODUCTOS, and says that version 2's orders are not offered."""
import json
import unittest

import cliente
from cliente import run, OK, YA_EXISTE, NO_ENCONTRADO, NO_OFRECIDO


class Version1(unittest.TestCase):
    def setUp(self):
        self.v1 = cliente.ServidorV1().__enter__()
        self.addCleanup(self.v1.__exit__, None, None, None)
        self.v1.productos.update({"B2": ("Tele", 1), "A1": ("Cámara", 3)})

    def cli(self, *args):
        return run(args, program=self.v1.program, timeout=2)

    def test_ordenes_de_version_1(self):
        r = self.cli("listar")
        self.assertEqual(r.rc, OK, r)
        self.assertEqual(r.out, "Id  Nombre  Stock\n--  ------  -----\nA1  Cámara      3\n"
                                "B2  Tele        1\n2 productos.\n")
        self.assertEqual(self.cli("--json", "obtener", "A1").json(),
                         {"id": "A1", "nombre": "Cámara", "stock": 3})
        self.assertEqual(self.cli("obtener", "Z").rc, NO_ENCONTRADO)
        self.assertEqual(self.cli("agregar", "C3", "Radio", "2").rc, OK)
        self.assertEqual(self.cli("agregar", "C3", "Radio", "2").rc, YA_EXISTE)
        r = self.cli("exportar")
        self.assertEqual(r.rc, OK, r)
        self.assertEqual([p["id"] for p in json.loads(r.out)], ["A1", "B2", "C3"])
        # Each run tried the newest version (3) first, was refused, and went
        # on with 1; listings used version 1's LISTAR_PRODUCTOS, never
        # LISTAR_PAGINA.
        self.assertIn((3, 0), self.v1.procs)
        self.assertIn((1, 4), self.v1.procs)
        self.assertEqual([v for v, p in self.v1.procs if p != 0], [1] * 6)

    def test_ordenes_de_version_2_no_se_ofrecen(self):
        for args in (["ajustar", "A1", "-1"], ["movimientos"], ["estado"],
                     ["vigilar", "A1"]):
            with self.subTest(args=args):
                r = self.cli(*args)
                self.assertEqual(r.rc, NO_OFRECIDO, r)
                self.assertEqual(r.err, "inventario-client: El servidor en localhost solo "
                                 "ofrece la versión 1 del protocolo; esta operación "
                                 "necesita la versión 2.\n")
        r = self.cli("--json", "estado")
        self.assertEqual(r.json_err()["error"]["codigo"], "NO_OFRECIDO")
        # Nothing of version 2 beyond the refused NULL calls reached it.
        self.assertEqual({p for v, p in self.v1.procs}, {0})
        self.assertEqual(self.v1.productos["A1"], ("Cámara", 3))


if __name__ == "__main__":
    unittest.main()
