/* tls.c - credentials, ALPN and the Spanish texts of TLS failures; see tls.h. */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* fopen's verdict on a file, so that a missing or unreadable one is told
 * apart from one GnuTLS cannot parse. */
static bool
readable(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        snprintf(err, errlen, "no se puede leer %s %s: %s", what, path,
                 strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

bool
tls_credentials_load(struct tls_credentials *c, const char *cert, const char *key,
                     const char *ca, const char *crl, char *err, size_t errlen)
{
    const char *errpos = NULL;
    int r;

    memset(c, 0, sizeof *c);
    if (!readable("el certificado", cert, err, errlen) ||
        !readable("la clave", key, err, errlen) ||
        !readable("la CA", ca, err, errlen) ||
        (crl != NULL && !readable("la CRL", crl, err, errlen)))
        return false;
    if ((r = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
        c->cred = NULL;
        snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
        goto fail;
    }
    r = gnutls_certificate_set_x509_key_file(c->cred, cert, key, GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        snprintf(err, errlen, "el certificado %s o la clave %s no sirven: %s",
                 cert, key, gnutls_strerror(r));
        goto fail;
    }
    r = gnutls_certificate_set_x509_trust_file(c->cred, ca, GNUTLS_X509_FMT_PEM);
    if (r <= 0) {
        snprintf(err, errlen, "la CA %s no contiene ningún certificado%s%s", ca,
                 r < 0 ? ": " : "", r < 0 ? gnutls_strerror(r) : "");
        goto fail;
    }
    if (crl != NULL &&
        (r = gnutls_certificate_set_x509_crl_file(c->cred, crl, GNUTLS_X509_FMT_PEM)) < 0) {
        snprintf(err, errlen, "la CRL %s no sirve: %s", crl, gnutls_strerror(r));
        goto fail;
    }
    if ((r = gnutls_priority_init(&c->prio, TLS_PRIORITY, &errpos)) < 0) {
        c->prio = NULL;
        snprintf(err, errlen, "TLS: %s", gnutls_strerror(r));
        goto fail;
    }
    return true;
fail:
    tls_credentials_free(c);
    return false;
}

void
tls_credentials_free(struct tls_credentials *c)
{
    if (c->prio != NULL)
        gnutls_priority_deinit(c->prio);
    if (c->cred != NULL)
        gnutls_certificate_free_credentials(c->cred);
    memset(c, 0, sizeof *c);
}

int
tls_set_alpn(gnutls_session_t s)
{
    gnutls_datum_t p = { (unsigned char *)TLS_ALPN, sizeof TLS_ALPN - 1 };

    return gnutls_alpn_set_protocols(s, &p, 1, GNUTLS_ALPN_MANDATORY);
}

int
tls_alpn_ok(gnutls_session_t s)
{
    gnutls_datum_t p;

    return gnutls_alpn_get_selected_protocol(s, &p) == 0 &&
           p.size == sizeof TLS_ALPN - 1 &&
           memcmp(p.data, TLS_ALPN, p.size) == 0;
}

static const struct {
    unsigned    bit;
    const char *text;
} verify_reasons[] = {
    { GNUTLS_CERT_SIGNER_NOT_FOUND,    "firmado por una CA que no es la de la cadena" },
    { GNUTLS_CERT_SIGNER_NOT_CA,       "su firmante no es una CA" },
    { GNUTLS_CERT_EXPIRED,             "caducado" },
    { GNUTLS_CERT_NOT_ACTIVATED,       "aún no es válido" },
    { GNUTLS_CERT_REVOKED,             "revocado" },
    { GNUTLS_CERT_SIGNATURE_FAILURE,   "firma inválida" },
    { GNUTLS_CERT_INSECURE_ALGORITHM,  "algoritmo inseguro" },
    { GNUTLS_CERT_UNEXPECTED_OWNER,    "no es del nombre pedido" },
    { GNUTLS_CERT_PURPOSE_MISMATCH,    "no sirve para este uso" },
    { GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, "la CRL está caducada" },
    { GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, "la CRL es de una fecha futura" },
    { GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "su firmante no puede firmarlo" },
    { GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "extensión crítica desconocida" },
};

const char *
tls_verify_text(unsigned status, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof verify_reasons / sizeof verify_reasons[0]; i++) {
        int r;

        if (!(status & verify_reasons[i].bit))
            continue;
        r = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", verify_reasons[i].text);
        if (r < 0 || (size_t)r >= len - n)
            return buf;
        n += (size_t)r;
    }
    if (n == 0)
        snprintf(buf, len, "no válido");
    return buf;
}

/* The alerts a peer sends when it refuses us, in Spanish. */
static const char *
alert_text(gnutls_alert_description_t a)
{
    switch (a) {
    case GNUTLS_A_UNKNOWN_CA:
        return "no reconoce la CA de nuestro certificado";
    case GNUTLS_A_BAD_CERTIFICATE:
    case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
        return "no acepta nuestro certificado";
    case GNUTLS_A_CERTIFICATE_EXPIRED:
        return "nuestro certificado está caducado";
    case GNUTLS_A_CERTIFICATE_REVOKED:
        return "nuestro certificado está revocado";
    case GNUTLS_A_CERTIFICATE_REQUIRED:
        return "exige un certificado de cliente";
    case GNUTLS_A_NO_APPLICATION_PROTOCOL:
        return "no acepta el protocolo de aplicación (ALPN sunrpc)";
    case GNUTLS_A_PROTOCOL_VERSION:
        return "no acepta la versión de TLS";
    case GNUTLS_A_HANDSHAKE_FAILURE:
        return "no encuentra parámetros comunes";
    default:
        return NULL;
    }
}

const char *
tls_error_text(gnutls_session_t s, int err, char *buf, size_t len)
{
    char why[256];
    const char *t;

    switch (err) {
    case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
        snprintf(buf, len, "certificado rechazado: %s",
                 tls_verify_text(gnutls_session_get_verify_cert_status(s),
                                 why, sizeof why));
        break;
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED:
        snprintf(buf, len, "no presentó certificado");
        break;
    case GNUTLS_E_CERTIFICATE_ERROR:
        snprintf(buf, len, "certificado ilegible o no válido");
        break;
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
    case GNUTLS_E_NO_CIPHER_SUITES:
        /* An older TLS has none of TLS 1.3's suites: either way, this. */
        snprintf(buf, len, "versión de TLS o cifrado no admitidos (solo se "
                 "admite TLS 1.3)");
        break;
    case GNUTLS_E_NO_APPLICATION_PROTOCOL:
        snprintf(buf, len, "sin el protocolo de aplicación ALPN sunrpc");
        break;
    case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
    case GNUTLS_E_UNEXPECTED_PACKET:
    case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
        snprintf(buf, len, "lo recibido no es un saludo TLS");
        break;
    case GNUTLS_E_PREMATURE_TERMINATION:
    case GNUTLS_E_PULL_ERROR:
    case GNUTLS_E_PUSH_ERROR:
        snprintf(buf, len, "la conexión se cerró durante el saludo TLS");
        break;
    case GNUTLS_E_FATAL_ALERT_RECEIVED:
        t = alert_text(gnutls_alert_get(s));
        if (t != NULL)
            snprintf(buf, len, "el otro extremo lo rechaza: %s", t);
        else if ((t = gnutls_alert_get_name(gnutls_alert_get(s))) != NULL)
            snprintf(buf, len, "el otro extremo lo rechaza (alerta TLS «%s»)", t);
        else
            snprintf(buf, len, "el otro extremo lo rechaza");
        break;
    default:
        snprintf(buf, len, "error de TLS (%s)", gnutls_strerror(err));
        break;
    }
    return buf;
}
