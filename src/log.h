/* Logging to stderr, one line per event. */
#ifndef PODHEALTH_LOG_H
#define PODHEALTH_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The one mutable global: how much to log (default LOG_INFO). */
extern enum log_level log_verbosity;

/* Writes "podhealth: LEVEL: message" to stderr when level <= log_verbosity. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Startup only: logs the message as an error and exits with status 1. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
