/* tls_server.c - the server's TLS sessions on non-blocking sockets; see tls_server.h. */
#include "tls_server.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"
#include "tls.h"

/* The largest plaintext of one TLS record. */
#define TLS_RECORD_MAX 16384

struct tls_server {
    struct tls_credentials c;
};

struct tls_session {
    gnutls_session_t g;
    int              fd;
    bool             done;          /* handshake complete */
    bool             send_pending;  /* a record waits in GnuTLS for the socket */
    unsigned char   *pre;           /* bytes read before the session existed */
    size_t           pre_len, pre_pos;
    char             peer[64];
    char             identity[TLS_IDENTITY_MAX + 1];
};

/* What the verification of a client's certificate asks for beyond the CA
 * and the CRL: that it be meant for a TLS client (when it says what it is
 * meant for).  GnuTLS keeps this pointer, so it lives for the program. */
static gnutls_typed_vdata_st client_purpose = {
    GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0
};

/* -- credentials ----------------------------------------------------------- */

struct tls_server *
tls_server_new(const struct tls_files *f, char *err, size_t errlen)
{
    struct tls_server *srv = calloc(1, sizeof *srv);

    if (srv == NULL) {
        snprintf(err, errlen, "sin memoria para TLS");
        return NULL;
    }
    if (!tls_credentials_load(&srv->c, f->cert, f->key, f->ca, f->crl, err, errlen)) {
        free(srv);
        return NULL;
    }
    return srv;
}

void
tls_server_free(struct tls_server *srv)
{
    if (srv == NULL)
        return;
    tls_credentials_free(&srv->c);
    free(srv);
}

/* -- the socket under GnuTLS ------------------------------------------------ */

static ssize_t
pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
    struct tls_session *s = p;
    ssize_t r;

    if (s->pre_pos < s->pre_len) {
        size_t n = s->pre_len - s->pre_pos;

        if (n > len)
            n = len;
        memcpy(buf, s->pre + s->pre_pos, n);
        s->pre_pos += n;
        return (ssize_t)n;
    }
    r = recv(s->fd, buf, len, 0);
    if (r < 0)
        gnutls_transport_set_errno(s->g, errno);
    return r;
}

/* GnuTLS asks this before some reads; the loop never blocks, so neither
 * does it: it only says whether bytes are there now. */
static int
pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
    struct tls_session *s = p;
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

    (void)ms;
    if (s->pre_pos < s->pre_len)
        return 1;
    return poll(&pfd, 1, 0);
}

static ssize_t
vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
    struct tls_session *s = p;
    struct msghdr m = { .msg_iov = (struct iovec *)(uintptr_t)iov,
                        .msg_iovlen = (size_t)iovcnt };
    ssize_t r = sendmsg(s->fd, &m, MSG_NOSIGNAL);

    if (r < 0)
        gnutls_transport_set_errno(s->g, errno);
    return r;
}

/* -- sessions ---------------------------------------------------------------- */

