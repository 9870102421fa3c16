/* Check targets from the command line or environment: pure functions, no I/O. */
#ifndef PODHEALTH_TARGET_H
#define PODHEALTH_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

struct buf;

/* What a target checks: the schemes (target.c's schemes[]) map to these, and check.c's
 * kinds[] maps each to its check kind. TARGET_KINDS counts them. */
enum target_kind {
	TARGET_HTTP,
	TARGET_TCP,
	TARGET_UNIX,
	TARGET_GRPC,
	TARGET_POSTGRES,
	TARGET_MYSQL,
	TARGET_REDIS,
	TARGET_KINDS
};

struct status_range {
	uint16_t lo, hi;
};

#define TARGET_MAX_RANGES  16
#define TARGET_MAX_HEADERS 16
#define TARGET_BODY_MAX    (10 * 1024) /* body bytes read, as kubelet reads them */
#define TARGET_NAME_MAX    128

struct target {
	enum target_kind kind;
	int tls;          /* https://, grpcs://, rediss:// */
	int derived_name; /* the name was made from the URL */
	enum target_mesh mesh;
	char *name;     /* unique; owned */
	char *text;     /* the URL as given (a password in it shown as xxxxx); owned */
	char host[256]; /* name or IP literal, IPv6 without brackets */
	uint16_t port;
	char *authority;    /* host[:port] as written in the URL: the Host header; owned */
	char *path;         /* HTTP: the request target "/path?query"; gRPC: the service;
			       PostgreSQL: the database ("": the user's); owned */
	char *user;         /* postgres://, mysql://: user@, the name to present; owned */
	char *socket_path;  /* unix:// path, or socket=: connect there instead; owned */
	int64_t timeout_ms; /* 0: the global timeout */
	struct status_range expect[TARGET_MAX_RANGES];
	size_t nexpect;  /* 0: 200-399 */
	char method[16]; /* GET unless method= says HEAD (or POST... for on-exit calls) */
	int redirects;   /* follow redirects as kubelet does (redirects=off: no) */
	int http2;       /* protocol=http2: HTTP/2 cleartext with prior knowledge (h2c) */
	int own_method;  /* an on-exit call that names its method ("GET URL") */
	char *host_header;
	char *authorization; /* "Basic ..." from user:password@ in the URL, as Go sends it */
	char *body;          /* substring the body must contain; owned */
	char *headers[TARGET_MAX_HEADERS];
	size_t nheaders;
	char *ca_file, *servername; /* TLS; owned */
};

/* Parses a positional check, "[NAME=]URL", into t. URL: one of target.c's schemes[]
 * (http[s]://host[:port][/path][?query], tcp://host:port, unix:///path...). Returns 0, or -1 with a
 * reason in err. On success t owns heap memory: target_free. */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);

/* Parses a --check specification, comma-separated key=value pairs; a field may be
 * double-quoted, and a field without '=' continues the previous value
 * ("expect=200,204"). Reasons name the bad key and never repeat a header's value.
 * Returns 0 or -1 as target_parse. */
int target_parse_spec(const char *spec, struct target *t, char *err, size_t errlen);

/* Writes the URL forms of the schemes (with schemes_only, their "scheme://" alone) into b,
 * sep between them and last before the final one. */
void target_forms(struct buf *b, const char *sep, const char *last, int schemes_only);

/* Writes a line for each --check key (its name and what it does) into b. */
void target_keys_help(struct buf *b);

/* Parses "200", "200-299" or "200,204,301-308" into at most TARGET_MAX_RANGES ranges.
 * Returns the number of ranges, or -1 with a reason in err. */
int target_parse_expect(const char *s, struct status_range *r, char *err, size_t errlen);

/* Makes t send method (an HTTP token such as POST) with an empty body, follow no
 * redirect, and pass on 2xx only: the form of --on-exit calls. Returns 0, or -1 with a
 * reason in err. */
int target_set_call(struct target *t, const char *method, char *err, size_t errlen);

/* Renames t to base, or base with "~2", "~3"... until unique() accepts it (the name of
 * an unnamed check that repeats another's). Returns 0, or -1 out of memory. */
int target_rename(struct target *t, int (*unique)(const char *name, void *arg), void *arg);

/* The TLS server name: servername=, else the host, an IP address included (verified
 * against the certificate's IP subjectAltNames with ca=; tls.c never sends an address as
 * SNI). Borrowed from t. */
const char *target_tls_name(const struct target *t);

/* Returns 1 when status is what t expects (by default 200-399, as kubelet). */
int target_expect_match(const struct target *t, int status);

/* Returns 1 when s is an IPv4 or IPv6 address literal (no brackets), else 0. */
int target_ip_literal(const char *s);

/* Frees what the parsers allocated. */
void target_free(struct target *t);

#endif
