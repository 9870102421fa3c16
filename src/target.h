/* Check targets from the command line or environment: pure functions, no I/O. */
#ifndef PODHEALTH_TARGET_H
#define PODHEALTH_TARGET_H

#include <stddef.h>
#include <stdint.h>

enum target_kind { TARGET_HTTP, TARGET_TCP };

struct status_range {
	uint16_t lo, hi;
};

#define TARGET_MAX_RANGES  16
#define TARGET_MAX_HEADERS 16
#define TARGET_BODY_MAX    (10 * 1024) /* body bytes read for body=, like kubelet */

struct target {
	enum target_kind kind;
	char *name;     /* unique; owned */
	char *text;     /* the URL as given; owned */
	char host[256]; /* name or IP literal, IPv6 without brackets */
	uint16_t port;
	char *path;         /* origin-form request target, "/path?query"; owned */
	int64_t timeout_ms; /* 0: the global timeout */
	struct status_range expect[TARGET_MAX_RANGES];
	size_t nexpect;  /* 0: 200-399 */
	char method[16]; /* GET unless method= says HEAD (or POST... for on-exit calls) */
	char *host_header;
	char *body; /* substring the body must contain; owned */
	char *headers[TARGET_MAX_HEADERS];
	size_t nheaders;
	char *request; /* the complete HTTP request to send; owned */
	size_t request_len;
};

/* Parses a positional check, "[NAME=]URL" with URL http://host[:port][/path][?query] or
 * tcp://host:port, into t. Returns 0, or -1 with a reason in err. On success t owns heap
 * memory: target_free. */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);

/* Parses a --check specification, comma-separated key=value pairs (name, url, timeout,
 * expect, header, host, method, body); a field may be double-quoted, and a field without
 * '=' continues the previous value ("expect=200,204"). Returns 0 or -1 as target_parse. */
int target_parse_spec(const char *spec, struct target *t, char *err, size_t errlen);

/* Parses "200", "200-299" or "200,204,301-308" into at most TARGET_MAX_RANGES ranges.
 * Returns the number of ranges, or -1 with a reason in err. */
int target_parse_expect(const char *s, struct status_range *r, char *err, size_t errlen);

/* Makes t send method (an HTTP token such as POST) with an empty body, and pass on 2xx
 * only: the form of --on-exit calls. Returns 0, or -1 with a reason in err. */
int target_set_call(struct target *t, const char *method, char *err, size_t errlen);

/* Returns 1 when status is what t expects (by default 200-399, as kubelet). */
int target_expect_match(const struct target *t, int status);

/* Returns 0 when s is an IPv4 or IPv6 address literal (no brackets), else -1. */
int target_ip_literal(const char *s);

/* Frees what the parsers allocated. */
void target_free(struct target *t);

#endif
