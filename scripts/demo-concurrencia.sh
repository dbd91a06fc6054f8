#!/bin/sh
# demo-concurrencia.sh - the mission's demo in one command: several console
# clients and inventario-stress on one server at the same time, then, for
# every product any of them touched, the stock each expected against the
# stock the server holds, and the verdict.
#
#   scripts/demo-concurrencia.sh
#
# What it does: prepares the machine (scripts/setup.sh: packages, rpcbind,
# /etc/rpc), builds into build/ if needed, starts inventario-server on a
# scratch database under a transient program number, creates one product
# that every console client adjusts (demo-compartido), and runs CLIENTES
# console clients (inventario-client fed a scripted menu on stdin, slowly,
# so that they overlap) while inventario-stress --verify counter hammers the
# same server.  Each console client writes down every change it makes (its
# own products: added, set, deleted; the shared one: each delta), and each
# stress worker does the same inside inventario-stress, whose JSON report
# gives the expected stock of its products.  The verdict reads the final
# inventory through the service (inventario-client exportar), compares it
# with what was expected for every product touched, prints the table, and
# fails (exit 1) if any product differs, if a menu says one of its
# operations failed (its exit status), or if the stress verification fails.
# The server is stopped by its PID on the way out, whatever happens.
#
# Settings (environment): BUILD_DIR (default build), CLIENTES (4),
# SEGUNDOS (duration of the stress run, 6), STRESS_CLIENTES (16),
# PREPARAR (si; "no" skips setup.sh and the build: the tests use it).
# DEMO_ANTES_DEL_VEREDICTO: a sh command run after the load and before the
# verdict, with DEMO_PROGRAMA set (the tests use it to change a stock behind
# everyone's back and check that the demo notices).
# Exit status: 0 if every product holds what was expected and every client
# finished well; 1 otherwise.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CLIENTES=${CLIENTES:-4}
SEGUNDOS=${SEGUNDOS:-6}
STRESS_CLIENTES=${STRESS_CLIENTES:-16}
PREPARAR=${PREPARAR:-si}

SERVER=$BUILD/server/inventario-server
CLIENT=$BUILD/client/inventario-client
STRESS=$BUILD/stress/inventario-stress
COMPARTIDO=demo-compartido
COMPARTIDO_INICIAL=1000

# A program number in the transient range, ours alone while we live (the
# PID is unique among live processes); never the service's own 541675094.
PROG=$((0x5F000000 + $$ % 0x1000000))
TMP=
SRV_PID=

titulo() {
    if [ -t 1 ]; then
        printf '\n\033[1m== %s ==\033[0m\n' "$*"
    else
        printf '\n== %s ==\n' "$*"
    fi
}

limpiar() {
    if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
        kill -TERM "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
    fi
    [ -n "$TMP" ] && rm -rf "$TMP"
}
trap limpiar EXIT
trap 'exit 130' INT TERM

preparar() {
    if [ "$PREPARAR" != no ]; then
        titulo "Preparando la máquina (scripts/setup.sh)"
        "$ROOT/scripts/setup.sh"
        titulo "Compilando en $BUILD"
        [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" >/dev/null
        cmake --build "$BUILD" -j "$(nproc)" >/dev/null
    fi
    for b in "$SERVER" "$CLIENT" "$STRESS"; do
        [ -x "$b" ] || { echo "demo: falta $b" >&2; exit 1; }
    done
    command -v python3 >/dev/null || { echo "demo: falta python3" >&2; exit 1; }
}

arrancar_servidor() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/demo-concurrencia.XXXXXX")
    titulo "Servidor: programa $PROG ($(printf '0x%X' "$PROG")), 8 hilos, base de datos $TMP/demo.db"
    "$SERVER" --db "$TMP/demo.db" --program "$PROG" --threads 8 \
        >"$TMP/servidor.log" 2>&1 &
    SRV_PID=$!
    i=0
    until rpcinfo -t 127.0.0.1 "$PROG" 1 >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge 100 ] || ! kill -0 "$SRV_PID" 2>/dev/null; then
            echo "demo: el servidor no arrancó:" >&2
            cat "$TMP/servidor.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "listo (PID $SRV_PID)"
    "$CLIENT" --program "$PROG" agregar "$COMPARTIDO" "Producto compartido" \
        "$COMPARTIDO_INICIAL" >/dev/null
    echo "$COMPARTIDO creado con $COMPARTIDO_INICIAL unidades: todos los clientes de consola lo ajustan"
}

