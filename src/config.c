#include "config.h"

#include "buf.h"
#include "duration.h"
#include "fmt.h"
#include "target.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	return fmt_parse_uint(s, strlen(s), min, max, out);
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

/* --- setters: each takes the name to blame (flag or variable) and the value --- */

typedef int (*setter)(struct config *, const char *, const char *, char *, size_t);

static int
set_port(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned long port;
	if (parse_uint(v, 1, 65535, &port) < 0)
		return fmt_error(err, errlen, "invalid %s '%s': want a port number 1-65535", name,
				 v);
	c->port = (uint16_t)port;
	return 0;
}

static int
set_duration(int64_t *out, int64_t max, const char *name, const char *v, char *err, size_t errlen)
{
	char why[96];
	if (duration_parse(v, max, out, why, sizeof why) < 0)
		return fmt_error(err, errlen, "invalid %s '%s': %s", name, v, why);
	return 0;
}

static int
set_timeout(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return set_duration(&c->timeout_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
}

/* As set_duration, but "0" means off (0): no cache, no background rounds, no deadline. */
static int
set_duration_or_off(int64_t *out, int64_t max, const char *name, const char *v, char *err,
		    size_t errlen)
{
	if (strcmp(v, "0") == 0) {
		*out = 0;
		return 0;
	}
	return set_duration(out, max, name, v, err, errlen);
}

static int
set_interval(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	/* wait needs a pause between rounds; serve may run none in the background. */
	if (c->mode == MODE_WAIT)
		return set_duration(&c->interval_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
	return set_duration_or_off(&c->interval_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
}

static int
set_cache(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return set_duration_or_off(&c->cache_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
}

static int
set_max_interval(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return set_duration(&c->max_interval_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
}

static int
set_deadline(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return set_duration_or_off(&c->deadline_ms, MAX_DEADLINE_MS, name, v, err, errlen);
}

static int
set_listen(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (!target_ip_literal(v))
		return fmt_error(
		    err, errlen,
		    "invalid %s '%s': want an IP address such as 0.0.0.0, ::1 or 127.0.0.1", name,
		    v);
	c->listen = v;
	return 0;
}

static int
set_max_conns(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned long n;
	if (parse_uint(v, 1, 65536, &n) < 0)
		return fmt_error(err, errlen, "invalid %s '%s': want 1-65536", name, v);
	c->max_conns = (unsigned)n;
	return 0;
}

static int
set_exit_code(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	unsigned long n;
	if (parse_uint(v, 0, 255, &n) < 0)
		return fmt_error(err, errlen, "invalid %s '%s': want an exit code 0-255", name, v);
	c->deadline_exit_code = (int)n;
	return 0;
}

static int
set_log_format(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
		return fmt_error(err, errlen, "invalid %s '%s': want text or json", name, v);
	c->log_json = strcmp(v, "json") == 0;
	return 0;
}

static int
set_method(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (!*v || strlen(v) > 15 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(v))
		return fmt_error(err, errlen,
				 "invalid %s '%s': want an upper-case HTTP method such as POST",
				 name, v);
	c->on_exit_method = v;
	return 0;
}

/* Go's strconv.ParseBool, yes/no, and empty for false. */
static int
parse_bool(int *out, const char *name, const char *v, char *err, size_t errlen)
{
	int b = strcmp(v, "yes") == 0 ? 1 : !*v || strcmp(v, "no") == 0 ? 0 : fmt_parse_bool(v);
	if (b < 0)
		return fmt_error(err, errlen, "invalid %s '%.32s': want true or false", name, v);
	*out = b;
	return 0;
}

#define BOOL_SETTER(fn, field)                                                                     \
	static int fn(struct config *c, const char *name, const char *v, char *err, size_t errlen) \
	{                                                                                          \
		return parse_bool(&c->field, name, v, err, errlen);                                \
	}
static int
set_fast_interval(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return set_duration(&c->fast_interval_ms, MAX_TIMEOUT_MS, name, v, err, errlen);
}

static int
set_pod_annotations(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return fmt_error(err, errlen, "invalid %s: want a file (a Downward API volume)",
				 name);
	c->pod_annotations = v;
	return 0;
}

/* One of the words of choices (NULL-terminated, and said as want in the error): *out is
 * its index. */
static int
choose(int *out, const char *const *choices, const char *want, const char *name, const char *v,
       char *err, size_t errlen)
{
	for (int i = 0; choices[i]; i++)
		if (strcmp(v, choices[i]) == 0)
			return *out = i, 0;
	return fmt_error(err, errlen, "invalid %s '%.32s': want %s", name, v, want);
}

/* The index of the sidecar called name (n bytes) in meshes[], or -1 with the refusal. */
static int
sidecar_named(const char *opt, const char *name, size_t n, char *err, size_t errlen)
{
	for (int m = MESH_NONE + 1; m < MESH_COUNT; m++)
		if (strlen(meshes[m].name) == n && strncmp(meshes[m].name, name, n) == 0)
			return m;
	return fmt_error(err, errlen,
			 "invalid %s: no sidecar '%.*s' (want a sidecar flag's name: istio, "
			 "cloudsql...)",
			 opt, (int)(n > 16 ? 16 : n), name);
}

/* Calls one for each comma-separated item of v (NUL-terminated, at most 47 bytes). */
static int
each_item(struct config *c, const char *name, const char *v,
	  int (*one)(struct config *c, const char *name, char *item, char *err, size_t errlen),
	  char *err, size_t errlen)
{
	for (const char *p = v;; p++) {
		char item[48];
		size_t n = strcspn(p, ",");
		if (n >= sizeof item)
			return fmt_error(err, errlen, "invalid %s '%.32s...': too long", name, p);
		memcpy(item, p, n);
		item[n] = '\0';
		if (one(c, name, item, err, errlen) < 0)
			return -1;
		p += n;
		if (!*p)
			return 0;
	}
}

/* MODE for every sidecar, or NAME=MODE for one. */
static int
sidecar_item(struct config *c, const char *name, char *item, char *err, size_t errlen)
{
	char *eq = strchr(item, '=');
	int m = MESH_NONE, i = 0;
	if (eq && (m = sidecar_named(name, item, (size_t)(eq - item), err, errlen)) < 0)
		return -1;
	if (choose(&i, mesh_sidecar_names, "auto, classic, native or none", name,
		   eq ? eq + 1 : item, err, errlen) < 0)
		return -1;
	if (eq)
		c->sidecar_of[m] = (unsigned char)(i + 1);
	else
		c->sidecar = (enum sidecar_mode)i;
	return 0;
}

/* "native", "istio=native,cloudsql=classic". */
static int
set_sidecar(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return each_item(c, name, v, sidecar_item, err, errlen);
}

/* NAME=READY[:QUIT] for a sidecar whose ports are not its own: two ports only where the
 * row has a check and a call. */
static int
sidecar_port_item(struct config *c, const char *name, char *item, char *err, size_t errlen)
{
	char *eq = strchr(item, '='), *colon = eq ? strchr(eq, ':') : NULL;
	if (!eq)
		return fmt_error(err, errlen, "invalid %s '%s': want NAME=PORT[:PORT]", name, item);
	int m = sidecar_named(name, item, (size_t)(eq - item), err, errlen);
	if (m < 0)
		return -1;
	unsigned long ready, quit = 0;
	if (fmt_parse_uint(eq + 1, (size_t)((colon ? colon : eq + strlen(eq)) - eq - 1), 1, 65535,
			   &ready) < 0 ||
	    (colon && fmt_parse_uint(colon + 1, strlen(colon + 1), 1, 65535, &quit) < 0))
		return fmt_error(err, errlen,
				 "invalid %s '%s': want NAME=PORT[:PORT], ports 1-65535", name,
				 item);
	if (colon && !(meshes[m].ready_url && meshes[m].quit_url))
		return fmt_error(err, errlen, "invalid %s '%s': %s has one port to move", name,
				 item, meshes[m].name);
	if (c->ready_port_of[m])
		return fmt_error(err, errlen, "invalid %s: %s given twice", name, meshes[m].name);
	c->ready_port_of[m] = (uint16_t)ready;
	c->quit_port_of[m] = (uint16_t)quit;
	return 0;
}

/* "cloudsql=9801:9802,dapr=3501". */
static int
set_sidecar_port(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	return each_item(c, name, v, sidecar_port_item, err, errlen);
}

static int
set_on_exit_when(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	static const char *const when[] = {"always", "success", NULL};
	return choose(&c->on_exit_success_only, when, "always or success", name, v, err, errlen);
}

static int
set_probe_errors(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	static const char *const how[] = {"keep", "fail", NULL};
	return choose(&c->probe_errors_fail, how, "keep or fail", name, v, err, errlen);
}

static int
set_on_deadline(struct config *c, const char *name, const char *v, char *err, size_t errlen)
{
	static const char *const what[] = {"fail", "run", NULL};
	return choose(&c->on_deadline_run, what, "fail or run", name, v, err, errlen);
}

BOOL_SETTER(set_hide_reasons, hide_reasons)
BOOL_SETTER(set_quiet, quiet)
#define MESH_SETTER(id, name, check, ready, quit, annotation, network, help)                       \
	BOOL_SETTER(set_##name, mesh[MESH_##id])
MESH_LIST(MESH_SETTER)
BOOL_SETTER(set_verbose, verbose)

/* --- checks --- */

/* Appends an empty target to *list; returns it, or NULL with err set. */
static struct target *
new_target(struct target **list, size_t n, char *err, size_t errlen)
{
	if (n == MAX_CHECKS) {
		fmt_error(err, errlen, "too many checks (at most %d)", MAX_CHECKS);
		return NULL;
	}
	struct target *t = realloc(*list, (n + 1) * sizeof *t);
	if (!t) {
		fmt_error(err, errlen, "out of memory");
		return NULL;
	}
	*list = t;
	memset(&t[n], 0, sizeof t[n]);
	return &t[n];
}

enum item_kind { ITEM_CHECK, ITEM_SPEC, ITEM_ON_EXIT };

/* Adds a positional check ("[NAME=]URL"), a --check specification, or an on-exit URL. */
static int
add_item(struct config *c, enum item_kind kind, const char *from, const char *v, char *err,
	 size_t errlen)
{
	char why[256];
	int exit = kind == ITEM_ON_EXIT;
	struct target *t = new_target(exit ? &c->on_exit : &c->targets,
				      exit ? c->n_on_exit : c->ntargets, err, errlen);
	if (!t)
		return -1;
	/* An on-exit call may name its method first: "GET http://localhost:9091/quitquitquit". */
	char method[16] = "POST";
	const char *given = v;
	size_t mlen = exit ? strcspn(v, " \t") : 0;
	if (exit && v[mlen] && mlen < sizeof method) {
		memcpy(method, v, mlen);
		method[mlen] = '\0';
		v += mlen + strspn(v + mlen, " \t");
	}
	int rc = kind == ITEM_SPEC ? target_parse_spec(v, t, why, sizeof why)
				   : target_parse(v, t, why, sizeof why);
	t->own_method = v != given; /* target_parse starts t afresh */
	if (rc == 0 && exit && (rc = target_set_call(t, method, why, sizeof why)) < 0)
		target_free(t);
	/* A spec is not repeated: it may hold a header's secret value; the reason names the
	 * key. A URL is, cut short. */
	if (kind == ITEM_SPEC)
		c->nspecs++;
	if (rc < 0 && strcmp(why, "out of memory") == 0)
		return fmt_error(err, errlen, "%s", why); /* main tells it from misuse */
	if (rc < 0 && kind == ITEM_SPEC)
		return fmt_error(err, errlen, "invalid %s #%zu: %s", from, c->nspecs, why);
	if (rc < 0)
		return fmt_error(err, errlen, "invalid %s '%.200s%s': %s", from, given,
				 strlen(given) > 200 ? "..." : "", why);
	if (exit)
		c->n_on_exit++;
	else
		c->ntargets++;
	return 0;
}

/* Adds each item of a variable: separated by whitespace, or for specs by newlines. */
static int
add_env_items(struct config *c, enum item_kind kind, const char *name, const char *v, char *err,
	      size_t errlen)
{
	const char *seps = kind == ITEM_SPEC ? "\n" : " \t\r\n";
	char item[4096];
	size_t held = 0; /* on-exit calls: a method word waiting for its URL, in item */
	while (*v) {
		v += strspn(v, seps);
		size_t n = strcspn(v, seps);
		if (n == 0)
			break;
		if (held + n >= sizeof item)
			return fmt_error(err, errlen, "invalid %s: an item longer than %zu bytes",
					 name, sizeof item - 1);
		memcpy(item + held, v, n);
		item[held + n] = '\0';
		v += n;
		/* "GET http://..." in the variable too: a word with no "://" goes with the
		 * URL after it. */
		if (kind == ITEM_ON_EXIT && !held && !strstr(item, "://")) {
			item[n] = ' ';
			held = n + 1;
			continue;
		}
		held = 0;
		if (add_item(c, kind, name, item, err, errlen) < 0)
			return -1;
	}
	if (held)
		return fmt_error(err, errlen, "invalid %s: method %.*s without a URL after it",
				 name, (int)(held - 1 > 16 ? 16 : held - 1), item);
	return 0;
}

/* --- the option table --- */

#define M_SERVE (1 << MODE_SERVE | 1 << MODE_LEGACY)
#define M_WAIT  (1 << MODE_WAIT)
#define M_PROBE (1 << MODE_PROBE)
#define M_ALL   (M_SERVE | M_WAIT | M_PROBE)
#define BOOL    (1 << 8)
#define NO_ENV  (1 << 9)

/* Every option: its flags, variable, modes, setter, and the --help line (a "\n" in help
 * continues on the next line, under the first). */
static const struct option {
	const char *flag;
	char shortflag;       /* 'p' for -p, or 0 */
	unsigned short modes; /* M_*, and BOOL: a flag without a value; NO_ENV: no variable */
	setter set;           /* NULL for the items (--check, --on-exit) */
	const char *arg, *help;
	const char *def; /* the default, applied through set before anything else; or NULL */
} options[] = {
    {"--port", 'p', M_SERVE, set_port, "N", "port to listen on", "8081"},
    {"--listen", 0, M_SERVE, set_listen, "ADDR",
     "IP address to listen on; every interface, IPv6\nand IPv4, by default", NULL},
    {"--timeout", 't', M_ALL, set_timeout, "DUR", "per-check timeout: 3, 2.5, 500ms, 3s, 1m", "1s"},
    {"--check", 0, M_ALL, NULL, "SPEC",
     "a check as key=value pairs, repeatable (KEYS below;\none SPEC a line in the variable)", NULL},
    {"--max-connections", 0, M_SERVE, set_max_conns, "N", "simultaneous clients", "1024"},
    {"--hide-reasons", 0, M_SERVE | BOOL, set_hide_reasons, NULL,
     "withhold failure reasons from responses (logs keep\nthem)", NULL},
    {"--probe-errors", 0, M_SERVE | M_WAIT, set_probe_errors, "HOW",
     "a probe error (an answer that broke): keep the\nlast verdict, or fail", "keep"},
    {"--cache", 0, M_SERVE, set_cache, "DUR",
     "answer from results younger than DUR; 0: every\nprobe checks afresh", "0"},
    {"--interval", 0, M_SERVE, set_interval, "DUR",
     "run the checks in the background every DUR and\nanswer from the last results; 0: never", "0"},
    {"--interval", 0, M_WAIT, set_interval, "DUR",
     "pause after a failure that is not cheap, doubling\nup to --max-interval", "1s"},
    {"--max-interval", 0, M_WAIT, set_max_interval, "DUR",
     "backoff limit, and how often a passed check is\nchecked again while others fail", "5s"},
    {"--fast-interval", 0, M_WAIT, set_fast_interval, "DUR",
     "pause after a cheap failure (refused, or a loopback\nanswer within 100ms)", "50ms"},
    {"--deadline", 0, M_WAIT, set_deadline, "DUR", "give up after DUR, 0 = never", "60s"},
    {"--deadline-exit-code", 0, M_WAIT, set_exit_code, "N", "exit code past the deadline", "1"},
    {"--on-exit", 0, M_WAIT, NULL, "URL",
     "call URL ('GET URL': with GET) after CMD ends or the\ndeadline passes, before the "
     "meshes' calls;\nrepeatable (whitespace-separated in the variable)",
     NULL},
    {"--on-exit-method", 0, M_WAIT, set_method, "M", "the method of --on-exit calls that name none",
     "POST"},
    {"--on-exit-when", 0, M_WAIT, set_on_exit_when, "WHEN",
     "always, or success: no on-exit calls unless the\nexit code is 0 (a retry keeps the proxy)",
     "always"},
    {"--on-deadline", 0, M_WAIT, set_on_deadline, "WHAT",
     "fail, or run: start CMD anyway when the deadline\npasses", "fail"},
#define MESH_OPTION(id, name, check, ready, quit, annotation, network, help)                       \
	{"--" #name, 0, M_WAIT | BOOL, set_##name, NULL, help, NULL},
    MESH_LIST(MESH_OPTION){
	"--pod-annotations", 0, M_WAIT, set_pod_annotations, "FILE",
	"the pod's annotations (Downward API): tells the\nsidecar flags what was injected", NULL},
    {"--sidecar", 0, M_WAIT, set_sidecar, "MODE",
     "the sidecars: auto (from --pod-annotations, else\nclassic), classic, native or none; "
     "NAME=MODE for\none (istio=native,cloudsql=classic)",
     "auto"},
    {"--sidecar-port", 0, M_WAIT, set_sidecar_port, "NAME=PORT[:PORT]",
     "a sidecar on ports of its own: PORT moves its\nreadiness port (wherever its URLs use "
     "it),\nREADY:QUIT both (cloudsql=9801:9802)",
     NULL},
    {"--log-format", 0, M_SERVE | M_WAIT, set_log_format, "FORMAT", "text or json", "text"},
    {"--quiet", 'q', M_SERVE | M_WAIT | BOOL, set_quiet, NULL, "log warnings and errors only",
     NULL},
    {"--verbose", 'v', NO_ENV | M_PROBE | BOOL, set_verbose, NULL,
     "a line for every check, passing ones too", NULL},
};

#define NOPTIONS (sizeof options / sizeof options[0])

static size_t
option_index(const char *flag)
{
	size_t i = 0;
	while (strcmp(options[i].flag, flag) != 0)
		i++;
	return i;
}

/* Returns the value of option o in arg: "--flag=value", "--flag value"; "1" for a bare
 * boolean flag. NULL when arg is not o. */
static const char *
option_value(const struct option *o, const char *arg, int argc, char **argv, int *i)
{
	char shortflag[3] = {'-', o->shortflag, '\0'};
	const char *names[] = {o->flag, shortflag};
	for (size_t k = 0; k < 2; k++) {
		if (!names[k][1])
			continue;
		size_t n = strlen(names[k]);
		if (strncmp(arg, names[k], n) != 0)
			continue;
		if (arg[n] == '=')
			return arg + n + 1;
		if (arg[n] != '\0')
			continue;
		if (o->modes & BOOL)
			return "1";
		return *i + 1 < argc ? argv[++*i] : "";
	}
	return NULL;
}

/* An option's variable: PODHEALTH_ and its flag in capitals, '_' for '-'
 * (--max-connections: PODHEALTH_MAX_CONNECTIONS). */
static const char *
env_name(const struct option *o, char *out, size_t len)
{
	size_t n = fmt_format(out, len, "PODHEALTH_%s", o->flag + 2);
	for (size_t i = 10; i < n; i++)
		out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
	return out;
}

static int
apply_env(struct config *c, char **envp, const unsigned char *given, char *err, size_t errlen)
{
	/* Flags win: a variable whose flag was given is not even read, so a bad value in
	 * the environment cannot stop a command line that overrides it. */
	for (size_t i = 0; i < NOPTIONS; i++) {
		const char *v;
		char name[48];
		if (given[i] || !options[i].set || !(options[i].modes & 1u << c->mode) ||
		    (options[i].modes & NO_ENV) ||
		    !(v = env_get(envp, env_name(&options[i], name, sizeof name))))
			continue;
		if (options[i].set(c, name, v, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The variable that holds positional checks ([NAME=]URL...) in a mode. */
static const char *
checks_variable(enum config_mode mode)
{
	return mode == MODE_WAIT ? "PODHEALTH_WAIT_FOR" : "PODHEALTH_CHECKS";
}

static int
env_items(struct config *c, char **envp, char *err, size_t errlen)
{
	/* Items on the command line replace those in the environment. */
	const char *checks = checks_variable(c->mode);
	const char *v;
	if (c->ntargets == 0) {
		if ((v = env_get(envp, checks)) &&
		    add_env_items(c, ITEM_CHECK, checks, v, err, errlen) < 0)
			return -1;
		if ((v = env_get(envp, "PODHEALTH_CHECK")) &&
		    add_env_items(c, ITEM_SPEC, "PODHEALTH_CHECK", v, err, errlen) < 0)
			return -1;
	}
	if (c->mode == MODE_WAIT && c->n_on_exit == 0 && (v = env_get(envp, "PODHEALTH_ON_EXIT")) &&
	    add_env_items(c, ITEM_ON_EXIT, "PODHEALTH_ON_EXIT", v, err, errlen) < 0)
		return -1;
	return 0;
}

struct names {
	const struct config *c;
	size_t upto; /* names of targets before this one are taken */
};

static int
name_free(const char *name, void *arg)
{
	const struct names *n = arg;
	for (size_t i = 0; i < n->c->ntargets; i++)
		if ((i < n->upto || !n->c->targets[i].derived_name) &&
		    strcmp(n->c->targets[i].name, name) == 0)
			return 0;
	return 1;
}

/* Names given with NAME= or name= must be unique; a name podhealth made from a URL
 * (the original form repeats URLs, or varies only the query) gets "~2", "~3"... */
static int
make_names_unique(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 1; i < c->ntargets; i++)
		for (size_t j = 0; j < i; j++)
			if (!c->targets[i].derived_name && !c->targets[j].derived_name &&
			    strcmp(c->targets[i].name, c->targets[j].name) == 0)
				return fmt_error(err, errlen,
						 "duplicate check name '%s' (check %zu and %zu); "
						 "give each its own with NAME=URL or name=",
						 c->targets[i].name, j + 1, i + 1);
	for (size_t i = 0; i < c->ntargets; i++) {
		struct names n = {c, i};
		struct target *t = &c->targets[i];
		if (!t->derived_name)
			continue;
		/* Taken: any given name, or a made one earlier in the list. */
		int taken = 0;
		for (size_t j = 0; j < c->ntargets && !taken; j++)
			taken = j != i && (j < i || !c->targets[j].derived_name) &&
				strcmp(c->targets[j].name, t->name) == 0;
		if (taken && target_rename(t, name_free, &n) < 0)
			return fmt_error(err, errlen, "out of memory");
	}
	return 0;
}

/* The port of a row's URL ("http://localhost:PORT/path"). */
static unsigned long
port_of(const char *url)
{
	return strtoul(strchr(url + sizeof "http://" - 1, ':') + 1, NULL, 10);
}

/* url, a row's, into b, on port to (0: its own). */
static void
with_port(const char *url, unsigned to, struct buf *b)
{
	const char *colon = strchr(url + sizeof "http://" - 1, ':');
	if (to)
		buf_printf(b, "%.*s:%u%s", (int)(colon - url), url, to,
			   colon + 1 + strspn(colon + 1, "0123456789"));
	else
		buf_printf(b, "%s", url);
}

/* apply_mesh, with the URLs of the sidecar's check (ready) and call (quit). */
static int
add_mesh(struct config *c, enum target_mesh mesh, const char *ready_url, const char *quit_url,
	 char **envp, char *err, size_t errlen)
{
	const struct mesh *m = &meshes[mesh];
	struct buf item = {0};
	size_t i;
	for (i = 0; m->check && i < c->ntargets; i++)
		if (strcmp(c->targets[i].name, m->check) == 0)
			break;
	if (m->check && i == c->ntargets) {
		buf_printf(&item, "%s=%s", m->check, ready_url);
		int rc = item.failed ? fmt_error(err, errlen, "out of memory")
				     : add_item(c, ITEM_CHECK, m->check, item.data, err, errlen);
		buf_free(&item);
		if (rc < 0)
			return -1;
	}
	if (m->check)
		c->targets[i].mesh = mesh;
	if (!quit_url)
		return 0;
	for (i = 0; i < c->n_on_exit; i++)
		if (strcmp(c->on_exit[i].text, quit_url) == 0)
			break;
	if (i == c->n_on_exit &&
	    add_item(c, ITEM_ON_EXIT, m->check ? m->check : m->name, quit_url, err, errlen) < 0)
		return -1;
	struct target *t = &c->on_exit[i];
	t->mesh = mesh;
	const char *token = mesh == MESH_DAPR ? env_get(envp, "DAPR_API_TOKEN") : NULL;
	if (token && *token && t->nheaders < TARGET_MAX_HEADERS) {
		buf_printf(&item, "dapr-api-token: %s", token);
		if (item.failed)
			return fmt_error(err, errlen, "out of memory");
		t->headers[t->nheaders++] = item.data;
	}
	return 0;
}

/* A sidecar's flag (--istio, --cloudsql...) supplies defaults: its readiness check,
 * unless a check of that name was given, and its shutdown call, unless one of the user's
 * --on-exit calls is the same. They are marked, so that wait can leave out what the pod's
 * sidecar mode makes wrong and stop the meshes last. Dapr's shutdown carries the
 * dapr-api-token header when DAPR_API_TOKEN is set, as Dapr's SDKs send it (never
 * logged: the plan logs a call's method and URL). */
static int
apply_mesh(struct config *c, enum target_mesh mesh, char **envp, char *err, size_t errlen)
{
	const struct mesh *m = &meshes[mesh];
	/* --sidecar-port: READY moves the readiness port wherever the row uses it (Vault's
	 * one port, without a readiness check), QUIT the call's. */
	unsigned long own = port_of(m->ready_url ? m->ready_url : m->quit_url);
	unsigned ready_to = c->ready_port_of[mesh], quit_to = c->quit_port_of[mesh];
	struct buf ready = {0}, quit = {0};
	if (m->ready_url)
		with_port(m->ready_url, ready_to, &ready);
	if (m->quit_url)
		with_port(m->quit_url,
			  quit_to                       ? quit_to
			  : port_of(m->quit_url) == own ? ready_to
							: 0,
			  &quit);
	int rc = ready.failed || quit.failed
		     ? fmt_error(err, errlen, "out of memory")
		     : add_mesh(c, mesh, ready.data, quit.data, envp, err, errlen);
	buf_free(&ready);
	buf_free(&quit);
	return rc;
}

static int
finish(struct config *c, char **envp, char *err, size_t errlen)
{
	if (env_items(c, envp, err, errlen) < 0)
		return -1;
	int sidecars = 0;
	for (int m = MESH_NONE + 1; m < MESH_COUNT; m++)
		if (c->ready_port_of[m] && !c->mesh[m])
			return fmt_error(err, errlen,
					 "invalid --sidecar-port (or PODHEALTH_SIDECAR_PORT): %s "
					 "without --%s",
					 meshes[m].name, meshes[m].name);
	for (int m = MESH_NONE + 1; m < MESH_COUNT; m++)
		if (c->mesh[m] &&
		    (++sidecars, apply_mesh(c, (enum target_mesh)m, envp, err, errlen)) < 0)
			return -1;
	if (c->ntargets == 0 && !sidecars)
		return fmt_error(err, errlen,
				 c->mode == MODE_WAIT
				     ? "no CHECK given (or a sidecar's flag: --istio...)"
				 : c->mode == MODE_LEGACY ? "no ENDPOINT given"
							  : "no CHECK given");
	if (c->max_interval_ms < c->interval_ms)
		c->max_interval_ms = c->interval_ms; /* backoff never shortens the interval */
	for (size_t i = 0; c->on_exit_method && i < c->n_on_exit; i++) {
		char why[128];
		const struct target *t = &c->on_exit[i];
		if (t->own_method || t->mesh != MESH_NONE)
			continue; /* "GET URL", or a mesh's call: their own method */
		if (target_set_call(&c->on_exit[i], c->on_exit_method, why, sizeof why) < 0)
			return fmt_error(err, errlen, "invalid --on-exit-method: %s", why);
	}
	return make_names_unique(c, err, errlen);
}

int
config_parse(struct config *c, enum config_mode mode, int argc, char **argv, char **envp, char *err,
	     size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->mode = mode;
	for (size_t o = 0; o < NOPTIONS; o++)
		if (options[o].def && (options[o].modes & 1u << mode) &&
		    options[o].set(c, options[o].flag, options[o].def, err, errlen) < 0)
			return -1; /* a wrong default: tests/unit/test_config.c fails on it */
	unsigned char given[NOPTIONS] = {0};

	int i = 0;
	if (mode == MODE_LEGACY) {
		/* podhealth PORT TIMEOUT ENDPOINT...: the original form, kept forever. */
		if (argc < 2)
			return fmt_error(err, errlen, "missing TIMEOUT after PORT");
		if (set_port(c, "PORT", argv[0], err, errlen) < 0 ||
		    set_timeout(c, "TIMEOUT", argv[1], err, errlen) < 0)
			return -1;
		given[option_index("--port")] = given[option_index("--timeout")] = 1;
		i = 2;
	}
	int options_done = mode == MODE_LEGACY;
	for (; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "--") == 0 && !options_done && mode == MODE_WAIT) {
			/* Everything after "--" is the command. */
			if (i + 1 == argc)
				return fmt_error(err, errlen, "missing CMD after --");
			c->cmd = &argv[i + 1];
			break;
		}
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (add_item(c, ITEM_CHECK, mode == MODE_LEGACY ? "endpoint" : "check", a,
				     err, errlen) < 0)
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
		size_t o;
		for (o = 0; o < NOPTIONS; o++)
			if ((options[o].modes & 1u << mode) &&
			    (v = option_value(&options[o], a, argc, argv, &i)))
				break;
		if (o == NOPTIONS)
			return fmt_error(err, errlen, "unknown option '%.64s'", a);
		given[o] = 1;
		if (!options[o].set) {
			int spec = strcmp(options[o].flag, "--check") == 0;
			if (add_item(c, spec ? ITEM_SPEC : ITEM_ON_EXIT, options[o].flag, v, err,
				     errlen) < 0)
				return -1;
		} else if (options[o].set(c, options[o].flag, v, err, errlen) < 0) {
			return -1;
		}
	}
	if (apply_env(c, envp, given, err, errlen) < 0)
		return -1;
	return finish(c, envp, err, errlen);
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < c->ntargets; i++)
		target_free(&c->targets[i]);
	for (size_t i = 0; i < c->n_on_exit; i++)
		target_free(&c->on_exit[i]);
	free(c->targets);
	free(c->on_exit);
	c->targets = c->on_exit = NULL;
	c->ntargets = c->n_on_exit = 0;
}

/* Each form's usage line. */
static const char *const usage_lines[] = {
    [MODE_SERVE] = "podhealth serve [OPTIONS] CHECK...",
    [MODE_LEGACY] = "podhealth PORT TIMEOUT ENDPOINT...",
    [MODE_WAIT] = "podhealth wait [OPTIONS] CHECK... [-- CMD [ARG...]]",
    [MODE_PROBE] = "podhealth probe [OPTIONS] CHECK...",
};

/* "usage: " and the lines of mode, every form's for serve (then see_also: "  (see wait
 * --help)" after the wait and probe lines, in a column). */
static void
usage(enum config_mode mode, int see_also, struct buf *b)
{
	enum config_mode m = mode == MODE_LEGACY ? MODE_SERVE : mode;
	for (int i = 0; i <= MODE_PROBE; i++) {
		if (m != MODE_SERVE && i != (int)m)
			continue;
		buf_printf(b,
			   see_also && m == MODE_SERVE && i >= MODE_WAIT
			       ? "%s%-53s(see %s --help)\n"
			       : "%s%s\n",
			   i == (int)m || m != MODE_SERVE ? "usage: " : "       ", usage_lines[i],
			   i == MODE_WAIT ? "wait" : "probe");
	}
}

void
config_usage(enum config_mode mode, struct buf *b)
{
	if (mode == MODE_PROBE) /* its few options, named */
		buf_printf(b,
			   "usage: podhealth probe [--timeout DUR] [--verbose] [--check SPEC]... "
			   "CHECK...\n");
	else
		usage(mode, 0, b);
	buf_printf(b, "Try 'podhealth %s --help'.\n",
		   mode == MODE_WAIT    ? "wait"
		   : mode == MODE_PROBE ? "probe"
					: "serve");
}

/* Writes one option's help: the flags in a 28-column field, then the text; a "\n" in the
 * text continues under it, and the variable, in brackets, has a line of its own there, so
 * that the help fits 80 columns. */
static void
help_option(struct buf *b, const struct option *o)
{
	struct buf left = {0};
	if (o->shortflag)
		buf_printf(&left, "  -%c, %s", o->shortflag, o->flag);
	else
		buf_printf(&left, "      %s", o->flag);
	if (o->arg)
		buf_printf(&left, " %s", o->arg);
	buf_printf(b, "%-28s", left.data ? left.data : "");
	if (left.len >= 28)
		buf_printf(b, "\n%28s", "");
	buf_free(&left);
	for (const char *p = o->help; *p;) {
		size_t n = strcspn(p, "\n");
		buf_append(b, p, n);
		p += n;
		if (*p == '\n') {
			buf_printf(b, "\n%28s", "");
			p++;
		}
	}
	char name[48];
	if (!(o->modes & NO_ENV))
		buf_printf(b, "\n%28s[%s]", "", env_name(o, name, sizeof name));
	if (o->def)
		buf_printf(b, "%s default %s",
			   o->modes & NO_ENV ? "\n                           " : "", o->def);
	buf_append(b, "\n", 1);
}

static const char *const help_heads[] = {
    [MODE_SERVE] = "Serves /self (200 once up) and /all (200 when every check passes within its\n"
		   "timeout, else 503 listing each check).\n",
    [MODE_WAIT] = "Checks until every check has passed, then exits 0 or runs CMD (exec'd, or\n"
		  "supervised when there are on-exit calls: signals forwarded, zombies reaped,\n"
		  "its exit code passed on). Past the deadline: on-exit calls, exit 1.\n",
    [MODE_PROBE] = "Runs the checks once, concurrently: exit 0 when all pass, 1 when any fails,\n"
		   "2 on bad usage. One line per failing check on stderr.\n",
};

static const char *const help_tails[] = {
    [MODE_SERVE] = "\nPaths: /self /livez, /all /readyz, /all/NAME /readyz/NAME, /metrics;\n"
		   "/all?verbose, ?exclude=NAME, ?format=json or Accept: "
		   "application/health+json.\n",
    [MODE_WAIT] = "",
    [MODE_PROBE] = "",
};

void
config_help(enum config_mode mode, struct buf *b)
{
	enum config_mode m = mode == MODE_LEGACY ? MODE_SERVE : mode;
	usage(m, 1, b);
	buf_printf(b, "\n%s\nCHECK:  [NAME=]URL, URL one of\n        ", help_heads[m]);
	target_forms(b, "\n        ", "\n        ", 0);
	buf_printf(b, "\n\nOptions (environment variable in brackets; flags win):\n");
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].modes & 1u << m)
			help_option(b, &options[i]);
	buf_printf(b,
		   "  -h, --help                show this help\n"
		   "  -V, --version             show the version\n\n"
		   "KEYS of --check SPEC (\"name=api,url=http://localhost:8080/,expect=204\"):\n");
	target_keys_help(b);
	buf_printf(b,
		   "\nChecks may also come from %s (whitespace-separated\n"
		   "[NAME=]URL); checks on the command line replace those in the environment.\n%s",
		   checks_variable(m), help_tails[m]);
}
