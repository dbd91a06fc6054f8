#!/bin/sh
# demo-concurrencia.sh - the mission's demo in one command: several console
# clients and inventario-stress on one server at the same time, then the
# final inventory and the verdict of the verification.
#
#   scripts/demo-concurrencia.sh
#
# What it does: prepares the machine (scripts/setup.sh: packages, rpcbind,
# /etc/rpc), builds into build/ if needed, starts inventario-server on a
# scratch database under a transient program number, runs CLIENTES console
# clients (inventario-client fed a scripted menu on stdin, slowly, so that
# they overlap) while inventario-stress --verify counter hammers the same
# server, prints what each did, the final inventory and the verification
# result, and stops the server by its PID on the way out, whatever happens.
#
# Settings (environment): BUILD_DIR (default build), CLIENTES (4),
# SEGUNDOS (duration of the stress run, 6), STRESS_CLIENTES (16).
# Exit status: 0 if the verification held and every client finished well.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CLIENTES=${CLIENTES:-4}
SEGUNDOS=${SEGUNDOS:-6}
STRESS_CLIENTES=${STRESS_CLIENTES:-16}

SERVER=$BUILD/server/inventario-server
CLIENT=$BUILD/client/inventario-client
STRESS=$BUILD/stress/inventario-stress

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
    titulo "Preparando la máquina (scripts/setup.sh)"
    "$ROOT/scripts/setup.sh"
    titulo "Compilando en $BUILD"
    [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" >/dev/null
    cmake --build "$BUILD" -j "$(nproc)" >/dev/null
    for b in "$SERVER" "$STRESS"; do
        [ -x "$b" ] || { echo "demo: falta $b" >&2; exit 1; }
    done
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
}

# The keystrokes of console client $1, a line at a time and slowly, so that
# every client is still working while the others and the stress tool are:
# three products of its own, a few stock changes, and the shared product
# that all of them set (the last write wins, and it must be one of theirs).
menu() {
    n=$1
    for k in 1 2 3; do
        printf '1\ndemo-c%s-%s\nProducto %s del cliente %s\n%s\n' "$n" "$k" "$k" "$n" "$((n * 10 + k))"
        sleep 0.3
    done
    printf '1\ndemo-compartido\nProducto compartido\n0\n'
    for ronda in 1 2 3; do
        for k in 1 2 3; do
            printf '3\ndemo-c%s-%s\n%s\n' "$n" "$k" "$((n * 100 + ronda * 10 + k))"
        done
        printf '3\ndemo-compartido\n%s\n' "$((n * 1000 + ronda))"
        printf '2\ndemo-c%s-1\n' "$n"
        sleep 0.5
    done
    printf '5\ndemo-c%s-3\n' "$n"
    printf '4\n0\n'
}

correr() {
    titulo "$CLIENTES clientes de consola y inventario-stress --verify counter ($STRESS_CLIENTES clientes, ${SEGUNDOS} s) a la vez"
    "$STRESS" --program "$PROG" --host 127.0.0.1 --verify counter --retry \
        --clients "$STRESS_CLIENTES" --duration "$SEGUNDOS" \
        >"$TMP/stress.out" 2>"$TMP/stress.err" &
    STRESS_PID=$!
    PIDS=
    if [ -x "$CLIENT" ]; then
        n=1
        while [ "$n" -le "$CLIENTES" ]; do
            menu "$n" | "$CLIENT" --program "$PROG" >"$TMP/cliente-$n.log" 2>&1 &
            PIDS="$PIDS $!"
            n=$((n + 1))
        done
    else
        echo "demo: aún no existe $CLIENT; solo corre inventario-stress" >&2
    fi
    FALLOS=0
    for p in $PIDS; do
        wait "$p" || FALLOS=$((FALLOS + 1))
    done
    STRESS_RC=0
    wait "$STRESS_PID" || STRESS_RC=$?
}

resumen_clientes() {
    [ -x "$CLIENT" ] || return 0
    titulo "Lo que hizo cada cliente de consola"
    n=1
    while [ "$n" -le "$CLIENTES" ]; do
        log=$TMP/cliente-$n.log
        # The shared product: only the first client to ask creates it.
        printf 'cliente %s: %s agregados (%s ya existían), %s actualizaciones, %s eliminados, %s errores\n' "$n" \
            "$(grep -c 'Producto agregado' "$log" || true)" \
            "$(grep -ci 'ya existe' "$log" || true)" \
            "$(grep -c 'actualizado a' "$log" || true)" \
            "$(grep -ci 'eliminado' "$log" || true)" \
            "$(grep -ciE 'error|no se pudo|no existe' "$log" || true)"
        n=$((n + 1))
    done
}

inventario_final() {
    titulo "Inventario final"
    if [ -x "$CLIENT" ]; then
        "$CLIENT" --program "$PROG" listar
    else
        sqlite3 -column -header "$TMP/demo.db" \
            'SELECT id, nombre, stock FROM productos ORDER BY id'
    fi
}

veredicto() {
    titulo "Verificación (inventario-stress --verify counter --retry)"
    sed -n '/== verificación counter: carga/,/^total/p' "$TMP/stress.out"
    sed -n '/== verificación counter: [CFN]/,$p' "$TMP/stress.out"
    grep -v '^$' "$TMP/stress.err" || true
    if [ "$STRESS_RC" -eq 0 ] && [ "$FALLOS" -eq 0 ]; then
        titulo "Resultado: CORRECTO"
    else
        titulo "Resultado: FALLÓ (inventario-stress salió con $STRESS_RC; $FALLOS clientes de consola fallaron)"
    fi
}

preparar
arrancar_servidor
correr
resumen_clientes
inventario_final
veredicto
[ "$STRESS_RC" -eq 0 ] && [ "$FALLOS" -eq 0 ]