# The keystrokes of console client $1, a line at a time and slowly, so that
# every client is still working while the others and the stress tool are:
# three products of its own (added, set three times, the third deleted) and
# deltas on the shared product.  Each change also goes, as it is typed, to
# the client's record ($2): "fija ID STOCK", "borra ID", "suma ID DELTA".
# A change that failed would make the menu's exit status non-zero.
menu() {
    n=$1 reg=$2
    : >"$reg"
    for k in 1 2 3; do
        printf '1\ndemo-c%s-%s\nProducto %s del cliente %s\n%s\n' "$n" "$k" "$k" "$n" "$((n * 10 + k))"
        echo "fija demo-c$n-$k $((n * 10 + k))" >>"$reg"
        sleep 0.3
    done
    for ronda in 1 2 3; do
        for k in 1 2 3; do
            printf '3\ndemo-c%s-%s\n%s\n' "$n" "$k" "$((n * 100 + ronda * 10 + k))"
            echo "fija demo-c$n-$k $((n * 100 + ronda * 10 + k))" >>"$reg"
        done
        for d in "$((n + ronda))" "-$ronda"; do
            printf '6\n%s\n%s\ndemo\n' "$COMPARTIDO" "$d"
            echo "suma $COMPARTIDO $d" >>"$reg"
        done
        printf '2\ndemo-c%s-1\n' "$n"
        sleep 0.5
    done
    # Deleting asks for confirmation ("s").
    printf '5\ndemo-c%s-3\ns\n' "$n"
    echo "borra demo-c$n-3" >>"$reg"
    printf '4\n0\n'
}

correr() {
    titulo "$CLIENTES clientes de consola y inventario-stress --verify counter ($STRESS_CLIENTES clientes, ${SEGUNDOS} s) a la vez"
    # --conservar: its products stay, for the final table.
    "$STRESS" --program "$PROG" --host 127.0.0.1 --verify counter --retry \
        --clients "$STRESS_CLIENTES" --duration "$SEGUNDOS" --conservar --json \
        >"$TMP/stress.json" 2>"$TMP/stress.err" &
    STRESS_PID=$!
    PIDS=
    n=1
    while [ "$n" -le "$CLIENTES" ]; do
        menu "$n" "$TMP/cliente-$n.reg" |
            "$CLIENT" --program "$PROG" >"$TMP/cliente-$n.log" 2>&1 &
        PIDS="$PIDS $!"
        n=$((n + 1))
    done
    n=1
    for p in $PIDS; do
        rc=0
        wait "$p" || rc=$?
        echo "$rc" >"$TMP/cliente-$n.salida"
        n=$((n + 1))
    done
    STRESS_RC=0
    wait "$STRESS_PID" || STRESS_RC=$?
}

# "1 eliminado", "3 agregados": the word for n things.
plural() {
    if [ "$1" -eq 1 ]; then printf '%s %s' "$1" "$2"; else printf '%s %s' "$1" "$3"; fi
}

resumen_clientes() {
    titulo "Lo que hizo cada cliente de consola (según su registro)"
    n=1
    while [ "$n" -le "$CLIENTES" ]; do
        reg=$TMP/cliente-$n.reg
        ag=$(grep -c '^fija demo-c.*-[123] [0-9]*$' "$reg" || true)
        printf 'cliente %s: %s, %s, %s, %s; el menú salió con %s\n' "$n" \
            "$(plural 3 'agregado' 'agregados')" \
            "$(plural "$((ag - 3))" 'actualización' 'actualizaciones')" \
            "$(plural "$(grep -c '^suma ' "$reg" || true)" "ajuste de $COMPARTIDO" "ajustes de $COMPARTIDO")" \
            "$(plural "$(grep -c '^borra ' "$reg" || true)" 'eliminado' 'eliminados')" \
            "$(cat "$TMP/cliente-$n.salida")"
        n=$((n + 1))
    done
}

