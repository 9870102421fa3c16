#include "config.h"
#include "duration.h"

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

/* Returns the value of variable name in envp, or NULL. */
static const char *
env_get(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
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
	if (duration_parse(v, MAX_TIMEOUT_MS, &c->timeout_ms, why, sizeof why) < 0)
		return fail(err, errlen, "invalid %s '%s': %s", name, v, why);
	return 0;
}

static int
set_listen(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (target_ip_literal(v) < 0)
		return fail(err, errlen,
			    "invalid %s '%s': want an IP address such as 0.0.0.0, ::1 or 127.0.0.1",
			    name, v);
	c->listen = v;
	return 0;
}

static int
set_max_conns(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned long n;
	if (parse_uint(v, 1, 65536, &n) < 0)
		return fail(err, errlen, "invalid %s '%s': want 1-65536", name, v);
	c->max_conns = (unsigned)n;
	return 0;
}

static int
set_log_format(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
		return fail(err, errlen, "invalid %s '%s': want text or json", name, v);
	c->log_json = strcmp(v, "json") == 0;
	return 0;
}

static int
set_bool(int *out, const char *name, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
		*out = 1;
	else if (!*v || !strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
		*out = 0;
	else
		return fail(err, errlen, "invalid %s '%s': want true or false", name, v);
	return 0;
}

static struct target *
new_target(struct config *c, char *err, size_t errlen)
{
	if (c->ntargets == MAX_CHECKS) {
		fail(err, errlen, "too many checks (at most %d)", MAX_CHECKS);
		return NULL;
	}
	struct target *t = realloc(c->targets, (c->ntargets + 1) * sizeof *t);
	if (!t) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	c->targets = t;
	return &t[c->ntargets];
}

/* Adds a positional check ("[NAME=]URL") or, with spec = 1, a --check specification. */
static int
add_check(struct config *c, const char *from, const char *v, int spec, char *err, size_t errlen)
{
	char why[256];
	struct target *t = new_target(c, err, errlen);
	if (!t)
		return -1;
	int rc =
	    spec ? target_parse_spec(v, t, why, sizeof why) : target_parse(v, t, why, sizeof why);
	if (rc < 0)
		return fail(err, errlen, "invalid %s '%s': %s", from, v, why);
	c->ntargets++;
	return 0;
}

/* Adds each check in a variable: separated by whitespace, or for specs by newlines. */
static int
add_env_checks(struct config *c, const char *name, const char *v, int spec, char *err,
	       size_t errlen)
{
	const char *seps = spec ? "\n" : " \t\r\n";
	char item[4096];
	while (*v) {
		v += strspn(v, seps);
		size_t n = strcspn(v, seps);
		if (n == 0)
			break;
		if (n >= sizeof item)
			return fail(err, errlen, "invalid %s: a check longer than %zu bytes", name,
				    sizeof item - 1);
		memcpy(item, v, n);
		item[n] = '\0';
		if (add_check(c, name, item, spec, err, errlen) < 0)
			return -1;
		v += n;
	}
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

/* Settings with an environment twin, applied from the environment first. */
static const struct setting {
	const char *flag, *shortflag, *env;
	int (*set)(struct config *, const char *, const char *, char *, size_t);
} settings[] = {
    {"--port", "-p", "PODHEALTH_PORT", set_port},
    {"--listen", NULL, "PODHEALTH_LISTEN", set_listen},
    {"--timeout", "-t", "PODHEALTH_TIMEOUT", set_timeout},
    {"--max-connections", NULL, "PODHEALTH_MAX_CONNECTIONS", set_max_conns},
    {"--log-format", NULL, "PODHEALTH_LOG_FORMAT", set_log_format},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

static int
apply_env(struct config *c, char **envp, char *err, size_t errlen)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *v = env_get(envp, settings[i].env);
		if (v && settings[i].set(c, settings[i].env, v, err, errlen) < 0)
			return -1;
	}
	const char *v;
	if ((v = env_get(envp, "PODHEALTH_HIDE_REASONS")) &&
	    set_bool(&c->hide_reasons, "PODHEALTH_HIDE_REASONS", v, err, errlen) < 0)
		return -1;
	if ((v = env_get(envp, "PODHEALTH_QUIET")) &&
	    set_bool(&c->quiet, "PODHEALTH_QUIET", v, err, errlen) < 0)
		return -1;
	return 0;
}

static int
check_names_unique(const struct config *c, char *err, size_t errlen)
{
	for (size_t i = 1; i < c->ntargets; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->targets[i].name, c->targets[j].name) == 0)
				return fail(err, errlen,
					    "duplicate check name '%s' (%s and %s); name them with "
					    "NAME=URL or --check name=...",
					    c->targets[i].name, c->targets[j].text,
					    c->targets[i].text);
	return 0;
}

