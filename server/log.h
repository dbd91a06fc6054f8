/* log.h - the server's log: one line per event on stderr, with time and level.
 *
 * The server runs in the foreground and leaves collection to whoever runs
 * it (a terminal, systemd's journal).  Safe from any thread: each line is
 * written with a single write(2).  log_warn and fatal append strerror(errno)
 * the way OpenBSD daemons do; the "x" variants do not.
 */
#ifndef INVENTARIO_LOG_H
#define INVENTARIO_LOG_H

#include <stdbool.h>

/* Whether log_debug prints (the server's -v). Set once at start-up. */
void log_init(bool verbose);
bool log_verbose(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * A warning a peer can repeat at will (a refused call, a bad record, a bad
 * credential): at most one line per LOG_LIMITE_S seconds for each kind and
 * address; the lines held back are counted, and the count is logged in one
 * line when the next one of that kind and address is let through, or by
 * log_limitado_vaciar once the period is over.  'kind' and 'addr' are
 * short keys (copied); any thread.
 */
#define LOG_LIMITE_S 5
void log_limitado(const char *kind, const char *addr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs the counts of lines held back whose period is over (all of them if
 * 'todo': at shutdown); called now and then (the event loop does, a few
 * times a second). */
void log_limitado_vaciar(bool todo);

#endif
