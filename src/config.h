/* The command line turned into one immutable configuration. Pure functions, no I/O. */
#ifndef PODHEALTH_CONFIG_H
#define PODHEALTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct target;

#define DEFAULT_PORT       8081
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_MAX_CONNS  1024
#define MAX_TIMEOUT_MS     (3600 * 1000)
#define MAX_CHECKS         4096

enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION };

struct config {
	enum config_action action;
	const char *listen; /* IP literal, or NULL for every interface */
	uint16_t port;
	int64_t timeout_ms;
	unsigned max_conns;
	int hide_reasons; /* withhold failure reasons from HTTP responses */
	int log_json;
	int quiet;              /* log warnings and errors only */
	struct target *targets; /* owned */
	size_t ntargets;
};

/* Parses the arguments after "serve" (legacy = 0) or the original form "PORT TIMEOUT
 * ENDPOINT..." (legacy = 1), with PODHEALTH_* variables from envp (NULL-terminated
 * "NAME=value" strings) as defaults that flags override. Returns 0, or -1 with one line
 * naming the bad argument or variable in err. c owns memory either way: config_free. */
int config_parse_serve(struct config *c, int argc, char **argv, int legacy, char **envp, char *err,
		       size_t errlen);

/* Frees what config_parse_serve allocated. */
void config_free(struct config *c);

/* Returns 1 when s looks like the original form's PORT (all digits). */
int config_is_legacy(const char *s);

/* The help text for "serve"; static storage. */
const char *config_serve_help(void);

#endif