struct tls_session *
tls_session_new(struct tls_server *srv, int fd, const char *peer,
                const void *preread, size_t n)
{
    struct tls_session *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->fd = fd;
    snprintf(s->peer, sizeof s->peer, "%s", peer ? peer : "?");
    if (n > 0) {
        if ((s->pre = malloc(n)) == NULL)
            goto fail;
        memcpy(s->pre, preread, n);
        s->pre_len = n;
    }
    /* No tickets: a resumed session would carry no certificate to check. */
    if (gnutls_init(&s->g, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
                    GNUTLS_NO_TICKETS) < 0) {
        s->g = NULL;
        goto fail;
    }
    if (gnutls_priority_set(s->g, srv->c.prio) < 0 ||
        gnutls_credentials_set(s->g, GNUTLS_CRD_CERTIFICATE, srv->c.cred) < 0 ||
        tls_set_alpn(s->g) < 0)
        goto fail;
    gnutls_certificate_server_set_request(s->g, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert2(s->g, &client_purpose, 1, 0);
    /* The transport's call deadline bounds the handshake instead. */
    gnutls_handshake_set_timeout(s->g, 0);
    gnutls_transport_set_ptr(s->g, s);
    gnutls_transport_set_pull_function(s->g, pull);
    gnutls_transport_set_pull_timeout_function(s->g, pull_timeout);
    gnutls_transport_set_vec_push_function(s->g, vec_push);
    return s;
fail:
    if (s->g != NULL)
        gnutls_deinit(s->g);
    free(s->pre);
    free(s);
    return NULL;
}

/* One line per refusal, throttled per address and reason (log.h): a flood
 * of bad handshakes cannot flood the journal, and a new reason still shows. */
static void
log_refused(const struct tls_session *s, const char *kind, const char *why)
{
    log_limitado(kind, s->peer, "TLS con %s rechazado: %s", s->peer, why);
}

/* A name that can stand for the caller in 'origen' and --allow-write:
 * visible ASCII only, no spaces, not empty, not too long. */
static bool
identity_ok(const char *p, size_t n)
{
    if (n == 0 || n > TLS_IDENTITY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7F)
            return false;
    return true;
}

/* The client's name from its certificate (tls_server.h); false if it has none
 * that identity_ok accepts. */
static bool
take_identity(struct tls_session *s)
{
    const gnutls_datum_t *certs;
    unsigned ncerts = 0;
    gnutls_x509_crt_t crt;
    char buf[256];
    size_t sz;
    bool found = false;

    certs = gnutls_certificate_get_peers(s->g, &ncerts);
    if (certs == NULL || ncerts == 0 || gnutls_x509_crt_init(&crt) < 0)
        return false;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0)
        goto out;
    for (unsigned seq = 0; !found; seq++) {
        unsigned critical;
        int t;

        sz = sizeof buf;
        t = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, &sz, &critical);
        if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if ((t == GNUTLS_SAN_DNSNAME || t == GNUTLS_SAN_URI) && identity_ok(buf, sz)) {
            memcpy(s->identity, buf, sz);
            s->identity[sz] = '\0';
            found = true;
        }
    }
    sz = sizeof buf;
    if (!found && gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                                0, 0, buf, &sz) == 0 &&
        identity_ok(buf, sz)) {
        memcpy(s->identity, buf, sz);
        s->identity[sz] = '\0';
        found = true;
    }
out:
    gnutls_x509_crt_deinit(crt);
    return found;
}

