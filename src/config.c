#include "config.h"

#include "target.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
duration_parse(const char *s, int64_t max_ms, int64_t *ms, char *err, size_t errlen)
{
	const char *p = s;
	int64_t whole = 0, frac = 0, scale = 1;
	int digits = 0;
	if (*p == '-')
		return fail(err, errlen, "must be positive");
	while (isdigit((unsigned char)*p)) {
		if (++digits > 9)
			return fail(err, errlen, "is too large");
		whole = whole * 10 + (*p++ - '0');
	}
	if (*p == '.') {
		p++;
		int fdigits = 0;
		while (isdigit((unsigned char)*p)) {
			if (++fdigits > 6)
				return fail(err, errlen, "has too many decimals");
			frac = frac * 10 + (*p++ - '0');
			scale *= 10;
		}
		if (fdigits == 0)
			return fail(err, errlen, "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	}
	if (digits == 0 && scale == 1)
		return fail(err, errlen, "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	int64_t unit_us;
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit_us = 1000000;
	else if (strcmp(p, "ms") == 0)
		unit_us = 1000;
	else if (strcmp(p, "m") == 0)
		unit_us = 60 * 1000000LL;
	else if (strcmp(p, "h") == 0)
		unit_us = 3600 * 1000000LL;
	else
		return fail(err, errlen, "has an unknown unit (want ms, s, m or h)");
	int64_t us = whole * unit_us + frac * unit_us / scale;
	if (us == 0)
		return fail(err, errlen, "must be greater than zero");
	if (us < 1000)
		return fail(err, errlen, "is shorter than 1ms");
	if (us / 1000 > max_ms) {
		char max[32];
		duration_format(max_ms, max, sizeof max);
		return fail(err, errlen, "is longer than the maximum, %s", max);
	}
	*ms = us / 1000;
	return 0;
}

void
duration_format(int64_t ms, char *out, size_t len)
{
	if (ms < 1000)
		snprintf(out, len, "%lldms", (long long)ms);
	else if (ms % 1000 == 0 && ms < 60000)
		snprintf(out, len, "%llds", (long long)(ms / 1000));
	else if (ms < 60000)
		snprintf(out, len, "%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
	else if (ms % 3600000 == 0)
		snprintf(out, len, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(out, len, "%lldm", (long long)(ms / 60000));
	else
		snprintf(out, len, "%lldm%llds", (long long)(ms / 60000),
			 (long long)(ms % 60000 / 1000));
	/* "2.500s" reads better as "2.5s". */
	char *dot = strchr(out, '.');
	if (dot) {
		char *end = dot + strlen(dot) - 1; /* the 's' */
		while (end[-1] == '0')
			memmove(end - 1, end, 2), end--;
	}
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (!*s || strlen(s) > 10)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
config_is_legacy(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
set_port(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned long port;
	if (parse_uint(v, 1, 65535, &port) < 0)
		return fail(err, errlen, "invalid %s '%s': want a port number 1-65535", name, v);
	c->port = (uint16_t)port;
	return 0;
}

static int
set_timeout(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	char why[96];
	if (duration_parse(v, MAX_TIMEOUT_MS, &c->timeout_ms, why, sizeof why) < 0) {
		snprintf(err, errlen, "invalid %s '%s': %s", name, v, why);
		return -1;
	}
	return 0;
}

static int
add_target(struct config *c, const char *v, char *err, size_t errlen)
{
	char why[128];
	struct target *t = &c->targets[c->ntargets];
	if (target_parse(v, t, why, sizeof why) < 0) {
		snprintf(err, errlen, "invalid endpoint '%s': %s", v, why);
		return -1;
	}
	c->ntargets++;
	return 0;
}

/* Returns the value of option name: "--name=value" or "--name value". */
static const char *
option_value(const char *arg, const char *name, int argc, char **argv, int *i)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	return *i + 1 < argc ? argv[++*i] : "";
}

int
config_parse_serve(struct config *c, int argc, char **argv, int legacy, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->port = DEFAULT_PORT;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->max_conns = DEFAULT_MAX_CONNS;
	c->targets = calloc((size_t)argc + 1, sizeof *c->targets);
	if (!c->targets)
		return fail(err, errlen, "out of memory");

	int i = 0;
	if (legacy) {
		/* podhealth PORT TIMEOUT ENDPOINT...: the original form, kept forever. */
		if (argc < 2)
			return fail(err, errlen, "missing TIMEOUT after PORT");
		if (set_port(c, "PORT", argv[0], err, errlen) < 0 ||
		    set_timeout(c, "TIMEOUT", argv[1], err, errlen) < 0)
			return -1;
		i = 2;
	}
	int options_done = legacy;
	for (; i < argc; i++) {
		const char *a = argv[i], *v;
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (add_target(c, a, err, errlen) < 0)
				return -1;
		} else if (strcmp(a, "--") == 0) {
			options_done = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			c->action = CONFIG_HELP;
			return 0;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			c->action = CONFIG_VERSION;
			return 0;
		} else if ((v = option_value(a, "--port", argc, argv, &i)) ||
			   (v = option_value(a, "-p", argc, argv, &i))) {
			if (set_port(c, "--port", v, err, errlen) < 0)
				return -1;
		} else if ((v = option_value(a, "--timeout", argc, argv, &i)) ||
			   (v = option_value(a, "-t", argc, argv, &i))) {
			if (set_timeout(c, "--timeout", v, err, errlen) < 0)
				return -1;
		} else if ((v = option_value(a, "--listen", argc, argv, &i))) {
			if (target_ip_literal(v) < 0)
				return fail(err, errlen, "invalid --listen '%s': %s", v,
					    "want an IP address such as 0.0.0.0, ::1 or 127.0.0.1");
			c->listen = v;
		} else if ((v = option_value(a, "--max-connections", argc, argv, &i))) {
			unsigned long n;
			if (parse_uint(v, 1, 65536, &n) < 0)
				return fail(err, errlen, "invalid --max-connections '%s': %s", v,
					    "want 1-65536");
			c->max_conns = (unsigned)n;
		} else {
			return fail(err, errlen, "unknown option '%s'", a);
		}
	}
	if (c->ntargets == 0)
		return fail(err, errlen, "no ENDPOINT given");
	return 0;
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < c->ntargets; i++)
		target_free(&c->targets[i]);
	free(c->targets);
	c->targets = NULL;
	c->ntargets = 0;
}

const char *
config_serve_help(void)
{
	return "usage: podhealth serve [OPTIONS] ENDPOINT...\n"
	       "       podhealth PORT TIMEOUT ENDPOINT...\n"
	       "\n"
	       "Serves /self (200 once up) and /all (200 when every ENDPOINT answers a status\n"
	       "in [200,400) within the timeout, else 503 naming each failure).\n"
	       "\n"
	       "ENDPOINT:  http://host[:port][/path][?query]   host: name, IPv4 or [IPv6]\n"
	       "\n"
	       "Options:\n"
	       "  -p, --port N             port to listen on (default 8081)\n"
	       "      --listen ADDR        IP address to listen on (default: every interface,\n"
	       "                           IPv6 and IPv4)\n"
	       "  -t, --timeout DUR        per-endpoint timeout: 3, 2.5, 500ms, 3s, 1m\n"
	       "                           (default 1s)\n"
	       "      --max-connections N  simultaneous client connections (default 1024)\n"
	       "  -h, --help               show this help\n"
	       "  -V, --version            show the version\n";
}
