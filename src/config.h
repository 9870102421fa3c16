/* The command line and environment turned into one immutable configuration. Pure
 * functions, no I/O. */
#ifndef PODHEALTH_CONFIG_H
#define PODHEALTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

struct target;

/* The defaults are in config.c's option table. */
#define MAX_TIMEOUT_MS  (3600 * 1000)
#define MAX_DEADLINE_MS (7 * 24 * 3600 * 1000LL)
#define MAX_CHECKS      4096

enum config_mode { MODE_SERVE, MODE_LEGACY, MODE_WAIT, MODE_PROBE };
enum config_action { CONFIG_RUN, CONFIG_HELP, CONFIG_VERSION };

struct config {
	enum config_mode mode;
	enum config_action action;
	int64_t timeout_ms;
	int log_json;
	int quiet;              /* log warnings and errors only */
	struct target *targets; /* the checks; owned */
	size_t ntargets;
	size_t nspecs; /* --check specs read, to number them in messages */
	/* serve */
	const char *listen; /* IP literal, or NULL for every interface */
	uint16_t port;
	unsigned max_conns;
	int hide_reasons;      /* withhold failure reasons from HTTP responses */
	int probe_errors_fail; /* serve, wait: --probe-errors fail (checker_set_probe_errors) */
	int64_t cache_ms;      /* 0: every probe checks afresh */
	/* wait: between rounds; serve: background rounds (0: none) */
	int64_t interval_ms, max_interval_ms;
	int64_t deadline_ms; /* 0: forever */
	int deadline_exit_code;
	int on_deadline_run;                  /* --on-deadline run: start the command anyway */
	int on_exit_success_only;             /* --on-exit-when success: no calls after a failure */
	int mesh[MESH_COUNT];                 /* --istio, --linkerd: 1 when on */
	const char *pod_annotations;          /* the Downward API file of the pod's annotations */
	enum sidecar_mode sidecar;            /* --sidecar MODE: every sidecar's */
	unsigned char sidecar_of[MESH_COUNT]; /* --sidecar NAME=MODE: the mode + 1; 0: not given */
	/* --sidecar-port NAME=READY[:QUIT]: the ports a sidecar's URLs move to; 0: its own */
	uint16_t ready_port_of[MESH_COUNT], quit_port_of[MESH_COUNT];
	int64_t fast_interval_ms; /* wait: the pause after a cheap failure */
	const char *on_exit_method;
	struct target *on_exit; /* owned */
	size_t n_on_exit;
	char **cmd; /* after "--", NULL-terminated; borrowed from argv; NULL when none */
	/* probe */
	int verbose;
};

/* Parses the arguments after the subcommand (for MODE_LEGACY, "PORT TIMEOUT
 * ENDPOINT..."), with PODHEALTH_* variables from envp (NULL-terminated "NAME=value"
 * strings) as defaults that flags override. Returns 0, or -1 with one line naming the bad
 * argument or variable in err. c owns memory either way: config_free. */
int config_parse(struct config *c, enum config_mode mode, int argc, char **argv, char **envp,
		 char *err, size_t errlen);

/* Frees what config_parse allocated. */
void config_free(struct config *c);

/* Returns 1 when s looks like the original form's PORT (all digits). */
int config_is_legacy(const char *s);

/* Writes the help text for a mode, generated from the option table, into b. */
struct buf;
void config_help(enum config_mode mode, struct buf *b);

/* Appends the usage lines for a mode, and where to find help, to b. */
void config_usage(enum config_mode mode, struct buf *b);

#endif
