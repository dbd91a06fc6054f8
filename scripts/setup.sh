#!/bin/sh
# setup.sh - prepare this machine for inventario: Debian packages, rpcbind
# running, and the /etc/rpc alias.  Idempotent: run it as often as you like.
# Needs root (or sudo) for the parts that are missing; does nothing else.
set -eu

PACKAGES="build-essential cmake pkg-config rpcsvc-proto libtirpc-dev rpcbind \
libsqlite3-dev sqlite3 libpq-dev postgresql libjansson-dev libedit-dev libcmocka-dev \
libunistring-dev \
python3 python3-pexpect netbase procps strace clang libclang-rt-14-dev \
libgnutls28-dev gnutls-bin"
RPC_LINE="inventario	541675094	inventario.servicio"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: instalando:$missing"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $missing >/dev/null
fi

# The alias that plays the part of a name server: getrpcbyname() and
# rpcinfo find the service as inventario.servicio through this line.
if ! grep -q '^inventario[[:space:]]' /etc/rpc 2>/dev/null; then
    echo "setup: añadiendo el alias inventario.servicio a /etc/rpc"
    printf '%s\n' "$RPC_LINE" | as_root tee -a /etc/rpc >/dev/null
fi

# rpcbind: systemd's socket where there is one, the daemon itself otherwise.
if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
    echo "setup: arrancando rpcbind"
    if [ -d /run/systemd/system ]; then
        as_root systemctl start rpcbind.socket rpcbind.service
    else
        as_root mkdir -p /run/rpcbind
        as_root rpcbind -w
    fi
    i=0
    until rpcinfo -p 127.0.0.1 >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge 50 ]; then
            echo "setup: rpcbind no responde en 127.0.0.1" >&2
            exit 1
        fi
        sleep 0.1
    done
fi
