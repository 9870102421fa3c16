#include "log.h"

#include "buf.h"
#include "fmt.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum log_level log_verbosity = LOG_INFO;
int log_json;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void
text_value(struct buf *b, const char *v)
{
	/* logfmt: quote values with spaces, quotes or '=', and escape anything but printable
	 * ASCII, so a log line is always valid UTF-8 text (a URL may hold any byte). */
	int plain = *v != '\0';
	for (const unsigned char *p = (const unsigned char *)v; *p && plain; p++)
		plain = *p > 0x20 && *p < 0x7f && !strchr("\"=\\", *p);
	if (plain)
		buf_append(b, v, strlen(v));
	else
		buf_json_string(b, v, strlen(v));
}

static void
emit(enum log_level level, const char *msg, va_list *fields)
{
	struct buf b = {0};
	if (log_json) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		buf_append(&b, "{\"time\":\"", 9);
		buf_rfc3339(&b, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		buf_printf(&b, "\",\"level\":\"%s\",\"msg\":", level_names[level]);
		buf_json_string(&b, msg, strlen(msg));
	} else {
		buf_printf(&b, "podhealth: %s: %s", level_names[level], msg);
	}
	const char *k;
	while (fields && (k = va_arg(*fields, const char *))) {
		const char *v = va_arg(*fields, const char *);
		if (log_json) {
			buf_append(&b, ",", 1);
			buf_json_string(&b, k, strlen(k));
			buf_append(&b, ":", 1);
			buf_json_string(&b, v, strlen(v));
		} else {
			buf_printf(&b, " %s=", k);
			text_value(&b, v);
		}
	}
	buf_append(&b, log_json ? "}\n" : "\n", log_json ? 2 : 1);
	/* One write per line, so lines from a supervised child never interleave with ours. */
	if (!b.failed)
		fmt_write(2, b.data, b.len);
	buf_free(&b);
}

void
log_event(enum log_level level, const char *msg, ...)
{
	if (level > log_verbosity)
		return;
	va_list ap;
	va_start(ap, msg);
	emit(level, msg, &ap);
	va_end(ap);
}

static void
vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	fmt_vformat(msg, sizeof msg, fmt, ap);
	emit(level, msg, NULL);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_verbosity)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

const char *
log_signal_name(int sig, char *buf, unsigned len)
{
	/* Linux's numbering, the same on x86-64 and arm64: signal n is the nth name. */
	static const char names[] = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE "
				    "ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU "
				    "XFSZ VTALRM PROF WINCH IO PWR SYS ";
	const char *p = names;
	for (int n = 1; n < sig && *p; n++)
		p = strchr(p, ' ') + 1;
	if (sig > 0 && *p)
		fmt_format(buf, len, "SIG%.*s", (int)strcspn(p, " "), p);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		fmt_format(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		fmt_format(buf, len, "SIG%d", sig);
	return buf;
}

void
log_setup(int json, int quiet)
{
	log_json = json;
	if (quiet)
		log_verbosity = LOG_WARN;
}
