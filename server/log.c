/* log.c - timestamped, levelled log lines on stderr; see log.h. */
#include "log.h"

#include <errno.h>
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