int
config_parse_serve(struct config *c, int argc, char **argv, int legacy, char **envp, char *err,
		   size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->port = DEFAULT_PORT;
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->max_conns = DEFAULT_MAX_CONNS;
	if (apply_env(c, envp, err, errlen) < 0)
		return -1;

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
		const char *a = argv[i], *v = NULL;
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (add_check(c, "endpoint", a, 0, err, errlen) < 0)
				return -1;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			c->action = CONFIG_HELP;
			return 0;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			c->action = CONFIG_VERSION;
			return 0;
		}
		if (strcmp(a, "--hide-reasons") == 0) {
			c->hide_reasons = 1;
			continue;
		}
		if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			c->quiet = 1;
			continue;
		}
		if ((v = option_value(a, "--check", argc, argv, &i))) {
			if (add_check(c, "--check", v, 1, err, errlen) < 0)
				return -1;
			continue;
		}
		size_t s;
		for (s = 0; s < NSETTINGS; s++)
			if ((v = option_value(a, settings[s].flag, argc, argv, &i)) ||
			    (settings[s].shortflag &&
			     (v = option_value(a, settings[s].shortflag, argc, argv, &i))))
				break;
		if (s == NSETTINGS)
			return fail(err, errlen, "unknown option '%s'", a);
		if (settings[s].set(c, settings[s].flag, v, err, errlen) < 0)
			return -1;
	}
	/* Checks on the command line replace those in the environment. */
	const char *v;
	int from_env = c->ntargets == 0;
	if (from_env && (v = env_get(envp, "PODHEALTH_CHECKS")) &&
	    add_env_checks(c, "PODHEALTH_CHECKS", v, 0, err, errlen) < 0)
		return -1;
	if (from_env && (v = env_get(envp, "PODHEALTH_CHECK")) &&
	    add_env_checks(c, "PODHEALTH_CHECK", v, 1, err, errlen) < 0)
		return -1;
	if (c->ntargets == 0)
		return fail(err, errlen, "no ENDPOINT given");
	return check_names_unique(c, err, errlen);
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
	return "usage: podhealth serve [OPTIONS] CHECK...\n"
	       "       podhealth PORT TIMEOUT ENDPOINT...\n"
	       "\n"
	       "Serves /self (200 once up) and /all (200 when every check passes within its\n"
	       "timeout, else 503 listing each check).\n"
	       "\n"
	       "CHECK:  [NAME=]URL   URL: http://host[:port][/path][?query] or tcp://host:port\n"
	       "        host: a name, an IPv4 address or an [IPv6] address\n"
	       "\n"
	       "Options (environment variable in brackets; flags win):\n"
	       "  -p, --port N              port to listen on, default 8081 [PODHEALTH_PORT]\n"
	       "      --listen ADDR         IP address to listen on, default every interface,\n"
	       "                            IPv6 and IPv4 [PODHEALTH_LISTEN]\n"
	       "  -t, --timeout DUR         default per-check timeout: 3, 2.5, 500ms, 3s, 1m;\n"
	       "                            default 1s [PODHEALTH_TIMEOUT]\n"
	       "      --check SPEC          a check as key=value pairs, repeatable:\n"
	       "                            "
	       "name=,url=,timeout=,expect=,header=,host=,method=,body=\n"
	       "                            [PODHEALTH_CHECK, one SPEC per line]\n"
	       "      --hide-reasons        withhold failure reasons from responses (logs keep\n"
	       "                            them) [PODHEALTH_HIDE_REASONS=true]\n"
	       "      --max-connections N   simultaneous clients, default 1024\n"
	       "                            [PODHEALTH_MAX_CONNECTIONS]\n"
	       "      --log-format FORMAT   text or json, default text [PODHEALTH_LOG_FORMAT]\n"
	       "  -q, --quiet               log warnings and errors only [PODHEALTH_QUIET=true]\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n"
	       "Checks may also come from PODHEALTH_CHECKS (whitespace-separated [NAME=]URL);\n"
	       "checks on the command line replace those in the environment.\n"
	       "\n"
	       "Paths: /self /livez, /all /readyz, /all/NAME /readyz/NAME, /metrics;\n"
	       "/all?verbose, ?exclude=NAME, ?format=json or Accept: application/health+json.\n";
}