/* The last checks once GnuTLS is done: ALPN agreed and a usable name. */
static enum tls_step
finish(struct tls_session *s)
{
    if (!tls_alpn_ok(s->g)) {
        gnutls_alert_send(s->g, GNUTLS_AL_FATAL, GNUTLS_A_NO_APPLICATION_PROTOCOL);
        log_refused(s, "tls-alpn", "sin el protocolo de aplicación ALPN sunrpc");
        return TLS_STEP_FAILED;
    }
    if (!take_identity(s)) {
        gnutls_alert_send(s->g, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
        log_refused(s, "tls-nombre", "el certificado no tiene un nombre utilizable "
                    "(CN, DNS o URI de hasta 64 caracteres ASCII visibles, sin espacios)");
        return TLS_STEP_FAILED;
    }
    s->done = true;
    log_debug("TLS con %s: %s", s->peer, s->identity);
    return TLS_STEP_DONE;
}

/*
 * Before the connection closes on a refused handshake: what the client
 * already sent after its Finished (its first call, in TLS 1.3) is read and
 * dropped, so that closing sends FIN, not RST, and the client reads the
 * alert that says why instead of a reset.  Bounded: a few reads.
 */
static void
discard_input(struct tls_session *s)
{
    char buf[4096];

    for (int i = 0; i < 16; i++)
        if (recv(s->fd, buf, sizeof buf, MSG_DONTWAIT) <= 0)
            break;
    (void)shutdown(s->fd, SHUT_WR);
}

/* The TLS alert for a client certificate that did not verify. */
static gnutls_alert_description_t
cert_alert(unsigned status)
{
    if (status & GNUTLS_CERT_REVOKED)
        return GNUTLS_A_CERTIFICATE_REVOKED;
    if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
        return GNUTLS_A_CERTIFICATE_EXPIRED;
    if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
        return GNUTLS_A_UNKNOWN_CA;
    return GNUTLS_A_BAD_CERTIFICATE;
}

enum tls_step
tls_session_handshake(struct tls_session *s)
{
    char why[256], kind[24];
    int r;

    if (s->done)
        return TLS_STEP_DONE;
    for (;;) {
        r = gnutls_handshake(s->g);
        if (r == GNUTLS_E_SUCCESS)
            return finish(s);
        if (r == GNUTLS_E_AGAIN)
            return gnutls_record_get_direction(s->g) ? TLS_STEP_WRITE : TLS_STEP_READ;
        if (r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(r))
            continue;
        break;
    }
    tls_error_text(s->g, r, why, sizeof why);
    /* The reason's key: the error, or for a certificate the verdict. */
    if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
        snprintf(kind, sizeof kind, "tls-cert-%x", gnutls_session_get_verify_cert_status(s->g));
    else
        snprintf(kind, sizeof kind, "tls%d", r);
    /* Best effort: the socket may not take it, and the connection closes.
     * A certificate refused says why, so that the branch's client can. */
    if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
        gnutls_alert_send(s->g, GNUTLS_AL_FATAL,
                          cert_alert(gnutls_session_get_verify_cert_status(s->g)));
    else
        gnutls_alert_send_appropriate(s->g, r);
    discard_input(s);
    log_refused(s, kind, why);
    return TLS_STEP_FAILED;
}

ssize_t
tls_session_read(struct tls_session *s, void *buf, size_t len)
{
    ssize_t r;

    for (;;) {
        r = gnutls_record_recv(s->g, buf, len);
        if (r >= 0)
            return r;
        if (r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r == GNUTLS_E_AGAIN) {
            errno = EAGAIN;
            return -1;
        }
        /* The peer closed the socket without close_notify: the end all the
         * same, since every RPC record carries its own length. */
        if (r == GNUTLS_E_PREMATURE_TERMINATION)
            return 0;
        if (!gnutls_error_is_fatal(r))
            continue;
        log_debug("TLS con %s (%s): %s", s->peer, s->identity, gnutls_strerror(r));
        errno = r == GNUTLS_E_PULL_ERROR ? ECONNRESET : EPROTO;
        return -1;
    }
}

ssize_t
tls_session_write(struct tls_session *s, const void *buf, size_t len)
{
    ssize_t r;

    if (len > TLS_RECORD_MAX)
        len = TLS_RECORD_MAX;
    for (;;) {
        r = s->send_pending ? gnutls_record_send(s->g, NULL, 0)
                            : gnutls_record_send(s->g, buf, len);
        if (r >= 0) {
            s->send_pending = false;
            return r;
        }
        if (r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r == GNUTLS_E_AGAIN) {
            s->send_pending = true;
            errno = EAGAIN;
            return -1;
        }
        log_debug("TLS con %s (%s): %s", s->peer, s->identity, gnutls_strerror(r));
        errno = r == GNUTLS_E_PUSH_ERROR ? EPIPE : EPROTO;
        return -1;
    }
}

bool
tls_session_pending(const struct tls_session *s)
{
    return gnutls_record_check_pending(s->g) > 0;
}

bool
tls_session_wants_write(const struct tls_session *s)
{
    return gnutls_record_get_direction(s->g) == 1;
}

const char *
tls_session_identity(const struct tls_session *s)
{
    return s->identity;
}

void
tls_session_free(struct tls_session *s)
{
    if (s == NULL)
        return;
    if (s->done && !s->send_pending)
        gnutls_bye(s->g, GNUTLS_SHUT_WR);
    gnutls_deinit(s->g);
    free(s->pre);
    free(s);
}
