#!/usr/bin/env python3
"""benchmark.py - the whole benchmark table of inventario, in one run.

Run it through scripts/benchmark.sh (which prepares and builds first).

What it measures, with inventario-stress --bench against servers of its own
(transient program numbers, stores in a temporary folder, all stopped and
deleted at the end):

  - NULL, OBTENER, durable AJUSTAR and ACTUALIZAR, the 80/20 OBTENER/AJUSTAR
    mix (with OBTENER's p99) and LISTAR_PAGINA, at 1 and 16 clients;
  - on a store of 1000 products and, with --millon, of 1 000 000 (built
    straight into SQLite; how long that takes is reported);
  - OBTENER at 16 clients while another process holds
    `BEGIN EXCLUSIVE` on the 1000-product store;
  - Redis as the reference where it is installed: redis-benchmark
    PING_MBULK and INCR at 1 and 16 clients on a private redis-server
    (loopback port, temporary folder, appendonly with appendfsync always).

Every figure is the median of interleaved rounds: each round measures every
store and Redis once, in turn, so that a slow minute of a shared machine
falls on all of them alike.  Ratios (to NULL, to the 1000-product rate, to
Redis) are taken within each round, and the median of those is reported.

TLS: where certtool is installed, the 1000-product server also offers
RPC-with-TLS (--tls optional, certificates from scripts/certificados.sh in
the temporary folder), and filas_tls() measures NULL and OBTENER over TLS
on that same server in every round, reported as ratios to the same calls
in clear text within the round; new connections per second (probe,
handshake and one NULL inside TLS, from Python's ssl) apart.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import ssl
import struct
import threading
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     os.pardir))
ESCENARIOS = ["null", "obtener", "ajustar", "actualizar", "mixto", "pagina"]
NOMBRES = {"null": "NULL", "obtener": "OBTENER", "ajustar": "AJUSTAR (durable)",
           "actualizar": "ACTUALIZAR (durable)", "mixto": "80/20 OBTENER/AJUSTAR",
           "pagina": "LISTAR_PAGINA (100)"}
PREFIJO = "p-"
STOCK = 1000000


def aviso(*a):
    print("benchmark:", *a, file=sys.stderr, flush=True)


class Fallo(Exception):
    pass


# -- servers ---------------------------------------------------------------------

class Servidor:
    """An inventario-server on its own store, under a transient program."""

    def __init__(self, binario, dir, nombre, prog, extra=()):
        self.binario, self.dir, self.prog = binario, dir, prog
        self.extra = list(extra)        # more options (TLS)
        os.makedirs(dir, exist_ok=True)
        self.db = os.path.join(dir, nombre + ".db")
        self.log = os.path.join(dir, nombre + ".log")
        self.proc = None

    def arrancar(self):
        for intento in range(8):
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.binario, "--db", self.db, "--program", str(self.prog)]
                    + self.extra,
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True)
            fin = time.monotonic() + 120
            while time.monotonic() < fin:
                if self.proc.poll() is not None:
                    break
                if subprocess.run(["rpcinfo", "-t", "127.0.0.1", str(self.prog), "1"],
                                  capture_output=True).returncode == 0:
                    return
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.parar()
                raise Fallo("el servidor de %s no respondió en 120 s" % self.db)
            # Exit 1 at start-up: most likely the program is taken; the next.
            self.proc = None
            self.prog += 1
        raise Fallo("el servidor de %s no arrancó: %s" % (self.db, cola(self.log)))

    def puerto(self):
        """The server's TCP port, as rpcbind has it."""
        out = subprocess.run(["rpcinfo", "-p", "127.0.0.1"], capture_output=True,
                             text=True, timeout=30).stdout
        for linea in out.splitlines():
            f = linea.split()
            if len(f) >= 4 and f[0] == str(self.prog) and f[2] == "tcp":
                return int(f[3])
        raise Fallo("rpcbind no conoce el programa %d" % self.prog)

    def parar(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def cola(path, n=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return "(sin registro)"


def almacen(srv, productos):
    """Creates the store: the server makes its schema, then the products go
    straight into SQLite in one transaction (ids as inventario-stress names
    them: p-0000000 ...).  Returns the seconds it took."""
    t0 = time.monotonic()
    srv.arrancar()
    srv.parar()
    con = sqlite3.connect(srv.db, isolation_level=None)
    try:
        con.execute("BEGIN")
        con.execute(
            "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n "
            "WHERE k < ?) INSERT INTO productos(id, nombre, stock) "
            "SELECT printf('%s%%07d', k), 'producto de carga', ? FROM n"
            % PREFIJO, (productos - 1, STOCK))
        con.execute("COMMIT")
    finally:
        con.close()
    srv.arrancar()
    return time.monotonic() - t0


# -- measuring -------------------------------------------------------------------

def bench(a, srv, productos, escenarios, clientes, extra=()):
    """One inventario-stress --bench run: {(escenario, clientes): row}."""
    cmd = [a.stress, "--program", str(srv.prog), "--host", "127.0.0.1", "--bench",
           "--bench-ops", ",".join(escenarios),
           "--bench-clients", ",".join(str(c) for c in clientes),
           "--bench-seconds", str(a.segundos), "--products", str(productos),
           "--prefix", PREFIJO, "--no-preload", "--conservar", "--json",
           "--db-dir", srv.dir] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=600)
    if p.returncode != 0:
        raise Fallo("inventario-stress salió con %d: %s" % (p.returncode,
                                                           p.stderr.strip()[-800:]))
    d = json.loads(p.stdout)
    filas = {(f["escenario"], f["clientes"]): f for f in d["bench"]["filas"]}
    for f in filas.values():
        if f["errores"]:
            raise Fallo("%s con %d clientes: %d llamadas fallidas"
                        % (f["escenario"], f["clientes"], f["errores"]))
    return filas, d["bench"]


class Bloqueo:
    """Another process's write lock on the store, as `sqlite3 DB 'BEGIN
    EXCLUSIVE;'` held open would take it (a backup tool, an operator)."""

    def __init__(self, db):
        self.proc = subprocess.Popen(["sqlite3", db], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write("BEGIN EXCLUSIVE;\nSELECT 'bloqueado';\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "bloqueado":
            self.soltar()
            raise Fallo("sqlite3 no pudo tomar BEGIN EXCLUSIVE en %s" % db)

    def soltar(self):
        try:
            self.proc.stdin.write("ROLLBACK;\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(30)


class Redis:
    """A private redis-server: loopback, a free port, a temporary folder,
    every write appended and synced before it is answered."""

    def __init__(self, dir):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", dir, "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--daemonize", "no", "--logfile",
             os.path.join(dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL, start_new_session=True)
        fin = time.monotonic() + 30
        while time.monotonic() < fin:
            if self.proc.poll() is not None:
                raise Fallo("redis-server no arrancó: %s"
                            % cola(os.path.join(dir, "redis.log")))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise Fallo("redis-server no respondió en 30 s")

    def medir(self, prueba, clientes, n):
        """Requests per second of redis-benchmark -t prueba -c clientes."""
        p = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(self.port),
                            "-t", prueba, "-c", str(clientes), "-n", str(n), "--csv"],
                           capture_output=True, text=True, timeout=600)
        for linea in p.stdout.splitlines():
            campos = [c.strip('"') for c in linea.split(",")]
            if len(campos) > 1 and campos[0].upper().startswith(prueba.upper()[:4]):
                return float(campos[1])
        raise Fallo("redis-benchmark -t %s: %s" % (prueba, (p.stdout + p.stderr)[-300:]))

    def parar(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Pki:
    """A CA, the server's certificate (localhost, 127.0.0.1) and a branch's,
    made by scripts/certificados.sh in dir; None where certtool is missing."""

    def __init__(self, dir):
        script = os.path.join(ROOT, "scripts", "certificados.sh")
        for args in ([dir], [dir, "sucursal", "banco"]):
            subprocess.run([script] + args, check=True, stdout=subprocess.DEVNULL,
                           timeout=120)
        self.dir = dir
        self.ca = os.path.join(dir, "ca.pem")
        self.cert = os.path.join(dir, "sucursales", "banco.pem")
        self.key = os.path.join(dir, "sucursales", "banco-key.pem")

    def servidor(self):
        """The server's options: TLS offered, clear text still served."""
        return ["--tls", "optional", "--tls-cert", os.path.join(self.dir, "servidor.pem"),
                "--tls-key", os.path.join(self.dir, "servidor-key.pem"), "--tls-ca", self.ca]

    def cliente(self):
        return ["--tls", "--tls-cert", self.cert, "--tls-key", self.key, "--tls-ca", self.ca]

    @staticmethod
    def posible():
        return shutil.which("certtool") is not None


def conexiones_tls(srv, pki, segundos, hilos=4):
    """New RPC-with-TLS connections per second: each one the AUTH_TLS probe,
    the TLS 1.3 handshake with a client certificate, and one NULL call
    inside TLS (TLS 1.3 tells of a refused certificate only then), from
    Python's ssl in a few threads."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(pki.ca)
    ctx.load_cert_chain(pki.cert, pki.key)
    ctx.set_alpn_protocols(["sunrpc"])
    port = srv.puerto()
    fin = time.monotonic() + segundos
    cuenta, fallos = [0] * hilos, []

    def registro(xid, cred):
        body = struct.pack(">10I", xid, 0, 2, srv.prog, 1, 0, cred, 0, 0, 0)
        return struct.pack(">I", 0x80000000 | len(body)) + body

    def leer(s, n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise ConnectionError("cerrada")
            b += c
        return b

    def respuesta(s):
        (m,) = struct.unpack(">I", leer(s, 4))
        return leer(s, m & 0x7FFFFFFF)

    def uno(i):
        try:
            while time.monotonic() < fin:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    # As the project's client: no Nagle wait after Finished.
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    s.sendall(registro(1, 7))
                    if b"STARTTLS" not in respuesta(s):
                        raise Fallo("el servidor no respondió STARTTLS")
                    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                        t.sendall(registro(2, 0))
                        respuesta(t)
                cuenta[i] += 1
        except (OSError, ssl.SSLError, Fallo) as e:
            fallos.append(repr(e))

    t0 = time.monotonic()
    hs = [threading.Thread(target=uno, args=(i,)) for i in range(hilos)]
    for h in hs:
        h.start()
    for h in hs:
        h.join()
    if fallos:
        raise Fallo("conexiones TLS: %s" % fallos[0])
    return sum(cuenta) / (time.monotonic() - t0)


def filas_tls(a, srv, ronda):
    """NULL and OBTENER over TLS against srv (the 1000-product server, which
    offers TLS when a Pki was made), as {(escenario + "_tls", clientes):
    row}, and new TLS connections per second as ("conexiones_tls", 4).
    Empty without TLS."""
    if getattr(srv, "pki", None) is None:
        return {}
    filas, _ = bench(a, srv, a.productos, ["null", "obtener"], a.clientes,
                     srv.pki.cliente())
    out = {(esc + "_tls", c): f for (esc, c), f in filas.items()}
    out[("conexiones_tls", 4)] = {"ops_s": conexiones_tls(srv, srv.pki, a.segundos)}
    return out


# -- the run ---------------------------------------------------------------------

def programas():
    """Transient program numbers for this run (0x5E000000 and up, from our
    PID: the tests take 0x40000000, inventario-stress 0x50000000, the demo
    0x5F000000)."""
    base = 0x5E000000 + (os.getpid() % 0x40000) * 16
    return iter(range(base, base + 16 * 8, 16))


def ejecutar(a, tmp):
    res = {"rondas": [], "maquina": maquina(), "config": vars(a).copy(), "dir": tmp,
           "fs": subprocess.run(["stat", "-f", "-c", "%T", tmp], capture_output=True,
                                text=True).stdout.strip() or "?"}
    progs = programas()
    tiendas = [("mil", a.productos)]
    if a.millon:
        tiendas.append(("grande", a.productos_grande))
    srv, redis = {}, None
    try:
        for nombre, n in tiendas:
            pki = None
            if nombre == "mil" and Pki.posible():
                pki = Pki(os.path.join(tmp, "pki"))
            srv[nombre] = Servidor(a.server, os.path.join(tmp, nombre), nombre,
                                   next(progs), pki.servidor() if pki else ())
            srv[nombre].pki = pki
            aviso("creando el almacén de %d productos..." % n)
            res["construir_s_" + nombre] = almacen(srv[nombre], n)
            aviso("  %.1f s" % res["construir_s_" + nombre])
        if a.redis and shutil.which("redis-server") and shutil.which("redis-benchmark"):
            redis = Redis(os.path.join(tmp, "redis"))
        res["redis"] = redis is not None
        res["programas"] = [s.prog for s in srv.values()]
        for r in range(a.rondas):
            aviso("ronda %d de %d" % (r + 1, a.rondas))
            ronda = {}
            # Every other round in the other order: neither store always
            # goes first (a warm cache, a quieter minute).
            for nombre, n in tiendas if r % 2 == 0 else tiendas[::-1]:
                filas, b = bench(a, srv[nombre], n, ESCENARIOS, a.clientes)
                ronda[nombre] = {"%s@%d" % k: v for k, v in filas.items()}
                ronda["disco_" + nombre] = b["disco"]["medidas"]
            # OBTENER while another process holds the write lock.
            bloqueo = Bloqueo(srv["mil"].db)
            try:
                filas, _ = bench(a, srv["mil"], a.productos, ["obtener"], [a.bloqueo_c])
            finally:
                bloqueo.soltar()
            ronda["bloqueo"] = {"%s@%d" % k: v for k, v in filas.items()}
            ronda["tls"] = {"%s@%d" % k: v for k, v in
                            filas_tls(a, srv["mil"], r).items()}
            if redis is not None:
                ronda["redis"] = medir_redis(a, redis, res)
            res["rondas"].append(ronda)
    finally:
        if redis is not None:
            redis.parar()
        for s in srv.values():
            s.parar()
    return res


def medir_redis(a, redis, res):
    """Each test sized to last about --segundos, from the first round's rate."""
    out = {}
    for prueba in ("ping_mbulk", "incr"):
        for c in a.clientes:
            clave = "%s@%d" % (prueba, c)
            n = res.setdefault("redis_n", {}).get(clave)
            if n is None:
                tasa = redis.medir(prueba, c, 2000 if prueba == "incr" else 20000)
                n = res["redis_n"][clave] = max(1000, int(tasa * a.segundos))
            out[clave] = redis.medir(prueba, c, n)
    return out


def maquina():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    cpu = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "carga": os.getloadavg()[0]}


# -- the table -------------------------------------------------------------------

def mediana(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def resumen(a, res):
    """Medians over the rounds of every figure the table shows."""
    R = res["rondas"]
    m = {}

    def fila(tienda, esc, c):
        return [r[tienda].get("%s@%d" % (esc, c)) for r in R]

    for tienda in [t for t in ("mil", "grande") if R and t in R[0]]:
        for esc in ESCENARIOS:
            for c in a.clientes:
                fs = fila(tienda, esc, c)
                if None in fs:
                    continue
                k = (tienda, esc, c)
                tasas = [f["ops_s"] for f in fs]
                m[k] = {"ops_s": mediana(tasas),
                        # How far apart the rounds were: (max - min) / median.
                        "disp": (max(tasas) - min(tasas)) / mediana(tasas)
                                if len(tasas) > 1 and mediana(tasas) else None,
                        "x_null": mediana([f["x_null"] for f in fs]),
                        "p99_ms": mediana([f["lat_ms"]["p99"] for f in fs])}
                if tienda == "grande":
                    m[k]["x_mil"] = mediana(
                        [g["ops_s"] / p["ops_s"] if p and p["ops_s"] else None
                         for g, p in zip(fs, fila("mil", esc, c))])
    b = [r["bloqueo"].get("obtener@%d" % a.bloqueo_c) for r in R]
    if R and None not in b:
        m["bloqueo"] = {"ops_s": mediana([f["ops_s"] for f in b]),
                        "p99_ms": mediana([f["lat_ms"]["p99"] for f in b])}
    # TLS: each row with its ratio to the same call in clear text, within
    # its round.
    for r in R:
        for k, f in r["tls"].items():
            claro = r["mil"].get(k.replace("_tls", "")) if "_tls@" in k else None
            f = dict(f, x_claro=f["ops_s"] / claro["ops_s"]
                     if claro and claro["ops_s"] else None)
            m.setdefault(("tls", k), []).append(f)
    if res["redis"]:
        for k in R[0]["redis"]:
            m[("redis", k)] = mediana([r["redis"][k] for r in R])
        for esc, prueba in (("null", "ping_mbulk"), ("ajustar", "incr")):
            for c in a.clientes:
                m[("x_redis", esc, c)] = mediana(
                    [r["mil"]["%s@%d" % (esc, c)]["ops_s"] / r["redis"]["%s@%d" % (prueba, c)]
                     for r in R])
    return m


def num(x, fmt="%.0f"):
    return "-" if x is None else fmt % x


def imprimir(a, res, m):
    maq = res["maquina"]
    print("\n== Benchmark de inventario: %s, %.1f s por medida ==" % (
        "una ronda" if a.rondas == 1 else "mediana de %d rondas intercaladas" % a.rondas,
        a.segundos))
    print("máquina: %d CPU (%s); carga media %.2f al empezar, %.2f al terminar%s" % (
        maq["nproc"], maq["cpu"], maq["carga"], res["carga_fin"],
        " (más que CPU: otros procesos compiten con la medida)"
        if max(maq["carga"], res["carga_fin"]) > maq["nproc"] else ""))
    print("almacenes en %s (sistema de archivos %s)%s" % (
        os.path.dirname(res["dir"]), res["fs"],
        "; en tmpfs las escrituras durables no llegan a un disco" if res["fs"] == "tmpfs"
        else ""))
    grande = a.millon
    cab = "%-26s %4s %10s %5s %6s %8s" % ("escenario", "cli", "ops/s", "±%", "xNULL",
                                          "p99 ms")
    if grande:
        cab += " | %10s %6s %6s %8s" % ("ops/s", "xNULL", "x%d" % a.productos, "p99 ms")
    print("\n%d productos%s" % (a.productos, " | %d productos" % a.productos_grande
                                 if grande else ""))
    print(cab)
    for esc in ESCENARIOS:
        for c in a.clientes:
            f = m.get(("mil", esc, c))
            if f is None:
                continue
            linea = "%-26s %4d %10s %5s %6s %8s" % (NOMBRES[esc], c, num(f["ops_s"]),
                                                    num(f["disp"] and f["disp"] * 100),
                                                    num(f["x_null"], "%.2f"),
                                                num(f["p99_ms"], "%.3f"))
            g = m.get(("grande", esc, c))
            if grande and g:
                linea += " | %10s %6s %6s %8s" % (num(g["ops_s"]), num(g["x_null"], "%.2f"),
                                                  num(g["x_mil"], "%.2f"),
                                                  num(g["p99_ms"], "%.3f"))
            print(linea)
    if "bloqueo" in m:
        print("%-26s %4d %10s %5s %6s %8s" % ("OBTENER, BEGIN EXCLUSIVE", a.bloqueo_c,
                                              num(m["bloqueo"]["ops_s"]), "", "",
                                         num(m["bloqueo"]["p99_ms"], "%.3f")))
    tls = sorted(k for k in m if k[0] == "tls")
    if tls:
        print("\nRPC con TLS (TLS 1.3, certificado de cliente; el mismo servidor)")
        print("%-26s %4s %10s %8s" % ("escenario", "cli", "ops/s", "x claro"))
        for k in tls:
            esc, c = k[1].split("@")
            fs = m[k]
            nombre = ("conexiones nuevas/s" if esc == "conexiones_tls"
                      else NOMBRES[esc[:-4]] + " con TLS")
            print("%-26s %4s %10s %8s" % (nombre, c, num(mediana([f["ops_s"] for f in fs])),
                                          num(mediana([f.get("x_claro") for f in fs]),
                                              "%.2f")))
        print("(conexiones nuevas: sonda AUTH_TLS, saludo TLS y un NULL, desde ssl de "
              "Python en 4 hilos)")
    else:
        print("\n(TLS: sin filas; falta certtool, del paquete gnutls-bin)")
    if res["redis"]:
        print("\nRedis (redis-benchmark; appendonly, appendfsync always)")
        for prueba in ("ping_mbulk", "incr"):
            for c in a.clientes:
                print("%-26s %4d %10s" % (prueba.upper(), c,
                                          num(m[("redis", "%s@%d" % (prueba, c))])))
        for c in a.clientes:
            print("NULL / PING_MBULK, %2d clientes: %s;  AJUSTAR / INCR: %s" % (
                c, num(m[("x_redis", "null", c)], "%.2f"),
                num(m[("x_redis", "ajustar", c)], "%.2f")))
    elif not a.redis:
        print("\nRedis: no medido (--sin-redis).")
    else:
        print("\nRedis: no está instalado (redis-server, redis-benchmark): sin "
              "referencia.")
    disco = mediana([d["commits_s"] for r in res["rondas"] for d in r["disco_mil"]])
    print("\nDisco: %s confirmaciones por segundo de SQLite (WAL, synchronous=FULL, una "
          "escritura por transacción) en la carpeta de los almacenes" % num(disco))
    if grande:
        print("\nConstruir el almacén de %d productos: %.1f s" % (
            a.productos_grande, res["construir_s_grande"]))
    if a.rondas > 1:
        print("(±%: cuánto se separan las rondas: (máxima - mínima) / mediana)")
    objetivos(a, m)


def objetivos(a, m):
    """The targets of the project, read off the table at 16 clients."""
    print("\nObjetivos (16 clientes):")

    def linea(texto, valor, ok, fmt="%.2f"):
        print("  %-66s %8s  %s" % (texto, num(valor, fmt),
                                   "-" if valor is None else
                                   "(referencia)" if ok is None else
                                   "cumple" if ok(valor) else "NO cumple"))

    ob, mx = m.get(("mil", "obtener", 16)), m.get(("mil", "mixto", 16))
    if ("x_redis", "null", 16) in m:
        linea("NULL >= 1.0 x Redis PING_MBULK", m[("x_redis", "null", 16)],
              lambda v: v >= 1.0)
    if ob:
        linea("OBTENER >= 0.8 x NULL", ob["x_null"], lambda v: v >= 0.8)
    if ("x_redis", "ajustar", 16) in m:
        linea("AJUSTAR durable / Redis INCR (appendfsync always)",
              m[("x_redis", "ajustar", 16)], None)
    if mx:
        linea("p99 OBTENER con 20 % de AJUSTAR < 2 ms", mx["p99_ms"],
              lambda v: v < 2.0, "%.3f")
        if ob:
            r = mx["p99_ms"] / ob["p99_ms"] if ob["p99_ms"] else None
            linea("ese p99 <= 1.5 x p99 de OBTENER solo", r, lambda v: v <= 1.5)
    if "bloqueo" in m and a.bloqueo_c == 16:
        linea("p99 OBTENER con BEGIN EXCLUSIVE ajeno < 10 ms", m["bloqueo"]["p99_ms"],
              lambda v: v < 10.0, "%.3f")
    for esc in ("obtener", "mixto", "pagina"):
        g = m.get(("grande", esc, 16))
        if g:
            linea("%s con %d productos >= 0.9 x con %d" % (
                NOMBRES[esc], a.productos_grande, a.productos), g["x_mil"],
                lambda v: v >= 0.9)


class Formato(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "Uso: ")


class Opciones(argparse.ArgumentParser):
    """argparse with its messages in Spanish."""
    FRASES = (("unrecognized arguments", "argumentos desconocidos"),
              ("expected one argument", "le falta su valor"),
              ("invalid int value", "no es un entero"),
              ("invalid float value", "no es un número"),
              ("argument ", "opción "))

    def error(self, message):
        for en, es in self.FRASES:
            message = message.replace(en, es)
        self.print_usage(sys.stderr)
        self.exit(2, "%s: %s\n" % (self.prog, message))


def opciones():
    p = Opciones(
        prog="scripts/benchmark.sh", formatter_class=Formato, add_help=False,
        description="La tabla de rendimiento completa de inventario, con servidores "
                    "propios sobre almacenes temporales.",
        epilog="Estado de salida: 0 la tabla salió; 1 algo falló (dice qué); "
               "2 opciones incorrectas; 130 o 143 interrumpido.")
    p._optionals.title = "opciones"
    p.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
    p.add_argument("--rondas", type=int, default=None,
                   help="rondas intercaladas (por omisión 3)")
    p.add_argument("--segundos", type=float, default=None,
                   help="segundos por medida (por omisión 2)")
    p.add_argument("--clientes", default=None,
                   help="números de clientes (por omisión 1,16)")
    p.add_argument("--productos", type=int, default=1000,
                   help="productos del almacén pequeño (por omisión 1000)")
    p.add_argument("--millon", action="store_true",
                   help="mide también un almacén grande (tarda: lo dice)")
    p.add_argument("--productos-grande", type=int, default=1000000,
                   help="productos del almacén grande (por omisión 1000000)")
    p.add_argument("--sin-redis", dest="redis", action="store_false",
                   help="no mide Redis aunque esté instalado")
    p.add_argument("--rapido", action="store_true",
                   help="una pasada corta: 1 ronda, 0.3 s por medida, 1 y 2 "
                        "clientes (para las pruebas; las cifras no valen)")
    p.add_argument("--dir", default=None,
                   help="dónde crear la carpeta temporal de los almacenes (el "
                        "disco cuenta; por omisión TMPDIR o /tmp)")
    p.add_argument("--json", metavar="ARCHIVO",
                   help="además, todas las cifras de cada ronda en JSON")
    p.add_argument("--build", default=os.environ.get("BUILD_DIR",
                                                     os.path.join(ROOT, "build")),
                   help="carpeta de compilación (por omisión build, o BUILD_DIR)")
    a = p.parse_args()
    # --rapido changes the defaults; options given still win.
    for k, normal, rapido in (("rondas", 3, 1), ("segundos", 2.0, 0.3),
                              ("clientes", "1,16", "1,2")):
        if getattr(a, k) is None:
            setattr(a, k, rapido if a.rapido else normal)
    try:
        a.clientes = [int(c) for c in a.clientes.split(",")]
    except ValueError:
        p.error("--clientes: una lista de enteros, p. ej. 1,16")
    a.bloqueo_c = 16 if 16 in a.clientes else max(a.clientes)
    if a.rondas < 1 or a.segundos <= 0 or a.productos < 1 or a.productos_grande < 1:
        p.error("--rondas, --segundos y los productos deben ser positivos")
    a.server = os.environ.get("INVENTARIO_SERVER",
                              os.path.join(a.build, "server", "inventario-server"))
    a.stress = os.environ.get("INVENTARIO_STRESS",
                              os.path.join(a.build, "stress", "inventario-stress"))
    for b in (a.server, a.stress):
        if not os.access(b, os.X_OK):
            p.error("falta %s (compile primero, o --build)" % b)
    return a


def main():
    a = opciones()
    # SIGTERM ends the run as Ctrl-C does: through the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="inventario-benchmark-", dir=a.dir)
    try:
        res = ejecutar(a, tmp)
        res["carga_fin"] = os.getloadavg()[0]
        m = resumen(a, res)
        imprimir(a, res, m)
        print("\n(%.0f s en total)" % (time.monotonic() - t0))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=2)
        return 0
    except Fallo as e:
        aviso(e)
        return 1
    except KeyboardInterrupt:
        aviso("interrumpido")
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