# The table and the verdict: expected (the clients' records, the stress
# report) against the final inventory, read through the service.
veredicto() {
    if [ -n "${DEMO_ANTES_DEL_VEREDICTO:-}" ]; then
        DEMO_PROGRAMA=$PROG sh -c "$DEMO_ANTES_DEL_VEREDICTO" >&2
    fi
    "$CLIENT" --program "$PROG" exportar "$TMP/final.json" >/dev/null
    titulo "Stock esperado y stock final de cada producto tocado"
    python3 - "$TMP" "$CLIENTES" "$COMPARTIDO" "$COMPARTIDO_INICIAL" "$STRESS_RC" <<'EOF'
import json, os, sys

tmp, clientes, compartido, inicial, stress_rc = sys.argv[1:]
clientes, inicial, stress_rc = int(clientes), int(inicial), int(stress_rc)
final = {p["id"]: p["stock"] for p in json.load(open(os.path.join(tmp, "final.json")))}
filas, fallos = [], []      # (id, expected or None if deleted, who)

suma, ajustes = inicial, 0
for n in range(1, clientes + 1):
    propios = {}
    for linea in open(os.path.join(tmp, "cliente-%d.reg" % n)):
        que, id, *v = linea.split()
        if que == "fija":
            propios[id] = int(v[0])
        elif que == "borra":
            propios[id] = None
        elif que == "suma":
            suma += int(v[0])
            ajustes += 1
    for id, esperado in sorted(propios.items()):
        filas.append((id, esperado, "cliente de consola %d" % n))
    salida = open(os.path.join(tmp, "cliente-%d.salida" % n)).read().strip()
    if salida != "0":
        fallos.append("el menú del cliente %d salió con %s: alguna operación falló "
                      "(ver abajo)" % (n, salida))
filas.append((compartido, suma, "%d clientes de consola, %d ajustes sobre %d"
              % (clientes, ajustes, inicial)))

try:
    informe = json.load(open(os.path.join(tmp, "stress.json")))
    ver = informe["verificacion"]
    for p in ver["productos"]:
        filas.append((p["id"], p["esperado"], "inventario-stress: " + p["como"]))
    datos = ver["datos"]
    print("inventario-stress: %d ajustes confirmados en %.1f s por %d clientes; "
          "%d movimientos del registro leídos y encadenados"
          % (datos["ajustes_confirmados"], informe["resultado"]["duracion_s"],
             informe["config"]["clientes"], datos["movimientos_leidos"]))
    if not ver["ok"]:
        fallos.append("la verificación de inventario-stress falló: %d invariantes "
                      "incumplidos" % ver["violaciones"])
except (OSError, ValueError, KeyError) as e:
    fallos.append("sin informe de inventario-stress (%s)" % e)
if stress_rc != 0:
    fallos.append("inventario-stress salió con %d" % stress_rc)

def txt(v):
    return "no existe" if v is None else str(v)

ancho = max(len(f[0]) for f in filas)
print("%-*s %10s %10s  %s" % (ancho, "producto", "esperado", "final", "quién lo cambió"))
distintos = 0
for id, esperado, quien in filas:
    real = final.get(id)
    marca = ""
    if real != esperado:
        distintos += 1
        marca = "  <-- NO COINCIDE"
    print("%-*s %10s %10s  %s%s" % (ancho, id, txt(esperado), txt(real), quien, marca))
if distintos:
    fallos.insert(0, "%d de %d productos no %s el stock esperado"
                  % (distintos, len(filas), "tiene" if distintos == 1 else "tienen"))
with open(os.path.join(tmp, "fallos.txt"), "w") as f:
    f.write("".join(x + "\n" for x in fallos))
print("%d productos: %s" % (len(filas), "todos con el stock esperado" if not distintos
                            else "%d %s" % (distintos, "distinto" if distintos == 1 else "distintos")))
EOF
}

resultado() {
    if [ -s "$TMP/fallos.txt" ]; then
        n=1
        while [ "$n" -le "$CLIENTES" ]; do
            if [ "$(cat "$TMP/cliente-$n.salida")" != 0 ]; then
                titulo "Errores del cliente de consola $n"
                grep -iE 'error|no se pudo|no existe|no hay|inválid' "$TMP/cliente-$n.log" | head -5 || true
            fi
            n=$((n + 1))
        done
        grep -v '^$' "$TMP/stress.err" || true
        titulo "Resultado: FALLÓ"
        sed 's/^/  - /' "$TMP/fallos.txt"
        return 1
    fi
    titulo "Resultado: CORRECTO"
    echo "Cada producto tiene exactamente el stock que esperaban quienes lo cambiaron,"
    echo "y el registro de movimientos de inventario-stress encadena sin huecos."
}

preparar
arrancar_servidor
correr
resumen_clientes
veredicto
resultado
