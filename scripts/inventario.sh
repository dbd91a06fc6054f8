#!/bin/sh
# inventario.sh - the one command to use the service on this machine: set
# up, build, start the server in the background if it is not running, and
# open the client's menu.  Run it again and it reuses what is there.
#
#   scripts/inventario.sh           set up, build, start if needed, menu
#   scripts/inventario.sh [menu] --timeout 10 ...
#                                   the same, with options for the client
#   scripts/inventario.sh start     the same, without the menu
#   scripts/inventario.sh status    is it running? (exit 0 yes, 3 no)
#   scripts/inventario.sh stop      stop the server this script started
#   scripts/inventario.sh log       follow the server's log
#
# State (database, log, PID file) lives in INVENTARIO_DIR, by default
# ${XDG_STATE_HOME:-~/.local/state}/inventario.  Builds into BUILD_DIR
# (default build/ at the top of the tree).  INVENTARIO_PROGRAM serves and
# asks another program number (a test instance); by default 541675094,
# found through the /etc/rpc alias inventario.servicio.
#
# The server is stopped only by the PID this script recorded, and only if
# that PID is still an inventario-server: never by name.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DIR=${INVENTARIO_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/inventario}
DB=$DIR/inventario.db
LOG=$DIR/servidor.log
PIDFILE=$DIR/servidor.pid
SERVER=$BUILD/server/inventario-server
CLIENT=$BUILD/client/inventario-client
PROGRAM=${INVENTARIO_PROGRAM:-}

# What rpcinfo is given: the alias, or the number asked for.
SERVICIO=${PROGRAM:-inventario.servicio}

# The client's options: none, or the program number asked for (the
# client reads INVENTARIO_PROGRAM itself too; an option given on the
# command line comes after this one, and wins).
client_opts() {
    [ -z "$PROGRAM" ] || printf -- '--program=%s\n' "$PROGRAM"
}

say() { printf 'inventario: %s\n' "$*"; }
die() { printf 'inventario: %s\n' "$*" >&2; exit 1; }

usage() {
    cat <<'EOF'
Uso: scripts/inventario.sh [ORDEN]
       scripts/inventario.sh [menu] [OPCIÓN DEL CLIENTE]...
Prepara la máquina, compila, arranca el servidor en segundo plano si no está
en marcha y abre el menú del cliente.  Se puede repetir: reutiliza lo que hay.

Órdenes:
  (ninguna), menu  todo lo anterior y el menú de inventario-client; las
                   opciones que sigan son del cliente y se le pasan tal cual
                   (--timeout 10, --host ..., -t 10: inventario-client --help)
  start            lo mismo, sin abrir el menú
  status           dice si el servidor está en marcha (sale con 0) o no (3)
  stop             detiene el servidor que arrancó este script (por su PID)
  log              muestra el registro del servidor a medida que crece
  help             esta ayuda

Archivos (en INVENTARIO_DIR, por omisión ~/.local/state/inventario):
  inventario.db    la base de datos SQLite (y sus -wal y -shm)
  servidor.log     el registro del servidor
  servidor.pid     el PID del servidor arrancado por este script

Variables: INVENTARIO_DIR, BUILD_DIR (por omisión build/),
INVENTARIO_PROGRAM (otro número de programa, para una instancia de prueba).
EOF
}

# True if something answers a NULL call for version 1 of the service.
answering() {
    rpcinfo -t 127.0.0.1 "$SERVICIO" 1 >/dev/null 2>&1
}

# The recorded PID, if it is still an inventario-server; empty otherwise.
our_pid() {
    [ -f "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    case $pid in '' | *[!0-9]*) return 0 ;; esac
    # comm is cut at 15 characters: inventario-serv.
    case $(ps -p "$pid" -o comm= 2>/dev/null || true) in
    inventario-serv*) echo "$pid" ;;
    esac
}

prepare() {
    "$ROOT/scripts/setup.sh"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        say "configurando la compilación en $BUILD"
        cmake -S "$ROOT" -B "$BUILD" >/dev/null
    fi
    # Always ask: make rebuilds only what is out of date (nothing, usually).
    out=$(mktemp)
    if ! cmake --build "$BUILD" -j "$(nproc)" >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        die "la compilación falló"
    fi
    rm -f "$out"
    [ -x "$SERVER" ] || die "no se encuentra $SERVER"
}

