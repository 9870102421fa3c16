/* Check targets parsed from the command line: pure functions, no I/O. */
#ifndef PODHEALTH_TARGET_H
#define PODHEALTH_TARGET_H

#include <stddef.h>
#include <stdint.h>

enum target_kind { TARGET_HTTP };

struct target {
	enum target_kind kind;
	char host[256]; /* name or IP literal, IPv6 without brackets */
	uint16_t port;
	char *text;    /* the argument as given; owned */
	char *path;    /* origin-form request target, "/path?query"; owned */
	char *request; /* the complete HTTP request to send; owned */
	size_t request_len;
};

/* Parses s ("http://host[:port][/path][?query]") into t. Returns 0, or -1 with a reason
 * in err ("unsupported scheme 'ftp'"). On success t owns heap memory: target_free. */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);

/* Returns 0 when s is an IPv4 or IPv6 address literal (no brackets), else -1. */
int target_ip_literal(const char *s);

/* Frees what target_parse allocated. */
void target_free(struct target *t);

#endif
