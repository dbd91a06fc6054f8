"""romper.py - break an invariant behind inventario-stress's back, for the tests.

Run by the stress tool's test hook (INVENTARIO_STRESS_ANTES_DE_VERIFICAR),
after its load has stopped and before it reads the final state, or by a test
while a run is going on.  The run's id prefix arrives in STRESS_PREFIJO.
Each subcommand does one thing the server's contract (or the tool) does not
expect, so that the verification must notice it:

  stock DB ID DELTA        changes a stock in the SQLite file directly, with
                           no movement (as a hand edit or a bug would)
  hueco DB                 deletes one movement from the log
  extra PROGRAM ID         adds a product nobody in the run added (RPC)
  borrar-uno PROGRAM       deletes the first product with the prefix (RPC)
  valor-ajeno PROGRAM      sets the first product with the prefix to a stock
                           no call of the run wrote, or adds one (RPC)
  ajustar PROGRAM ID DELTA AJUSTAR_STOCK from outside the run (RPC)
"""
import os
import sqlite3
import sys

import rpc

AJENO = 2000000001      # no churn client writes this: clients are < 1000


def cliente(program, version):
    return rpc.Client("127.0.0.1", rpc.getport(program, version), program, version)


def con_prefijo(c, prefijo):
    e, prods, _ = c.pagina(prefijo, 1000)
    assert e == rpc.OK, e
    return [p for p in prods if p[0].startswith(prefijo)]


def main(argv):
    prefijo = os.environ.get("STRESS_PREFIJO", "")
    cmd = argv[1]
    if cmd == "stock":
        db, ident, delta = argv[2], argv[3].replace("{P}", prefijo), int(argv[4])
        with sqlite3.connect(db, timeout=10) as con:
            n = con.execute("UPDATE productos SET stock = stock + ? WHERE id = ?",
                            (delta, ident)).rowcount
        assert n == 1, "no such product %r" % ident
    elif cmd == "hueco":
        with sqlite3.connect(argv[2], timeout=10) as con:
            con.execute("DELETE FROM movimientos WHERE seq = "
                        "(SELECT max(seq) / 2 FROM movimientos)")
    elif cmd == "extra":
        with cliente(int(argv[2], 0), 1) as c:
            assert c.agregar(argv[3].replace("{P}", prefijo), "intruso", 1) == rpc.OK
    elif cmd == "borrar-uno":
        with cliente(int(argv[2], 0), 2) as c:
            prods = con_prefijo(c, prefijo)
            assert prods, "nothing to delete under %r" % prefijo
            assert c.eliminar(prods[0][0]) == rpc.OK
    elif cmd == "valor-ajeno":
        with cliente(int(argv[2], 0), 2) as c:
            prods = con_prefijo(c, prefijo)
            if prods:
                assert c.actualizar(prods[0][0], AJENO) == rpc.OK
            else:
                assert c.agregar(prefijo + "00000", "intruso", AJENO) == rpc.OK
    elif cmd == "ajustar":
        with cliente(int(argv[2], 0), 2) as c:
            e, _ = c.ajustar(argv[3], int(argv[4]), "intruso", "")
            assert e == rpc.OK, e
    else:
        sys.exit("romper.py: unknown subcommand %r" % cmd)


if __name__ == "__main__":
    main(sys.argv)
