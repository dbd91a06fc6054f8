"""con_postgres.py - runs one of the suite's test files against PostgreSQL.

    con_postgres.py TEST_FILE [unittest arguments...]

Starts a throwaway PostgreSQL (pglib.py), points the harness at it with
INVENTARIO_TEST_DB_URI (every Server then gets a new database there instead
of a SQLite file), runs the file with the same Python, and removes the
PostgreSQL again, whatever the outcome.  The exit status is the test's.
"""
import os
import subprocess
import sys

import pglib


def main():
    if len(sys.argv) < 2:
        sys.exit("uso: con_postgres.py ARCHIVO_DE_PRUEBAS [ARGUMENTOS...]")
    with pglib.PostgreSQL() as pg:
        env = dict(os.environ,
                   INVENTARIO_TEST_DB_URI=pg.uri("postgres"),
                   INVENTARIO_PSQL=os.path.join(pg.bin, "psql"))
        rc = subprocess.call([sys.executable, "-u"] + sys.argv[1:], env=env)
        if rc != 0:
            sys.stderr.write("--- registro de PostgreSQL\n%s" % pg.log())
    sys.exit(rc)


if __name__ == "__main__":
    main()
