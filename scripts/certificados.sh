#!/bin/sh
# certificados.sh - a small certificate authority for RPC-with-TLS: the CA,
# the server's certificate, one client certificate per branch, and the CRL.
# Idempotent: whatever exists is kept; run it as often as you like.  Uses
# certtool (gnutls-bin).  See --help, and docs/operacion.md for the routine.
set -eu

PROG=certificados.sh
DIAS_CA=3650        # the CA: ten years
DIAS_CERT=825       # the server and the branches: a little over two years
DIAS_CRL=365        # the CRL must be remade within this (orden 'crl')

usage() {
    cat <<'EOF'
Uso: certificados.sh DIR [ORDEN [ARG]...]
Una autoridad de certificación pequeña para inventario con TLS (RFC 9289):
la CA, el certificado del servidor, uno de cliente por sucursal y la lista
de revocación (CRL), en la carpeta DIR.  Lo que ya existe se conserva: se
puede ejecutar tantas veces como se quiera.

Órdenes (cada una crea antes la CA y la CRL si faltan):
  (ninguna)             la CA, el certificado del servidor para localhost,
                        127.0.0.1 y ::1, y la CRL
  servidor NOMBRE...    el certificado del servidor para esos nombres DNS o
                        direcciones IP (el primero es su CN); si ya hay uno
                        para otros nombres, lo sustituye
  sucursal NOMBRE...    un certificado de cliente para cada sucursal que aún
                        no lo tenga (NOMBRE: letras, cifras, '.', '_', '-')
  renovar NOMBRE        un certificado y una clave nuevos para la sucursal; el
                        anterior sigue valiendo hasta que caduque o se revoque
  revocar NOMBRE        revoca todos los certificados emitidos a la sucursal
                        y rehace la CRL
  crl                   rehace la CRL (caduca a los 365 días: rehágala antes)
  lista                 las sucursales, sus vencimientos y las revocadas

Archivos en DIR:
  ca.pem, ca-key.pem               la CA (su clave, solo para este script)
  servidor.pem, servidor-key.pem   para inventario-server --tls-cert/--tls-key
  crl.pem                          para inventario-server --tls-crl
  sucursales/NOMBRE.pem, NOMBRE-key.pem   para el cliente de cada sucursal
  emitidos/, revocados/            copia de cada certificado emitido y revocado

Estado de salida: 0 bien; 1 falló certtool o falta algo; 2 uso incorrecto.
EOF
}

die() {
    echo "$PROG: $*" >&2
    exit 1
}

misuse() {
    echo "$PROG: $*" >&2
    echo "Pruebe '$PROG --help'." >&2
    exit 2
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") misuse "falta la carpeta DIR" ;;
-*) misuse "opción desconocida: $1" ;;
esac
DIR=$1
shift
command -v certtool >/dev/null 2>&1 ||
    die "falta certtool (paquete gnutls-bin: scripts/setup.sh lo instala)"

# Keys are created private; certificates and the CRL stay world-readable.
umask 077
mkdir -p "$DIR/sucursales" "$DIR/emitidos" "$DIR/revocados"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

certtool_q() {
    certtool "$@" >"$TMP/certtool.out" 2>&1 || {
        cat "$TMP/certtool.out" >&2
        die "certtool $1 falló"
    }
}

new_key() {
    certtool_q --generate-privkey --key-type=ecdsa --curve=secp256r1 \
        --outfile "$1"
    chmod 600 "$1"
}

# Copies a just-issued certificate into emitidos/, named by branch and serial,
# so that 'revocar' can find every certificate a branch was ever given.
archive() {
    serial=$(certtool -i --infile "$2" | sed -n 's/^[[:space:]]*Serial Number (hex): //p')
    [ -n "$serial" ] || die "no se pudo leer el número de serie de $2"
    cp "$2" "$DIR/emitidos/$1-$serial.pem"
    chmod 644 "$DIR/emitidos/$1-$serial.pem"
}

ensure_ca() {
    [ -s "$DIR/ca.pem" ] && [ -s "$DIR/ca-key.pem" ] && return 0
    [ -e "$DIR/ca.pem" ] && die "$DIR/ca.pem existe pero falta ca-key.pem"
    new_key "$DIR/ca-key.pem"
    cat >"$TMP/ca.tmpl" <<EOF
cn = "CA de inventario TecnoMarket"
organization = "TecnoMarket"
expiration_days = $DIAS_CA
ca
cert_signing_key
crl_signing_key
EOF
    certtool_q --generate-self-signed --load-privkey "$DIR/ca-key.pem" \
        --template "$TMP/ca.tmpl" --outfile "$DIR/ca.pem"
    chmod 644 "$DIR/ca.pem"
    echo "$PROG: CA creada: $DIR/ca.pem"
}

