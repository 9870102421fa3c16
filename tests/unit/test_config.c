/* config.c: the command line and the environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "mesh.h"
#include "target.h"
#include "url_forms.h"

static char *no_env[] = {NULL};

static int
parse_env(const char *line, int legacy, char **env, struct config *c, char *err, size_t errlen)
{
	/* Splits line into an argv on spaces, or on '|' when it has one (for arguments that
	 * hold spaces). */
	static char copy[512];
	static char *argv[32];
	int argc = 0;
	const char *sep = strchr(line, '|') ? "|" : " ";
	strcpy(copy, line);
	for (char *tok = strtok(copy, sep); tok && argc < 31; tok = strtok(NULL, sep))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return config_parse(c, legacy ? MODE_LEGACY : MODE_SERVE, argc, argv, env, err, errlen);
}

static int
parse(const char *line, int legacy, struct config *c, char *err, size_t errlen)
{
	return parse_env(line, legacy, no_env, c, err, errlen);
}

/* The option table's default column, as each mode sees it. */
static void
test_config_defaults(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum config_mode mode;
		int64_t timeout, interval, max_interval, fast_interval, deadline;
		int exit_code, port;
	} rows[] = {
	    {.name = "serve", .mode = MODE_SERVE, .timeout = 1000, .port = 8081},
	    {.name = "legacy", .mode = MODE_LEGACY, .timeout = 3000, .port = 9000},
	    {.name = "probe", .mode = MODE_PROBE, .timeout = 1000},
	    {.name = "wait",
	     .mode = MODE_WAIT,
	     .timeout = 1000,
	     .interval = 1000,
	     .max_interval = 5000,
	     .fast_interval = 50,
	     .deadline = 60000,
	     .exit_code = 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *legacy[] = {"9000", "3", "http://a/"}, *other[] = {"http://a/"};
		int legacy_form = rows[i].mode == MODE_LEGACY;
		struct config c;
		char err[256] = "";
		if (config_parse(&c, rows[i].mode, legacy_form ? 3 : 1,
				 legacy_form ? legacy : other, no_env, err, sizeof err) != 0)
			fail_msg("%s: %s", rows[i].name, err);
		if (c.timeout_ms != rows[i].timeout || c.interval_ms != rows[i].interval ||
		    (rows[i].mode == MODE_WAIT &&
		     (c.max_interval_ms != rows[i].max_interval ||
		      c.fast_interval_ms != rows[i].fast_interval ||
		      c.deadline_ms != rows[i].deadline ||
		      c.deadline_exit_code != rows[i].exit_code ||
		      strcmp(c.on_exit_method, "POST") != 0 || c.sidecar != SIDECAR_AUTO ||
		      c.on_exit_success_only || c.on_deadline_run)) ||
		    (rows[i].port &&
		     (c.port != rows[i].port || c.max_conns != 1024 || c.cache_ms)) ||
		    c.log_json)
			fail_msg("%s: a default differs", rows[i].name);
		config_free(&c);
	}
}

static void
test_config_valid(void **state)
{
	(void)state;
	struct config c;
	char err[256];

	assert_int_equal(
	    parse("8081 3 http://localhost:15020/healthz/ready http://localhost:8080/healthz", 1,
		  &c, err, sizeof err),
	    0);
	assert_int_equal(c.port, 8081);
	assert_int_equal(c.timeout_ms, 3000);
	assert_int_equal(c.ntargets, 2);
	assert_string_equal(c.targets[0].host, "localhost");
	assert_int_equal(c.targets[0].port, 15020);
	assert_string_equal(c.targets[1].path, "/healthz");
	config_free(&c);

	assert_int_equal(parse("--port 9000 --timeout=500ms --listen 127.0.0.1 http://a/ http://b/",
			       0, &c, err, sizeof err),
			 0);
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.timeout_ms, 500);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_int_equal(c.ntargets, 2);
	config_free(&c);

	assert_int_equal(parse("http://a/", 0, &c, err, sizeof err), 0);
	assert_int_equal(c.port, 8081);
	assert_int_equal(c.timeout_ms, 1000);
	assert_int_equal(c.max_conns, 1024);
	assert_null(c.listen);
	assert_int_equal(c.probe_errors_fail, 0);
	config_free(&c);

	assert_int_equal(parse("--probe-errors fail http://a/", 0, &c, err, sizeof err), 0);
	assert_int_equal(c.probe_errors_fail, 1);
	config_free(&c);

	assert_int_equal(
	    parse("-p 1 -t 2.5 --max-connections=10 -- http://a/", 0, &c, err, sizeof err), 0);
	assert_int_equal(c.port, 1);
	assert_int_equal(c.timeout_ms, 2500);
	assert_int_equal(c.max_conns, 10);
	config_free(&c);

	assert_int_equal(parse("--help", 0, &c, err, sizeof err), 0);
	assert_int_equal(c.action, CONFIG_HELP);
	config_free(&c);
	assert_int_equal(parse("--version", 0, &c, err, sizeof err), 0);
	assert_int_equal(c.action, CONFIG_VERSION);
	config_free(&c);
}

