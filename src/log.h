/* Logging to stderr, one line per event, as text or JSON lines. */
#ifndef PODHEALTH_LOG_H
#define PODHEALTH_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* The only mutable globals: how much to log (default LOG_INFO) and whether as JSON. */
extern enum log_level log_verbosity;
extern int log_json;

/* Logs an event: msg, then key/value string pairs ending with NULL. Text:
 * "podhealth: warn: check unhealthy check=envoy reason="connection refused"";
 * JSON: {"time":"...","level":"warn","msg":"check unhealthy","check":"envoy",...}. */
/* Sets up logging from the configuration: JSON lines or text; quiet: warnings and errors
 * only. Once, at startup. */
void log_setup(int json, int quiet);

void log_event(enum log_level level, const char *msg, ...) __attribute__((sentinel));

/* Writes the name of signal sig ("SIGTERM"; "SIGRTMIN+3", "SIG99" for others) into buf
 * (16 bytes are enough) and returns buf: every log line names a signal this way. */
const char *log_signal_name(int sig, char *buf, unsigned len);

/* Logs a formatted message with no fields. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Startup only: logs the message as an error and exits with status 1. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
