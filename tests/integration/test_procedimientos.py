"""Every procedure of both versions, every status, against a real server."""
import subprocess
import unittest

import harness
import rpc
from rpc import OK, YA_EXISTE, NO_ENCONTRADO, INVALIDO, STOCK_INSUFICIENTE

# Ids that break each rule of the contract, as raw bytes.
BAD_IDS = [
    b"",                      # empty
    b"x" * 65,                # one byte too long (the XDR bound is 64: see below)
    b"a\x00b",                # embedded NUL
    b"a\tb", b"a\nb", b"\x7f", b"a\xc2\x85",   # C0, DEL, C1 (U+0085)
    b"\xc0\xaf",              # overlong
    b"\xed\xa0\x80",          # surrogate
    b"\xf4\x90\x80\x80",      # past U+10FFFF
    b"a\xc3",                 # cut short
    b" a", b"a ",             # leading / trailing space
]


class Procedimientos(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(threads=4).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.__exit__(None, None, None)

    def setUp(self):
        self.c1 = self.srv.client(1)
        self.c2 = self.srv.client(2)
        # Each test starts from an empty inventory.
        for pid, _, _ in self.c2.listar()[1]:
            self.assertEqual(self.c2.eliminar(pid), OK)

    def tearDown(self):
        self.c1.close()
        self.c2.close()

    def log_len(self):
        return self.c2.movimientos(0, "", 1)[2]

    def assert_unchanged(self, before_list, before_seq):
        self.assertEqual(self.c2.listar()[1], before_list)
        self.assertEqual(self.log_len(), before_seq)

    # -- version 1 ---------------------------------------------------------
    def test_null_both_versions(self):
        self.assertEqual(self.c1.null(), b"")
        self.assertEqual(self.c2.null(), b"")

    def test_agregar_obtener(self):
        self.assertEqual(self.c1.agregar("TV-55", "Televisor 55\"", 7), OK)
        self.assertEqual(self.c1.obtener("TV-55"), (OK, ("TV-55", "Televisor 55\"", 7)))
        self.assertEqual(self.c1.agregar("TV-55", "Otro", 1), YA_EXISTE)
        self.assertEqual(self.c1.obtener("TV-55")[1][1], "Televisor 55\"")
        self.assertEqual(self.c1.obtener("nada"), (NO_ENCONTRADO, None))
        self.assertEqual(self.c1.agregar("máx", "n" * 256, 2147483647), OK)
        self.assertEqual(self.c1.obtener("máx")[1], ("máx", "n" * 256, 2147483647))
        self.assertEqual(self.c1.agregar("cero", "Sin stock", 0), OK)

    def test_actualizar(self):
        self.assertEqual(self.c1.agregar("p", "Producto", 3), OK)
        self.assertEqual(self.c1.actualizar("p", 10), OK)
        self.assertEqual(self.c1.obtener("p")[1][2], 10)
        self.assertEqual(self.c1.actualizar("p", 0), OK)
        self.assertEqual(self.c1.actualizar("nada", 1), NO_ENCONTRADO)
        self.assertEqual(self.c1.actualizar("p", -1), INVALIDO)
        self.assertEqual(self.c1.actualizar("p", -2147483648), INVALIDO)
        self.assertEqual(self.c1.obtener("p")[1][2], 0)

    def test_eliminar(self):
        self.assertEqual(self.c1.agregar("p", "Producto", 3), OK)
        self.assertEqual(self.c1.eliminar("p"), OK)
        self.assertEqual(self.c1.eliminar("p"), NO_ENCONTRADO)
        self.assertEqual(self.c1.obtener("p")[0], NO_ENCONTRADO)
        self.assertEqual(self.c1.agregar("p", "Otra vez", 1), OK)   # id reusable

    def test_listar_bytewise_order(self):
        ids = ["b", "a", "á", "B", "a0", "Z9", "~"]
        for i, pid in enumerate(ids):
            self.assertEqual(self.c1.agregar(pid, "n" + pid, i), OK)
        e, prods = self.c1.listar()
        self.assertEqual(e, OK)
        self.assertEqual([p[0] for p in prods],
                         sorted(ids, key=lambda s: s.encode("utf-8")))
        self.assertEqual(dict((p[0], p[2]) for p in prods),
                         dict((pid, i) for i, pid in enumerate(ids)))

    def test_listar_empty(self):
        self.assertEqual(self.c1.listar(), (OK, []))

    def test_invalid_input_answers_invalido_and_changes_nothing(self):
        self.assertEqual(self.c1.agregar("ok", "Bueno", 1), OK)
        before, seq = self.c2.listar()[1], self.log_len()
        for bad in BAD_IDS:
            if len(bad) > 64:
                continue                      # rejected while decoding: see below
            with self.subTest(id=bad):
                self.assertEqual(self.c1.agregar(bad, "Nombre", 1), INVALIDO)
                self.assertEqual(self.c1.obtener(bad), (INVALIDO, None))
                self.assertEqual(self.c1.actualizar(bad, 1), INVALIDO)
                self.assertEqual(self.c1.eliminar(bad), INVALIDO)
                self.assertEqual(self.c2.ajustar(bad, 1)[0], INVALIDO)
        for bad in [b"", b"a\x00b", " Cámara", "Cámara ", b"x\x1b[31m", b"\xff"]:
            with self.subTest(nombre=bad):
                self.assertEqual(self.c1.agregar("nuevo", bad, 1), INVALIDO)
        self.assertEqual(self.c1.agregar("nuevo", "Bueno", -1), INVALIDO)
        self.assert_unchanged(before, seq)

    def test_malformed_id_is_invalido_not_no_encontrado(self):
        # None of these exist; the rules are checked first.
        self.assertEqual(self.c1.obtener(b"no existe "), (INVALIDO, None))
        self.assertEqual(self.c1.eliminar(b"\x00"), INVALIDO)

    def test_string_past_its_bound_is_garbage_args_and_connection_survives(self):
        for args in (rpc.Packer().string(b"x" * 65).bytes(),
                     rpc.Packer().string(b"x" * 64).string(b"n" * 257).int(1).bytes()):
            proc = 2 if len(args) < 80 else 1
            with self.assertRaises(rpc.RpcError) as cm:
                self.c1.call(proc, args)
            self.assertEqual(cm.exception.stat, rpc.GARBAGE_ARGS)
        # A huge declared length with no data behind it: refused, no 2 GiB.
        with self.assertRaises(rpc.RpcError) as cm:
            self.c1.call(2, rpc.Packer().uint(0x7FFFFFF0).bytes())
        self.assertEqual(cm.exception.stat, rpc.GARBAGE_ARGS)
        self.assertEqual(self.c1.agregar("sigue", "Conexión viva", 1), OK)
        with self.assertRaises(rpc.RpcError) as cm:    # truncated arguments
            self.c1.call(3, rpc.Packer().string("sigue").bytes())
        self.assertEqual(cm.exception.stat, rpc.GARBAGE_ARGS)
        self.assertEqual(self.c1.obtener("sigue")[1][2], 1)

    def test_unknown_procedures_and_versions(self):
        for proc in (6, 7, 8, 9, 10, 1000):
            with self.subTest(proc=proc), self.assertRaises(rpc.RpcError) as cm:
                self.c1.call(proc)
            self.assertEqual(cm.exception.stat, rpc.PROC_UNAVAIL)
        with self.assertRaises(rpc.RpcError) as cm:
            self.c2.call(10)
        self.assertEqual(cm.exception.stat, rpc.PROC_UNAVAIL)
        with self.assertRaises(rpc.RpcError) as cm:
            self.c1.call(11, vers=3)
        self.assertEqual(cm.exception.stat, rpc.PROC_UNAVAIL)
        for vers in (4, 100):
            with self.assertRaises(rpc.RpcError) as cm:
                self.c1.call(0, vers=vers)
            self.assertEqual((cm.exception.stat, cm.exception.detail),
                             (rpc.PROG_MISMATCH, (1, 3)))
        self.assertEqual(self.c1.null(), b"")

    # -- version 2 ---------------------------------------------------------
    def test_v2_has_every_v1_procedure(self):
        self.assertEqual(self.c2.agregar("p", "Producto", 3), OK)
        self.assertEqual(self.c2.obtener("p"), (OK, ("p", "Producto", 3)))
        self.assertEqual(self.c2.actualizar("p", 4), OK)
        self.assertEqual(self.c2.listar(), (OK, [("p", "Producto", 4)]))
        self.assertEqual(self.c2.eliminar("p"), OK)

    def test_ajustar(self):
        self.assertEqual(self.c2.agregar("p", "Producto", 5), OK)
        self.assertEqual(self.c2.ajustar("p", -2, "venta"), (OK, ("p", "Producto", 3)))
        self.assertEqual(self.c2.ajustar("p", 10, "devolución"), (OK, ("p", "Producto", 13)))
        self.assertEqual(self.c2.ajustar("p", -14), (STOCK_INSUFICIENTE, None))
        self.assertEqual(self.c2.ajustar("p", -13), (OK, ("p", "Producto", 0)))
        self.assertEqual(self.c2.ajustar("p", 2147483647), (OK, ("p", "Producto", 2147483647)))
        self.assertEqual(self.c2.ajustar("p", 1), (INVALIDO, None))        # overflow
        self.assertEqual(self.c2.ajustar("nada", 1), (NO_ENCONTRADO, None))
        self.assertEqual(self.c2.ajustar("p", 0, "recuento")[0], OK)
        self.assertEqual(self.c2.ajustar("p", 1, "a\nb"), (INVALIDO, None))
        self.assertEqual(self.c2.ajustar("p", 1, "", "k\x01"), (INVALIDO, None))
        with self.assertRaises(rpc.RpcError) as cm:                         # 65-byte motivo
            self.c2.ajustar("p", 1, "m" * 65)
        self.assertEqual(cm.exception.stat, rpc.GARBAGE_ARGS)
        self.assertEqual(self.c2.obtener("p")[1][2], 2147483647)

    def test_ajustar_idempotency_key(self):
        self.assertEqual(self.c2.agregar("p", "Producto", 100), OK)
        first = self.c2.ajustar("p", -7, "venta", "clave-1")
        self.assertEqual(first, (OK, ("p", "Producto", 93)))
        self.assertEqual(self.c2.ajustar("p", -1, "venta"), (OK, ("p", "Producto", 92)))
        seq = self.log_len()
        # A retry, on another connection too, answers the first answer.
        with self.srv.client(2) as other:
            self.assertEqual(other.ajustar("p", -7, "otro motivo", "clave-1"), first)
        self.assertEqual(self.c2.obtener("p")[1][2], 92)
        self.assertEqual(self.log_len(), seq)
        self.assertEqual(self.c2.ajustar("p", -8, "venta", "clave-1"), (INVALIDO, None))
        self.assertEqual(self.c2.agregar("q", "Otro", 100), OK)
        self.assertEqual(self.c2.ajustar("q", -7, "venta", "clave-1"), (INVALIDO, None))
        self.assertEqual(self.c2.obtener("q")[1][2], 100)
        # A key is remembered only when its call answered OK.
        self.assertEqual(self.c2.ajustar("p", -1000, "", "clave-2")[0], STOCK_INSUFICIENTE)
        self.assertEqual(self.c2.ajustar("p", -2, "", "clave-2"), (OK, ("p", "Producto", 90)))

    def test_movimientos(self):
        base = self.log_len()
        self.assertEqual(self.c1.agregar("p", "Producto", 5), OK)            # v1 writes log too
        self.assertEqual(self.c1.actualizar("p", 5), OK)                     # unchanged: logged
        self.assertEqual(self.c2.ajustar("p", -2, "venta")[0], OK)
        self.assertEqual(self.c2.agregar("q", "Otro", 1), OK)
        self.assertEqual(self.c1.eliminar("p"), OK)
        self.assertEqual(self.c1.agregar("p", "Producto", 5), OK)       # again after BAJA
        e, movs, ultimo = self.c2.movimientos(base)
        self.assertEqual(e, OK)
        self.assertEqual(ultimo, base + 6)
        self.assertEqual([m["seq"] for m in movs], list(range(base + 1, base + 7)))
        self.assertEqual([(m["tipo"], m["id"], m["stock_antes"], m["stock_despues"], m["motivo"])
                          for m in movs],
                         [(rpc.ALTA, "p", 0, 5, ""), (rpc.STOCK, "p", 5, 5, ""),
                          (rpc.STOCK, "p", 5, 3, "venta"), (rpc.ALTA, "q", 0, 1, ""),
                          (rpc.BAJA, "p", 3, 0, ""), (rpc.ALTA, "p", 0, 5, "")])
        for m in movs:
            self.assertTrue(m["origen"].startswith("127.0.0.1"), m["origen"])
            self.assertGreater(m["cuando_ms"], 1_700_000_000_000)
        self.assertEqual([m["seq"] for m in self.c2.movimientos(base, "q")[1]], [base + 4])
        e, movs, ultimo = self.c2.movimientos(base + 1, "", 2)
        self.assertEqual(([m["seq"] for m in movs], ultimo), ([base + 2, base + 3], base + 6))
        self.assertEqual(self.c2.movimientos(base + 6), (OK, [], base + 6))
        self.assertEqual(self.c2.movimientos(2**64 - 1), (OK, [], base + 6))
        self.assertEqual(self.c2.movimientos(0, " p")[0], INVALIDO)
        self.assertEqual(self.c2.movimientos(0, "no-existe"), (OK, [], base + 6))

    def test_movimientos_origen_has_auth_sys_identity(self):
        port = rpc.getport(self.srv.program, 2)
        with rpc.Client("127.0.0.1", port, self.srv.program, 2,
                        cred=rpc.auth_sys("caja-3", uid=1234)) as c:
            self.assertEqual(c.agregar("p", "Producto", 1), OK)
            m = c.movimientos(0, "p")[1][-1]
        self.assertTrue(m["origen"].startswith("127.0.0.1 "), m["origen"])
        self.assertIn("caja-3", m["origen"])
        self.assertIn("1234", m["origen"])
        with rpc.Client("127.0.0.1", port, self.srv.program, 2,
                        cred=rpc.auth_sys("x" * 255, uid=1)) as c:
            self.assertEqual(c.actualizar("p", 2), OK)
            self.assertLessEqual(len(c.movimientos(0, "p")[1][-1]["origen"].encode()), 128)

    def test_movimientos_page_cap(self):
        for i in range(120):
            self.assertEqual(self.c2.agregar("m%03d" % i, "n", i), OK)
        base = self.log_len() - 120
        self.assertEqual(len(self.c2.movimientos(base, "", 100)[1]), 100)
        self.assertGreaterEqual(len(self.c2.movimientos(base, "", 0)[1]), 100)
        self.assertEqual(len(self.c2.movimientos(base, "", 0xFFFFFFFF)[1]), 120)

    def test_listar_pagina(self):
        ids = ["p%03d" % i for i in range(250)]
        for pid in reversed(ids):
            self.assertEqual(self.c2.agregar(pid, "n", 1), OK)
        seen, desde = [], ""
        while True:
            e, prods, hay_mas = self.c2.pagina(desde, 100)
            self.assertEqual(e, OK)
            self.assertLessEqual(len(prods), 100)
            seen += [p[0] for p in prods]
            if not hay_mas:
                break
            self.assertEqual(len(prods), 100)    # exactly min(max, available)
            desde = prods[-1][0]
        self.assertEqual(seen, ids)
        self.assertEqual(self.c2.pagina("p249", 10), (OK, [], False))
        self.assertEqual(self.c2.pagina("p247", 2)[1:], ([("p248", "n", 1), ("p249", "n", 1)], False))
        self.assertEqual(self.c2.pagina("p246", 2)[2], True)
        self.assertGreaterEqual(len(self.c2.pagina("", 0)[1]), 100)
        self.assertEqual(len(self.c2.pagina("", 0xFFFFFFFF)[1]), 250)
        self.assertEqual(self.c2.pagina("zzz-no-existe", 5), (OK, [], False))
        self.assertEqual(self.c2.pagina(b"a\x00", 5)[0], INVALIDO)

    def test_estado(self):
        self.assertEqual(self.c2.agregar("p", "Producto", 1), OK)
        a = self.c2.estado()
        b = self.c2.estado()
        self.assertEqual(a["version"], "1.0.0")
        self.assertTrue(a["almacen_ok"])
        self.assertEqual(a["productos"], 1)
        self.assertEqual(a["ultimo_seq"], self.log_len())
        self.assertEqual(a["hilos"], 4)
        self.assertGreaterEqual(a["conexiones"], 2)        # c1 and c2 at least
        self.assertEqual(b["llamadas"], a["llamadas"] + 1)  # before this one
        self.assertGreater(a["arranque_ms"], 1_700_000_000_000)


class Descubrimiento(unittest.TestCase):
    def test_alias_in_etc_rpc(self):
        out = subprocess.run(["getent", "rpc", "inventario.servicio"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, "scripts/setup.sh adds the /etc/rpc line")
        self.assertEqual(out.stdout.split()[:2], ["inventario", "541675094"])

    def test_rpcbind_lists_tcp_and_tcp6_and_rpcinfo_pings(self):
        with harness.Server(threads=2) as srv:
            regs = rpc.registrations(srv.program)
            self.assertTrue({(1, "tcp"), (2, "tcp"), (3, "tcp")} <= regs, regs)
            if any(n == "tcp6" for _, n in regs):
                self.assertTrue({(1, "tcp6"), (2, "tcp6"), (3, "tcp6")} <= regs, regs)
            for v in ("1", "2", "3"):
                out = subprocess.run(["rpcinfo", "-t", "127.0.0.1", str(srv.program), v],
                                     capture_output=True, text=True)
                self.assertIn("ready and waiting", out.stdout)
            self.assertFalse(any(n.startswith("udp") for _, n in regs))


if __name__ == "__main__":
    unittest.main(verbosity=2)
