/* tls.h - what the server's and the client's RPC-with-TLS share.
 *
 * RFC 9289: a client asks for TLS with a NULL call whose credential has
 * flavor AUTH_TLS; a server that can upgrade answers with an AUTH_NONE
 * verifier holding the 8 bytes "STARTTLS", and both then run a TLS
 * handshake on the same connection, ALPN "sunrpc".  Here only TLS 1.3 is
 * offered or accepted, and every peer proves itself with a certificate of
 * the chain's CA.  GnuTLS does the TLS (README: dependencies).
 *
 * Pure functions and constants: safe from any thread.
 */
#ifndef INVENTARIO_COMMON_TLS_H
#define INVENTARIO_COMMON_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

/* The credential flavor of the probe (RFC 9289 section 4.1); libtirpc's
 * headers do not have it. */
#define TLS_AUTH_FLAVOR 7

/* The probe's reply verifier: AUTH_NONE with exactly these 8 bytes. */
#define TLS_STARTTLS     "STARTTLS"
#define TLS_STARTTLS_LEN 8

/* The ALPN protocol id (RFC 9289 section 7.2). */
#define TLS_ALPN "sunrpc"

/* GnuTLS priorities: its defaults, but TLS 1.3 only (RFC 9289 asks for 1.3
 * or later; nothing older is negotiated, so there is no renegotiation). */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* What every session of one end shares: its certificate and key, the CA
 * it checks the other end against (and the CRL), and the priorities. */
struct tls_credentials {
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t                prio;
};

/* Loads the files into c (crl may be NULL).  False with a Spanish sentence
 * in err if one is missing, unreadable or not PEM, if the key does not
 * match the certificate, or if the CA file holds no certificate; c then
 * holds nothing. */
bool tls_credentials_load(struct tls_credentials *c, const char *cert,
                          const char *key, const char *ca, const char *crl,
                          char *err, size_t errlen);
void tls_credentials_free(struct tls_credentials *c);

/* Sets ALPN "sunrpc" on the session and requires it. */
int tls_set_alpn(gnutls_session_t s);

/* True if the handshake agreed on ALPN "sunrpc". */
int tls_alpn_ok(gnutls_session_t s);

/* A Spanish sentence for why a handshake failed with GnuTLS error 'err',
 * written into buf (always NUL-terminated).  For a certificate that did
 * not verify, it names the reason (expired, revoked, another CA...) from
 * the session's verification status.  Returns buf. */
const char *tls_error_text(gnutls_session_t s, int err, char *buf, size_t len);

/* The reasons in a certificate verification status, in Spanish, joined
 * with ", " (e.g. "caducado, revocado").  Returns buf. */
const char *tls_verify_text(unsigned status, char *buf, size_t len);

#endif
