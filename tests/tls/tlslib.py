"""tlslib.py - certificates and Python's own TLS (the ssl module, on OpenSSL)
for the RPC-with-TLS tests: the independent peer the project's code is
checked against.

    pki = Pki()                 # made once per test process, in a temp folder
    pki.cert("sucursal-norte")  # (cert, key) of a branch of the chain's CA
    ctx = client_context(pki, "sucursal-norte")
    pki.server_files()          # (cert, key, ca, crl) for a server

The chain's CA comes from scripts/certificados.sh (CERTIFICADOS): the
server for localhost, 127.0.0.1 and ::1; branches sucursal-norte,
sucursal-sur and sucursal-revocada, the last revoked in the CRL.  Another
CA ("otra") gives sucursal-intrusa; certtool gives sucursal-caducada,
signed by the chain's CA but expired in 2021.
"""
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import unittest

CERTIFICADOS = os.environ.get("CERTIFICADOS", "scripts/certificados.sh")
AUTH_TLS = 7


class Pki:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="inventario-pki-")
        self.a = os.path.join(self.dir, "cadena")
        self.b = os.path.join(self.dir, "otra")
        self._run(self.a)
        self._run(self.a, "sucursal", "sucursal-norte", "sucursal-sur",
                  "sucursal-revocada")
        # Revoking deletes the branch's files; its key is kept for the tests.
        shutil.copy(os.path.join(self.a, "sucursales", "sucursal-revocada-key.pem"),
                    os.path.join(self.dir, "revocada-key.pem"))
        self._run(self.a, "revocar", "sucursal-revocada")
        self._run(self.b, "sucursal", "sucursal-intrusa")
        self._expired()

    @staticmethod
    def _run(*args):
        subprocess.run([CERTIFICADOS] + list(args), check=True,
                       stdout=subprocess.DEVNULL, timeout=60)

    def _expired(self):
        tmpl = os.path.join(self.dir, "caducada.tmpl")
        with open(tmpl, "w") as f:
            f.write('cn = "sucursal-caducada"\n'
                    'activation_date = "2020-01-01 00:00:00"\n'
                    'expiration_date = "2021-01-01 00:00:00"\n'
                    "tls_www_client\nsigning_key\n")
        key = os.path.join(self.dir, "caducada-key.pem")
        subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa",
                        "--outfile", key], check=True, capture_output=True)
        subprocess.run(["certtool", "--generate-certificate", "--load-privkey", key,
                        "--load-ca-certificate", os.path.join(self.a, "ca.pem"),
                        "--load-ca-privkey", os.path.join(self.a, "ca-key.pem"),
                        "--template", tmpl, "--outfile",
                        os.path.join(self.dir, "caducada.pem")],
                       check=True, capture_output=True)

    def cert(self, name):
        """(cert, key) of a client: a branch of either CA, or the expired one."""
        if name == "sucursal-caducada":
            return (os.path.join(self.dir, "caducada.pem"),
                    os.path.join(self.dir, "caducada-key.pem"))
        if name == "sucursal-revocada":
            # Revoked: its certificate is in revocados/, its key kept aside.
            d = os.path.join(self.a, "revocados")
            pem = [f for f in os.listdir(d) if f.startswith(name)][0]
            return (os.path.join(d, pem), os.path.join(self.dir, "revocada-key.pem"))
        ca = self.b if name == "sucursal-intrusa" else self.a
        return (os.path.join(ca, "sucursales", name + ".pem"),
                os.path.join(ca, "sucursales", name + "-key.pem"))

    @property
    def ca(self):
        return os.path.join(self.a, "ca.pem")

    @property
    def other_ca(self):
        return os.path.join(self.b, "ca.pem")

    def server_files(self, ca=None):
        return (os.path.join(self.a, "servidor.pem"),
                os.path.join(self.a, "servidor-key.pem"),
                ca or self.ca, os.path.join(self.a, "crl.pem"))

    def other_server_files(self):
        """A server certificate of the other CA, for localhost."""
        self._run(self.b)
        return (os.path.join(self.b, "servidor.pem"),
                os.path.join(self.b, "servidor-key.pem"))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class WithPki(unittest.TestCase):
    """Tests on one set of certificates (Pki), made once per class."""

    @classmethod
    def setUpClass(cls):
        cls.pki = Pki()

    @classmethod
    def tearDownClass(cls):
        cls.pki.close()


def client_context(pki, name=None, alpn=("sunrpc",), tls12=False, ca=None,
                   check_hostname=True):
    """A Python TLS client context: TLS 1.3 only (or 1.2 only), our CA,
    the named branch's certificate (none if name is None)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if tls12:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(ca or pki.ca)
    ctx.check_hostname = check_hostname
    if name is not None:
        ctx.load_cert_chain(*pki.cert(name))
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def server_context(cert, key, ca, alpn=("sunrpc",), tls12=False):
    """A Python TLS server context that requires a client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls12:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx


def peer_cn(tls_sock):
    """The CN of the certificate the other end presented."""
    for rdn in tls_sock.getpeercert().get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def read_line(s, limit=4096):
    """Bytes up to and including b"\\n" (or the end), from a socket."""
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < limit:
        b = s.recv(1)
        if not b:
            break
        buf += b
    return buf


def probe_call(xid, prog, vers):
    """The AUTH_TLS probe: a NULL call, credential AUTH_TLS (empty),
    verifier AUTH_NONE, in one record (RFC 9289 section 4.1)."""
    body = struct.pack(">10I", xid, 0, 2, prog, vers, 0, AUTH_TLS, 0, 0, 0)
    return struct.pack(">I", 0x80000000 | len(body)) + body


def read_record_sock(s):
    """One whole RPC record from a socket (plain or TLS)."""
    data = b""
    while True:
        mark = recv_exact(s, 4)
        (m,) = struct.unpack(">I", mark)
        data += recv_exact(s, m & 0x7FFFFFFF)
        if m & 0x80000000:
            return data


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def drain(s, limit=1 << 20):
    """What the peer sends until it closes (b"" if nothing); a reset counts
    as closed."""
    got = b""
    try:
        while len(got) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except ConnectionError:
        pass
    return got


def rpc_client_on(sock, prog, vers, cred=None):
    """tests/lib/rpc.py's Client on a socket already connected (a TLS one)."""
    import rpc
    c = rpc.Client.__new__(rpc.Client)
    c.prog, c.vers = prog, vers
    c.cred = cred or (rpc.AUTH_NONE, b"")
    c.xid = (os.getpid() << 12) & 0x7FFFFFFF
    c.sock = sock
    return c


def connect(port, host="127.0.0.1", timeout=10.0):
    s = socket.create_connection((host, port), timeout=timeout)
    return s