static void
test_config_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int legacy;
		const char *err;
	} cases[] = {
	    {"0 3 http://a/", 1, "invalid PORT '0': want a port number 1-65535"},
	    {"65536 3 http://a/", 1, "invalid PORT '65536': want a port number 1-65535"},
	    {"8081 0 http://a/", 1, "invalid TIMEOUT '0': must be greater than zero"},
	    {"8081 -3 http://a/", 1, "invalid TIMEOUT '-3': must be positive"},
	    {"8081 3x http://a/", 1,
	     "invalid TIMEOUT '3x': has an unknown unit (want ms, s, m or h)"},
	    {"8081", 1, "missing TIMEOUT after PORT"},
	    {"8081 3", 1, "no ENDPOINT given"},
	    {"8081 3 ftp://a/", 1, "invalid endpoint 'ftp://a/': unsupported scheme 'ftp' " FORMS},
	    {"", 0, "no CHECK given"},
	    {"--port abc http://a/", 0, "invalid --port 'abc': want a port number 1-65535"},
	    {"--port", 0, "invalid --port '': want a port number 1-65535"},
	    {"--timeout 2h http://a/", 0, "invalid --timeout '2h': is longer than the maximum, 1h"},
	    {"--listen localhost http://a/", 0,
	     "invalid --listen 'localhost': want an IP address such as 0.0.0.0, ::1 or 127.0.0.1"},
	    {"--max-connections 0 http://a/", 0, "invalid --max-connections '0': want 1-65536"},
	    {"--probe-errors drop http://a/", 0,
	     "invalid --probe-errors 'drop': want keep or fail"},
	    {"--bogus http://a/", 0, "unknown option '--bogus'"},
	    {"--portx=1 http://a/", 0, "unknown option '--portx=1'"},
	    {"http://a/ localhost:8080", 0, "invalid check 'localhost:8080': not a URL " FORMS},
	    /* A spec is never repeated in a message: it may hold a secret header value. */
	    {"--check|url=http://a/,header=Authorization: Bearer s3cr3t,expect=abc", 0,
	     "invalid --check #1: expect: invalid status 'abc' (want 100-599 or a range like "
	     "200-299)"},
	    {"--check url=http://a/,header=Authorization:\001s3cr3t", 0,
	     "invalid --check #1: header Authorization: control character in the value"},
	    {"--check|url=http://a/,header=Content-Length: 10", 0,
	     "invalid --check #1: header Content-Length is podhealth's to set (it frames the "
	     "request)"},
	    {"--check|url=http://a/,header=Connection: keep-alive", 0,
	     "invalid --check #1: header Connection is podhealth's to set (it frames the request)"},
	    {"--check|url=http://a/,header=Host: x", 0,
	     "invalid --check #1: set the Host header with host=, not header="},
	    {"--check url=tcp://a:1,ca=/x", 0,
	     "invalid --check #1: ca and servername are for https://, grpcs:// and rediss://"},
	    {"--check url=https://a/,cert=/x", 0,
	     "invalid --check #1: unknown key 'cert' (want name, url, timeout, expect, header, "
	     "host, method, body, redirects, protocol, socket, ca or servername)"},
	    {"--check url=tcp://a:1,socket=/x", 0,
	     "invalid --check #1: socket= is for every scheme but tcp://; use unix:///path"},
	    {"--check url=http://a/,redirects=maybe", 0,
	     "invalid --check #1: redirects 'maybe': want on or off"},
	    {"grpc://a/", 0, "invalid check 'grpc://a/': grpc:// needs a port"},
	    {"unix://run/x.sock", 0,
	     "invalid check 'unix://run/x.sock': unix:// needs an absolute path: "
	     "unix:///run/app.sock"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config c;
		char err[256] = "";
		int rc = parse(cases[i].line, cases[i].legacy, &c, err, sizeof err);
		config_free(&c);
		if (rc != -1)
			fail_msg("'%s' accepted", cases[i].line);
		assert_string_equal(err, cases[i].err);
	}
}

