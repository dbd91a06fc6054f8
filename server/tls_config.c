/* tls_config.c - the server's TLS options; see tls_config.h. */
#include "tls_config.h"

#include <stdio.h>
#include <string.h>

#include "conn_tls.h"
#include "dispatch.h"
#include "log.h"

void
tls_config_init(struct tls_config *t)
{
    memset(t, 0, sizeof *t);
    t->mode = TLS_MODE_OFF;
}

bool
tls_config_option(struct tls_config *t, int opt, const char *arg, bool *misuse,
                  char *err, size_t errlen)
{
    *misuse = false;
    switch (opt) {
    case TLS_OPT_MODE:
        t->mode_given = true;
        if (strcmp(arg, "off") == 0)
            t->mode = TLS_MODE_OFF;
        else if (strcmp(arg, "optional") == 0)
            t->mode = TLS_MODE_OPTIONAL;
        else if (strcmp(arg, "required") == 0)
            t->mode = TLS_MODE_REQUIRED;
        else {
            snprintf(err, errlen, "valor inválido para --tls: '%s' (off, optional "
                     "o required)", arg);
            *misuse = true;
            return false;
        }
        return true;
    case TLS_OPT_CERT:
        t->files.cert = arg;
        return true;
    case TLS_OPT_KEY:
        t->files.key = arg;
        return true;
    case TLS_OPT_CA:
        t->files.ca = arg;
        return true;
    case TLS_OPT_CRL:
        t->files.crl = arg;
        return true;
    default:
        return false;
    }
}

bool
tls_config_check(struct tls_config *t, char *err, size_t errlen)
{
    const struct tls_files *f = &t->files;
    bool any = f->cert || f->key || f->ca || f->crl;
    const char *falta = f->cert == NULL ? "--tls-cert" : f->key == NULL ? "--tls-key"
                      : f->ca == NULL ? "--tls-ca" : NULL;

    if (t->mode_given && t->mode == TLS_MODE_OFF)
        return true;                    /* off, whatever the files say */
    if (!any && !t->mode_given)
        return true;                    /* no certificate: off */
    if (falta != NULL) {
        snprintf(err, errlen, "%s necesita %s (con --tls-cert, --tls-key y --tls-ca)",
                 t->mode_given ? (t->mode == TLS_MODE_REQUIRED ? "--tls required"
                                                               : "--tls optional")
                               : "TLS", falta);
        return false;
    }
    if (!t->mode_given)
        t->mode = TLS_MODE_OPTIONAL;
    return true;
}

bool
tls_config_start(struct tls_config *t, char *err, size_t errlen)
{
    if (t->mode == TLS_MODE_OFF)
        return true;
    if ((t->srv = tls_server_new(&t->files, err, errlen)) == NULL)
        return false;
    conn_tls_init(t->srv);
    dispatch_tls_required(t->mode == TLS_MODE_REQUIRED);
    log_info("RPC con TLS %s: certificado %s, CA %s%s%s",
             t->mode == TLS_MODE_REQUIRED ? "obligatorio" : "opcional",
             t->files.cert, t->files.ca, t->files.crl ? ", CRL " : "",
             t->files.crl ? t->files.crl : "");
    return true;
}

void
tls_config_stop(struct tls_config *t)
{
    conn_tls_init(NULL);
    tls_server_free(t->srv);
    t->srv = NULL;
}
