/* log.c - timestamped, levelled log lines on stderr; see log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Set once by log_init before any thread starts; read-only afterwards. */
static bool verbose;

void
log_init(bool v)
{
    verbose = v;
}

bool
log_verbose(void)
{
    return verbose;
}

static void vlog(const char *level, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vlog(const char *level, int errnum, const char *fmt, va_list ap)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int r;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
    r = snprintf(line + n, sizeof line - n, ".%03ld %s: ",
                 ts.tv_nsec / 1000000, level);
    if (r > 0)
        n += (size_t)r;
    if (n < sizeof line) {
        r = vsnprintf(line + n, sizeof line - n, fmt, ap);
        if (r > 0)
            n += (size_t)r;
    }
    if (errnum != 0 && n < sizeof line) {
        r = snprintf(line + n, sizeof line - n, ": %s", strerror(errnum));
        if (r > 0)
            n += (size_t)r;
    }
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    /* One write per line, so lines from different threads never mix. */
    if (write(STDERR_FILENO, line, n) < 0) {
        /* Nowhere left to report it. */
    }
}

#define LOGFN(name, level, with_errno)                                   \
    void name(const char *fmt, ...)                                      \
    {                                                                    \
        int saved = errno;                                               \
        va_list ap;                                                      \
        va_start(ap, fmt);                                               \
        vlog(level, (with_errno) ? saved : 0, fmt, ap);                  \
        va_end(ap);                                                      \
        errno = saved;                                                   \
    }

LOGFN(log_info, "info", 0)
LOGFN(log_warn, "aviso", 1)
LOGFN(log_warnx, "aviso", 0)

void
log_debug(const char *fmt, ...)
{
    va_list ap;

    if (!verbose)
        return;
    va_start(ap, fmt);
    vlog("debug", 0, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog("error", saved, fmt, ap);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("error", 0, fmt, ap);
    va_end(ap);
    exit(1);
}

/*
 * The throttle's table: a few slots, one per kind and address seen lately,
 * guarded by 'lim_mu' (taken for a few instructions and one log write).
 * When every slot is busy the oldest period is reused: its count, if any,
 * is logged first, so nothing held back goes unmentioned.
 */
#define LIM_SLOTS 64

struct lim {
    char     kind[24];
    char     addr[48];
    time_t   since;         /* start of the period, monotonic seconds */
    unsigned held;          /* lines held back in it */
    bool     used;
};

static pthread_mutex_t lim_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lim lims[LIM_SLOTS];

static time_t
mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void
lim_report(struct lim *l)
{
    if (l->held > 0)
        log_warnx("%u avisos más como el anterior (%s%s%s) en %d s, omitidos",
                  l->held, l->kind, l->addr[0] ? " de " : "", l->addr,
                  LOG_LIMITE_S);
    l->held = 0;
}

void
log_limitado(const char *kind, const char *addr, const char *fmt, ...)
{
    struct lim *l = NULL, *oldest = &lims[0];
    time_t now = mono_s();
    va_list ap;

    pthread_mutex_lock(&lim_mu);
    for (size_t i = 0; i < LIM_SLOTS; i++) {
        struct lim *x = &lims[i];

        if (x->used && strcmp(x->kind, kind) == 0 && strcmp(x->addr, addr) == 0) {
            l = x;
            break;
        }
        if (!x->used || (oldest->used && x->since < oldest->since))
            oldest = x;
    }
    if (l != NULL && now - l->since < LOG_LIMITE_S) {
        l->held++;
        pthread_mutex_unlock(&lim_mu);
        return;
    }
    if (l == NULL) {
        l = oldest;
        if (l->used)
            lim_report(l);
        snprintf(l->kind, sizeof l->kind, "%s", kind);
        snprintf(l->addr, sizeof l->addr, "%s", addr);
        l->used = true;
    } else {
        lim_report(l);
    }
    l->since = now;
    va_start(ap, fmt);
    vlog("aviso", 0, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&lim_mu);
}

void
log_limitado_vaciar(bool todo)
{
    time_t now = mono_s();

    pthread_mutex_lock(&lim_mu);
    for (size_t i = 0; i < LIM_SLOTS; i++) {
        struct lim *l = &lims[i];

        if (l->used && (todo || now - l->since >= LOG_LIMITE_S)) {
            lim_report(l);
            l->used = false;
        }
    }
    pthread_mutex_unlock(&lim_mu);
}