/* wait's on-exit calls: the user's first, each with its method ("GET URL", or
 * --on-exit-method), then the meshes' (POST, whatever --on-exit-method says), once. */
static void
test_config_on_exit_calls(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	char *argv[] = {"--istio",
			"--on-exit",
			"GET http://a:9091/quitquitquit",
			"--on-exit",
			"http://b:8200/agent/v1/quit",
			"--on-exit-method",
			"PUT",
			"--",
			"true",
			NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 9, argv, no_env, err, sizeof err), 0);
	assert_int_equal(c.n_on_exit, 3);
	assert_string_equal(c.on_exit[0].method, "GET");
	assert_string_equal(c.on_exit[0].host, "a");
	assert_string_equal(c.on_exit[1].method, "PUT");
	assert_int_equal(c.on_exit[1].mesh, MESH_NONE);
	assert_string_equal(c.on_exit[2].text, "http://localhost:15020/quitquitquit");
	assert_string_equal(c.on_exit[2].method, "POST");
	assert_int_equal(c.on_exit[2].mesh, MESH_ISTIO);
	config_free(&c);

	/* The mesh's own call given by hand is made once, as the mesh's. */
	char *same[] = {"--istio", "--on-exit", "http://localhost:15020/quitquitquit", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 3, same, no_env, err, sizeof err), 0);
	assert_int_equal(c.n_on_exit, 1);
	assert_int_equal(c.on_exit[0].mesh, MESH_ISTIO);
	config_free(&c);

	/* The variable: a method word goes with the URL after it. */
	char *env[] = {"PODHEALTH_ON_EXIT=GET http://a/ http://b/\tDELETE\thttp://c/", NULL};
	char *none[] = {"http://x/", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 1, none, env, err, sizeof err), 0);
	assert_int_equal(c.n_on_exit, 3);
	assert_string_equal(c.on_exit[0].method, "GET");
	assert_string_equal(c.on_exit[1].method, "POST");
	assert_string_equal(c.on_exit[2].method, "DELETE");
	config_free(&c);
	char *dangling[] = {"PODHEALTH_ON_EXIT=http://a/ GET", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 1, none, dangling, err, sizeof err), -1);
	assert_string_equal(err, "invalid PODHEALTH_ON_EXIT: method GET without a URL after it");
	config_free(&c);
}

/* The sidecar rows (mesh.h): a check unless the row has none (Vault), a call unless it
 * has none (Kuma), Dapr's token as a header of its call. */
