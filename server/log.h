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

#endif