start() {
    if answering; then
        pid=$(our_pid)
        if [ -n "$pid" ]; then
            say "el servidor ya está en marcha (PID $pid, base de datos $DB)"
            if [ -n "$(find "$SERVER" -newer "$PIDFILE" 2>/dev/null)" ]; then
                say "es de una compilación anterior: 'scripts/inventario.sh stop' y otra vez para usar la nueva"
            fi
        else
            say "ya hay un servidor de $SERVICIO en marcha en esta máquina (no lo arrancó este script); se usa ese"
        fi
        return 0
    fi
    mkdir -p "$DIR"
    say "arrancando el servidor: base de datos $DB, registro $LOG"
    # setsid: its own session, so Ctrl-C in the menu or closing the
    # terminal does not reach it; not a group leader here, so setsid execs
    # the server itself and $! is the server's PID.
    set -- "$SERVER" --db "$DB"
    [ -n "$PROGRAM" ] && set -- "$@" --program "$PROGRAM"
    setsid "$@" </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    i=0
    until answering; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            tail -n 5 "$LOG" >&2
            die "el servidor no arrancó (registro completo en $LOG)"
        fi
        i=$((i + 1))
        [ "$i" -lt 100 ] || die "el servidor (PID $pid) no responde tras 10 s; vea $LOG"
        sleep 0.1
    done
    say "servidor en marcha (PID $pid)"
}

stop() {
    pid=$(our_pid)
    if [ -z "$pid" ]; then
        rm -f "$PIDFILE"
        if answering; then
            say "hay un servidor de $SERVICIO en marcha, pero no lo arrancó este script: no se toca"
        else
            say "el servidor no está en marcha"
        fi
        return 0
    fi
    kill -TERM "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 150 ] || die "el servidor (PID $pid) sigue vivo tras 15 s; vea $LOG"
        sleep 0.1
    done
    rm -f "$PIDFILE"
    say "servidor detenido (PID $pid)"
}

status() {
    pid=$(our_pid)
    if answering; then
        if [ -n "$pid" ]; then
            say "en marcha (PID $pid); base de datos $DB; registro $LOG"
        else
            say "en marcha, pero no lo arrancó este script"
        fi
        rpcinfo -s 2>/dev/null | sed -n "1p;/^ *$(program_number) /p"
        if [ -x "$CLIENT" ]; then
            # shellcheck disable=SC2046  # one word or none
            "$CLIENT" $(client_opts) estado || true
        fi
        return 0
    fi
    if [ -n "$pid" ]; then
        say "el proceso $pid existe pero no responde; vea $LOG"
    else
        say "detenido"
    fi
    return 3
}

# The program number, for picking its line out of rpcinfo -s.
program_number() {
    if [ -n "$PROGRAM" ]; then
        printf '%d' "$PROGRAM"
    else
        n=$(awk '$1 == "inventario" { print $2; exit }' /etc/rpc 2>/dev/null || true)
        echo "${n:-541675094}"
    fi
}

# The menu's options, for the client: "menu --timeout 10", or options
# alone ("--timeout 10"); help stays the script's own.
orden=${1:-menu}
case $orden in
-h | --help) ;;
-*) orden=menu ;;
menu) [ "$#" -eq 0 ] || shift ;;
esac

case $orden in
menu)
    prepare
    start
    [ -x "$CLIENT" ] || die "no se encuentra $CLIENT"
    say "abriendo el menú (el servidor sigue en marcha al salir; 'scripts/inventario.sh stop' lo detiene)"
    # shellcheck disable=SC2046  # one word or none
    exec "$CLIENT" $(client_opts) "$@"
    ;;
start)
    prepare
    start
    ;;
stop) stop ;;
status) status ;;
log)
    [ -f "$LOG" ] || die "aún no hay registro en $LOG"
    exec tail -n 20 -f "$LOG"
    ;;
help | -h | --help) usage ;;
*)
    usage >&2
    exit 2
    ;;
esac