# The CRL lists every certificate in revocados/; its number grows each time.
make_crl() {
    n=$(cat "$DIR/crl-numero" 2>/dev/null || echo 0)
    n=$((n + 1))
    cat >"$TMP/crl.tmpl" <<EOF
crl_next_update = $DIAS_CRL
crl_number = $n
EOF
    : >"$TMP/revocados.pem"
    for f in "$DIR"/revocados/*.pem; do
        [ -e "$f" ] && cat "$f" >>"$TMP/revocados.pem"
    done
    if [ -s "$TMP/revocados.pem" ]; then
        set -- --load-certificate "$TMP/revocados.pem"
    else
        set --
    fi
    certtool_q --generate-crl --load-ca-privkey "$DIR/ca-key.pem" \
        --load-ca-certificate "$DIR/ca.pem" --template "$TMP/crl.tmpl" \
        "$@" --outfile "$TMP/crl.pem"
    chmod 644 "$TMP/crl.pem"
    mv "$TMP/crl.pem" "$DIR/crl.pem"
    echo "$n" >"$DIR/crl-numero"
}

ensure_crl() {
    [ -s "$DIR/crl.pem" ] || make_crl
}

valid_name() {
    case "$1" in
    ""|[!A-Za-z0-9]*|*[!A-Za-z0-9._-]*) return 1 ;;
    esac
    [ "${#1}" -le 64 ]
}

is_ip() {
    case "$1" in
    *:*) return 0 ;;
    *[!0-9.]*) return 1 ;;
    *.*.*.*) return 0 ;;
    esac
    return 1
}

server_cert() {
    [ $# -gt 0 ] || misuse "servidor: falta al menos un nombre"
    names="$*"
    if [ -s "$DIR/servidor.pem" ] &&
       [ "$(cat "$DIR/servidor.nombres" 2>/dev/null)" = "$names" ]; then
        return 0
    fi
    {
        echo "cn = \"$1\""
        echo "organization = \"TecnoMarket\""
        echo "expiration_days = $DIAS_CERT"
        echo "tls_www_server"
        echo "signing_key"
        for h in "$@"; do
            if is_ip "$h"; then
                echo "ip_address = \"$h\""
            else
                echo "dns_name = \"$h\""
            fi
        done
    } >"$TMP/servidor.tmpl"
    new_key "$TMP/servidor-key.pem"
    certtool_q --generate-certificate --load-privkey "$TMP/servidor-key.pem" \
        --load-ca-certificate "$DIR/ca.pem" --load-ca-privkey "$DIR/ca-key.pem" \
        --template "$TMP/servidor.tmpl" --outfile "$TMP/servidor.pem"
    chmod 644 "$TMP/servidor.pem"
    mv "$TMP/servidor-key.pem" "$DIR/servidor-key.pem"
    mv "$TMP/servidor.pem" "$DIR/servidor.pem"
    echo "$names" >"$DIR/servidor.nombres"
    archive servidor "$DIR/servidor.pem"
    echo "$PROG: certificado del servidor para $names: $DIR/servidor.pem"
}

# The branch's name is its identity on the server: the CN, and a DNS name
# too, so that either way of reading a certificate finds the same name.
branch_cert() {
    valid_name "$1" || misuse "nombre de sucursal inválido: '$1'"
    cat >"$TMP/sucursal.tmpl" <<EOF
cn = "$1"
organization = "TecnoMarket"
dns_name = "$1"
expiration_days = $DIAS_CERT
tls_www_client
signing_key
EOF
    new_key "$TMP/sucursal-key.pem"
    certtool_q --generate-certificate --load-privkey "$TMP/sucursal-key.pem" \
        --load-ca-certificate "$DIR/ca.pem" --load-ca-privkey "$DIR/ca-key.pem" \
        --template "$TMP/sucursal.tmpl" --outfile "$TMP/sucursal.pem"
    chmod 644 "$TMP/sucursal.pem"
    mv "$TMP/sucursal-key.pem" "$DIR/sucursales/$1-key.pem"
    mv "$TMP/sucursal.pem" "$DIR/sucursales/$1.pem"
    archive "$1" "$DIR/sucursales/$1.pem"
    echo "$PROG: certificado de $1: $DIR/sucursales/$1.pem"
}

revoke() {
    valid_name "$1" || misuse "nombre de sucursal inválido: '$1'"
    found=0
    for f in "$DIR"/emitidos/"$1"-*.pem; do
        [ -e "$f" ] || continue
        found=1
        mv "$f" "$DIR/revocados/"
    done
    if [ -e "$DIR/sucursales/$1.pem" ]; then
        rm -f "$DIR/sucursales/$1.pem" "$DIR/sucursales/$1-key.pem"
        found=1
    fi
    [ "$found" -eq 1 ] || [ -n "$(ls "$DIR"/revocados/"$1"-*.pem 2>/dev/null)" ] ||
        die "no hay certificados emitidos a '$1'"
    make_crl
    echo "$PROG: revocados los certificados de $1; reinicie el servidor o" \
         "recargue la CRL ($DIR/crl.pem)"
}

listing() {
    for f in "$DIR"/sucursales/*.pem; do
        case "$f" in *-key.pem|*'*'*) continue ;; esac
        until=$(certtool -i --infile "$f" | sed -n 's/^[[:space:]]*Not After: //p')
        echo "sucursal $(basename "$f" .pem): válido hasta $until"
    done
    for f in "$DIR"/revocados/*.pem; do
        [ -e "$f" ] && echo "revocado: $(basename "$f" .pem)"
    done
    echo "CRL número $(cat "$DIR/crl-numero"), próxima actualización:" \
         "$(certtool --crl-info --infile "$DIR/crl.pem" |
            sed -n 's/^[[:space:]]*Next at: //p')"
}

ensure_ca
ensure_crl
cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
"")
    server_cert localhost 127.0.0.1 ::1 ;;
servidor)
    server_cert "$@" ;;
sucursal)
    [ $# -gt 0 ] || misuse "sucursal: falta al menos un nombre"
    for b in "$@"; do
        valid_name "$b" || misuse "nombre de sucursal inválido: '$b'"
        [ -s "$DIR/sucursales/$b.pem" ] || branch_cert "$b"
    done ;;
renovar)
    [ $# -eq 1 ] || misuse "renovar: un nombre de sucursal"
    branch_cert "$1" ;;
revocar)
    [ $# -eq 1 ] || misuse "revocar: un nombre de sucursal"
    revoke "$1" ;;
crl)
    [ $# -eq 0 ] || misuse "crl: no lleva argumentos"
    make_crl
    echo "$PROG: CRL rehecha: $DIR/crl.pem" ;;
lista)
    listing ;;
*)
    misuse "orden desconocida: $cmd" ;;
esac