static void
test_config_sidecar_rows(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	char *argv[] = {"--vault", "--kuma", "--dapr", NULL};
	char *env[] = {"DAPR_API_TOKEN=s3cret", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 3, argv, env, err, sizeof err), 0);
	assert_int_equal(c.ntargets, 2);
	assert_string_equal(c.targets[0].name, "daprd");
	assert_string_equal(c.targets[1].name, "kuma-dp");
	assert_int_equal(c.n_on_exit, 2);
	assert_string_equal(c.on_exit[0].text, "http://localhost:3500/v1.0/shutdown");
	assert_int_equal(c.on_exit[0].nheaders, 1);
	assert_string_equal(c.on_exit[0].headers[0], "dapr-api-token: s3cret");
	assert_string_equal(c.on_exit[1].text, "http://localhost:8200/agent/v1/quit");
	assert_int_equal(c.on_exit[1].nheaders, 0);
	config_free(&c);
	/* --sidecar: one mode for every sidecar, or NAME=MODE for one. */
	char *modes[] = {"--istio", "--cloudsql", "--sidecar", "native,cloudsql=classic", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 4, modes, no_env, err, sizeof err), 0);
	assert_int_equal(c.sidecar, SIDECAR_NATIVE);
	assert_int_equal(c.sidecar_of[MESH_CLOUDSQL], SIDECAR_CLASSIC + 1);
	assert_int_equal(c.sidecar_of[MESH_ISTIO], 0);
	config_free(&c);
	char *bad[] = {"--istio", "--sidecar", "isto=none", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 3, bad, no_env, err, sizeof err), -1);
	assert_string_equal(err, "invalid --sidecar: no sidecar 'isto' (want a sidecar flag's "
				 "name: istio, cloudsql...)");
	config_free(&c);
	char *badmode[] = {"--istio", "--sidecar", "istio=sometimes", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 3, badmode, no_env, err, sizeof err), -1);
	assert_string_equal(err,
			    "invalid --sidecar 'sometimes': want auto, classic, native or none");
	config_free(&c);
	/* --sidecar-port: READY moves the readiness port wherever the row uses it, READY:QUIT
	 * each; Vault's one port is its call's. */
	static const struct {
		const char *flag, *ports, *check, *call;
	} moved[] = {
	    {"--cloudsql", "cloudsql=9801:9802", "http://localhost:9801/startup",
	     "http://localhost:9802/quitquitquit"},
	    {"--cloudsql", "cloudsql=9801", "http://localhost:9801/startup",
	     "http://localhost:9091/quitquitquit"},
	    {"--dapr", "dapr=3501", "http://localhost:3501/v1.0/healthz/outbound",
	     "http://localhost:3501/v1.0/shutdown"},
	    {"--istio", "istio=15121", "http://localhost:15121/healthz/ready",
	     "http://localhost:15020/quitquitquit"},
	    {"--vault", "vault=8300", NULL, "http://localhost:8300/agent/v1/quit"},
	    {"--kuma", "kuma=9902", "http://localhost:9902/ready", NULL},
	};
	/* Every row's URLs have a port to move. */
	for (int m = MESH_NONE + 1; m < MESH_COUNT; m++) {
		char flag[32], ports[48];
		snprintf(flag, sizeof flag, "--%s", meshes[m].name);
		snprintf(ports, sizeof ports, "%s=7", meshes[m].name);
		char *args[] = {flag, "--sidecar-port", ports, NULL};
		assert_int_equal(config_parse(&c, MODE_WAIT, 3, args, no_env, err, sizeof err), 0);
		assert_true(c.ntargets || c.n_on_exit);
		assert_true(!c.ntargets || strstr(c.targets[0].text, "localhost:7/"));
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
		char *args[] = {(char *)moved[i].flag, "--sidecar-port", (char *)moved[i].ports,
				NULL};
		assert_int_equal(config_parse(&c, MODE_WAIT, 3, args, no_env, err, sizeof err), 0);
		assert_int_equal(c.ntargets, moved[i].check != NULL);
		if (moved[i].check)
			assert_string_equal(c.targets[0].text, moved[i].check);
		assert_int_equal(c.n_on_exit, moved[i].call != NULL);
		if (moved[i].call)
			assert_string_equal(c.on_exit[0].text, moved[i].call);
		config_free(&c);
	}
	static const struct {
		const char *ports, *err;
	} refused[] = {
	    {"cloudsql=0", "invalid --sidecar-port 'cloudsql=0': want NAME=PORT[:PORT], ports "
			   "1-65535"},
	    {"cloudsql=1:", "invalid --sidecar-port 'cloudsql=1:': want NAME=PORT[:PORT], ports "
			    "1-65535"},
	    {"cloudsql", "invalid --sidecar-port 'cloudsql': want NAME=PORT[:PORT]"},
	    {"nope=1", "invalid --sidecar-port: no sidecar 'nope' (want a sidecar flag's name: "
		       "istio, cloudsql...)"},
	    {"dapr=1", "invalid --sidecar-port (or PODHEALTH_SIDECAR_PORT): dapr without --dapr"},
	    {"kuma=1:2", "invalid --sidecar-port 'kuma=1:2': kuma has one port to move"},
	    {"vault=1:2", "invalid --sidecar-port 'vault=1:2': vault has one port to move"},
	    {"cloudsql=1,cloudsql=2", "invalid --sidecar-port: cloudsql given twice"},
	    {"cloudsql=1,", "invalid --sidecar-port '': want NAME=PORT[:PORT]"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char *args[] = {"--cloudsql", "--sidecar-port", (char *)refused[i].ports, NULL};
		assert_int_equal(config_parse(&c, MODE_WAIT, 3, args, no_env, err, sizeof err), -1);
		assert_string_equal(err, refused[i].err);
		config_free(&c);
	}
	/* A sidecar flag alone is enough: --vault has nothing to wait for. */
	char *vault[] = {"--vault", NULL};
	assert_int_equal(config_parse(&c, MODE_WAIT, 1, vault, no_env, err, sizeof err), 0);
	assert_int_equal(c.ntargets, 0);
	assert_int_equal(c.n_on_exit, 1);
	config_free(&c);
}

