"""No trust in the server: the client against fake servers that trickle,
answer with the wrong xid, paginate for ever, or announce 178 956 970
products.  Each case ends with a clear error, in bounded time and memory,
where libtirpc's clnt_vc and rpcgen's unbounded arrays would hang or take
gigabytes.  The bounds asserted are far from what a working client takes
(a deadline of 2 s against a trickle of more than a minute; 64 MiB against
4 GiB), so a loaded machine cannot make them fail."""
import time
import unittest

import cliente
import harness
import hostiles
from cliente import run, TIEMPO_AGOTADO

PROTOCOLO = 11          # `inventario-client --help`: an answer outside the contract
MIB = 1024              # ru_maxrss is in KiB


class Hostil(unittest.TestCase):
    def servidor(self, srv):
        srv.__enter__()
        self.addCleanup(srv.__exit__, None, None, None)
        return srv

    def test_respuesta_gota_a_gota(self):
        srv = self.servidor(hostiles.Goteo())
        t0 = time.monotonic()
        r = run(["obtener", "A1"], program=srv.program, timeout=2, limit=50)
        self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
        self.assertIn("no respondió en 2 s", r.err)
        # The whole reply would take over a minute at 1.5 s a byte.
        self.assertLess(time.monotonic() - t0, 30, r)

    def test_respuestas_con_otro_xid(self):
        srv = self.servidor(hostiles.XidAjeno())
        t0 = time.monotonic()
        r = run(["obtener", "A1"], program=srv.program, timeout=2, limit=50)
        self.assertEqual(r.rc, TIEMPO_AGOTADO, r)
        self.assertLess(time.monotonic() - t0, 30, r)

    def test_paginacion_que_no_avanza(self):
        srv = self.servidor(hostiles.PaginaSinFin())
        r = run(["listar"], program=srv.program, timeout=2)
        self.assertEqual(r.rc, PROTOCOLO, r)
        self.assertIn("su página no avanza", r.err)
        # It stopped at the second page, not after thousands.
        self.assertLessEqual(srv.procs.count((2, hostiles.LISTAR_PAGINA)), 2, srv.procs)

    def cuenta_enorme(self, modo):
        srv = self.servidor(hostiles.CuentaEnorme(modo))
        rc, out, err, rss = hostiles.rss_maximo_kib(
            cliente.command(["listar"], program=srv.program, timeout=10), cliente.ENV)
        self.assertEqual(rc, PROTOCOLO, (out, err))
        self.assertLess(rss, 64 * MIB, "RSS máximo %d KiB" % rss)
        return err

    def test_cuenta_enorme_en_fragmentos(self):
        err = self.cuenta_enorme("fragmentos")
        self.assertIn("más de 16 MiB", err)

    def test_cuenta_enorme_con_marca_de_2_gib(self):
        err = self.cuenta_enorme("marca")
        self.assertIn("más de 16 MiB", err)

    def test_cuenta_enorme_en_un_registro_corto(self):
        err = self.cuenta_enorme("corta")
        self.assertIn("una lista más larga de lo pedido", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
