#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum log_level log_verbosity = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	/* One buffer and one write per line, so lines from the supervised child and from
	 * us never interleave mid-line. */
	char line[1024];
	int n = snprintf(line, sizeof line, "podhealth: %s: ", level_names[level]);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_verbosity)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