static void
test_config_env(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	char *env[] = {
	    "PATH=/bin",
	    "PODHEALTH_PORT=9090",
	    "PODHEALTH_TIMEOUT=250ms",
	    "PODHEALTH_LISTEN=::1",
	    "PODHEALTH_HIDE_REASONS=true",
	    "PODHEALTH_LOG_FORMAT=json",
	    "PODHEALTH_QUIET=1",
	    "PODHEALTH_MAX_CONNECTIONS=7",
	    "PODHEALTH_CHECKS= envoy=http://localhost:15020/healthz/ready\t http://h:1/ ",
	    "PODHEALTH_CHECK=name=db,url=tcp://db:5432\nname=x,url=http://x/,header=A: b c",
	    NULL};
	assert_int_equal(parse_env("", 0, env, &c, err, sizeof err), 0);
	assert_int_equal(c.port, 9090);
	assert_int_equal(c.timeout_ms, 250);
	assert_string_equal(c.listen, "::1");
	assert_true(c.hide_reasons);
	assert_true(c.log_json);
	assert_true(c.quiet);
	assert_int_equal(c.max_conns, 7);
	assert_int_equal(c.ntargets, 4);
	assert_string_equal(c.targets[0].name, "envoy");
	assert_string_equal(c.targets[1].name, "h:1");
	assert_string_equal(c.targets[2].name, "db");
	assert_string_equal(c.targets[3].name, "x");
	config_free(&c);

	/* Flags win; checks on the command line replace the environment's. */
	assert_int_equal(parse_env("--port 1 -t 2s http://other/", 0, env, &c, err, sizeof err), 0);
	assert_int_equal(c.port, 1);
	assert_int_equal(c.timeout_ms, 2000);
	assert_int_equal(c.ntargets, 1);
	assert_string_equal(c.targets[0].name, "other:80");
	config_free(&c);

	static const struct {
		const char *var, *err;
	} bad[] = {
	    {"PODHEALTH_PORT=x", "invalid PODHEALTH_PORT 'x': want a port number 1-65535"},
	    {"PODHEALTH_TIMEOUT=0", "invalid PODHEALTH_TIMEOUT '0': must be greater than zero"},
	    {"PODHEALTH_HIDE_REASONS=maybe",
	     "invalid PODHEALTH_HIDE_REASONS 'maybe': want true or false"},
	    {"PODHEALTH_LOG_FORMAT=xml", "invalid PODHEALTH_LOG_FORMAT 'xml': want text or json"},
	    {"PODHEALTH_CHECKS=ftp://x/", "invalid PODHEALTH_CHECKS 'ftp://x/': unsupported scheme "
					  "'ftp' " FORMS},
	    {"PODHEALTH_CHECK=name=x", "invalid PODHEALTH_CHECK #1: missing url="},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *one[] = {(char *)bad[i].var, "PODHEALTH_CHECKS=http://a/", NULL};
		if (strncmp(bad[i].var, "PODHEALTH_CHECKS=", 17) == 0)
			one[1] = NULL;
		assert_int_equal(parse_env("", 0, one, &c, err, sizeof err), -1);
		assert_string_equal(err, bad[i].err);
		config_free(&c);
	}

	/* A flag that overrides a bad variable makes it harmless: the variable is not read. */
	char *badenv[] = {"PODHEALTH_PORT=x", "PODHEALTH_TIMEOUT=0", "PODHEALTH_QUIET=maybe", NULL};
	assert_int_equal(parse_env("-p 1 -t 1s -q=false http://a/", 0, badenv, &c, err, sizeof err),
			 0);
	assert_int_equal(c.port, 1);
	assert_false(c.quiet);
	config_free(&c);
	assert_int_equal(parse_env("8081 3 http://a/", 1, badenv, &c, err, sizeof err), -1);
	assert_string_equal(err, "invalid PODHEALTH_QUIET 'maybe': want true or false");
	config_free(&c);

	/* Booleans as Go's strconv.ParseBool reads them, plus yes/no. */
	static const struct {
		const char *v;
		int want;
	} bools[] = {{"1", 1},    {"t", 1},     {"T", 1},     {"TRUE", 1},  {"true", 1},
		     {"True", 1}, {"yes", 1},   {"", 0},      {"0", 0},     {"f", 0},
		     {"F", 0},    {"FALSE", 0}, {"false", 0}, {"False", 0}, {"no", 0}};
	for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		char var[64];
		snprintf(var, sizeof var, "PODHEALTH_QUIET=%s", bools[i].v);
		char *one[] = {var, NULL};
		assert_int_equal(parse_env("http://a/", 0, one, &c, err, sizeof err), 0);
		assert_int_equal(c.quiet, bools[i].want);
		config_free(&c);
	}
}

