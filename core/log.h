/*
 * log.h - the operator's log (stderr, one line per event, time-stamped).
 * OpenBSD-style: log_warn appends strerror(errno), log_warnx does not;
 * fatal/fatalx log and exit(1).  The pusher never sees these lines; what the
 * pusher sees goes through the protocol (see gitd/ and deploy/).
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Tag every following line with who is logging ("serve", "conn 127.0.0.1"). */
void log_init(const char *tag, int verbose);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

#endif