static void
test_config_duplicates(void **state)
{
	(void)state;
	struct config c;
	char err[256] = "";
	/* The original form takes any list it took before: repeated URLs, and URLs that
	 * differ only in the query, get unique names. */
	assert_int_equal(
	    parse("8081 3 http://a:1/x http://a:1/x http://a:1/x?y=1", 1, &c, err, sizeof err), 0);
	assert_int_equal(c.ntargets, 3);
	assert_string_equal(c.targets[0].name, "a:1/x");
	assert_string_equal(c.targets[1].name, "a:1/x~2");
	assert_string_equal(c.targets[2].name, "a:1/x~3");
	config_free(&c);
	/* A given name keeps its name; a made one steps aside. */
	assert_int_equal(
	    parse("http://h/a h:80/a=tcp://h:1 h:80/a~2=tcp://h:2", 0, &c, err, sizeof err), 0);
	assert_string_equal(c.targets[0].name, "h:80/a~3");
	assert_string_equal(c.targets[1].name, "h:80/a");
	config_free(&c);
	/* Two given names stay an error. */
	assert_int_equal(parse("a=http://h/ --check name=a,url=tcp://h:1", 0, &c, err, sizeof err),
			 -1);
	assert_string_equal(err, "duplicate check name 'a' (check 1 and 2); give each its own "
				 "with NAME=URL or name=");
	config_free(&c);
	assert_int_equal(parse("a=http://h/a b=http://h/a", 0, &c, err, sizeof err), 0);
	config_free(&c);
	/* Made names obey the name rules: no '%', control bytes or space, at most 128. */
	assert_int_equal(parse("http://h/%41?q http://h/a,b\"c", 0, &c, err, sizeof err), 0);
	assert_string_equal(c.targets[0].name, "h:80/_41");
	assert_string_equal(c.targets[1].name, "h:80/a_b_c");
	config_free(&c);
	char line[400] = "http://h/";
	memset(line + 9, 'p', 300);
	assert_int_equal(parse(line, 0, &c, err, sizeof err), 0);
	assert_int_equal(strlen(c.targets[0].name), 128);
	config_free(&c);
}

static void
test_is_legacy(void **state)
{
	(void)state;
	assert_true(config_is_legacy("8081"));
	assert_false(config_is_legacy("serve"));
	assert_false(config_is_legacy("80a"));
	assert_false(config_is_legacy(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults),      cmocka_unit_test(test_config_valid),
	    cmocka_unit_test(test_config_invalid),       cmocka_unit_test(test_is_legacy),
	    cmocka_unit_test(test_config_env),           cmocka_unit_test(test_config_duplicates),
	    cmocka_unit_test(test_config_on_exit_calls), cmocka_unit_test(test_config_sidecar_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
