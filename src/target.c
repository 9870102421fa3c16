#include "target.h"

#include "buf.h"
#include "config.h"
#include "duration.h"
#include "fmt.h"
#include "version.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
valid_name(const char *s, size_t n)
{
	/* RFC 1123 host names, plus '_' which DNS records sometimes carry. */
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

static int
all_digits_and_dots(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return 0;
	return 1;
}

static int
parse_host(const char *s, size_t n, struct target *t, char *err, size_t errlen)
{
	if (n == 0)
		return fmt_error(err, errlen, "missing host");
	if (s[0] == '[') {
		struct in6_addr a6;
		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof t->host)
			return fmt_error(err, errlen, "malformed IPv6 address");
		memcpy(t->host, s + 1, n - 2);
		t->host[n - 2] = '\0';
		if (inet_pton(AF_INET6, t->host, &a6) != 1)
			return fmt_error(err, errlen, "malformed IPv6 address");
		return 0;
	}
	if (n >= sizeof t->host || !valid_name(s, n))
		return fmt_error(err, errlen, "invalid host name");
	memcpy(t->host, s, n);
	t->host[n] = '\0';
	struct in_addr a4;
	if (all_digits_and_dots(s, n) && inet_pton(AF_INET, t->host, &a4) != 1)
		return fmt_error(err, errlen, "invalid IPv4 address");
	return 0;
}

static int
parse_number(const char *s, size_t n, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses the URL part: http://host[:port][/path][?query] or tcp://host:port. */
static int
parse_url(const char *s, struct target *t, char *err, size_t errlen)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fmt_error(err, errlen, "contains a space or control character");
	const char *sep = strstr(s, "://");
	if (!sep)
		return fmt_error(err, errlen,
				 "not a URL (want http://host[:port][/path] or tcp://host:port)");
	size_t slen = (size_t)(sep - s);
	if (slen == 4 && strncasecmp(s, "http", 4) == 0)
		t->kind = TARGET_HTTP;
	else if (slen == 3 && strncasecmp(s, "tcp", 3) == 0)
		t->kind = TARGET_TCP;
	else
		return fmt_error(err, errlen, "unsupported scheme '%.*s' (want http:// or tcp://)",
				 (int)slen, s);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *rest = auth + alen;
	if (memchr(auth, '@', alen))
		return fmt_error(err, errlen, "user information in URLs is not supported");

	/* The port separator is the last ':' outside an IPv6 literal's brackets. */
	const char *close = alen && auth[0] == '[' ? memchr(auth, ']', alen) : NULL;
	if (auth[0] == '[' && !close)
		return fmt_error(err, errlen, "malformed IPv6 address");
	const char *colon = NULL;
	for (const char *p = close ? close : auth; p < auth + alen; p++)
		if (*p == ':')
			colon = p;
	size_t hlen = colon ? (size_t)(colon - auth) : alen;
	if (!close && memchr(auth, ':', hlen))
		return fmt_error(err, errlen,
				 "IPv6 addresses must be in brackets, e.g. http://[::1]:8080/");
	if (parse_host(auth, hlen, t, err, errlen) < 0)
		return -1;
	unsigned long port = 80;
	if (colon && parse_number(colon + 1, alen - hlen - 1, 1, 65535, &port) < 0)
		return fmt_error(err, errlen, "invalid port (want 1-65535)");
	t->port = (uint16_t)port;

	size_t plen = strcspn(rest, "#"); /* a fragment is never sent (RFC 9110 4.2.4) */
	if (t->kind == TARGET_TCP) {
		if (!colon)
			return fmt_error(err, errlen, "tcp:// needs a port");
		if (plen > 0 && strcmp(rest, "/") != 0)
			return fmt_error(err, errlen, "tcp:// takes no path");
	}
	t->path = malloc(plen + 2);
	t->text = strdup(s);
	if (!t->path || !t->text)
		return fmt_error(err, errlen, "out of memory");
	if (plen == 0 || rest[0] == '?') {
		t->path[0] = '/';
		memcpy(t->path + 1, rest, plen);
		t->path[plen + 1] = '\0';
	} else {
		memcpy(t->path, rest, plen);
		t->path[plen] = '\0';
	}
	return 0;
}

static int
derive_name(struct target *t)
{
	/* "localhost:15020/healthz/ready": the authority and path, no scheme or query, so
	 * that it can be used in /all/NAME. */
	struct buf b = {0};
	int v6 = strchr(t->host, ':') != NULL;
	buf_printf(&b, v6 ? "[%s]:%u" : "%s:%u", t->host, t->port);
	if (t->kind == TARGET_HTTP) {
		size_t n = strcspn(t->path, "?");
		if (n > 1)
			buf_append(&b, t->path, n);
	}
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	t->name = b.data;
	return 0;
}

static int
has_header(const struct target *t, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < t->nheaders; i++)
		if (strncasecmp(t->headers[i], name, n) == 0 && t->headers[i][n] == ':')
			return 1;
	return 0;
}

static int
render_request(struct target *t)
{
	/* What kubelet's HTTP prober sends (pkg/probe/http): Host with the port unless it is
	 * the default, a User-Agent naming us, Accept any, no keep-alive; headers given by the
	 * user replace the defaults of the same name. */
	struct buf b = {0};
	buf_printf(&b, "%s %s HTTP/1.1\r\n", t->method, t->path);
	if (t->host_header)
		buf_printf(&b, "Host: %s\r\n", t->host_header);
	else if (strchr(t->host, ':'))
		buf_printf(&b, t->port == 80 ? "Host: [%s]\r\n" : "Host: [%s]:%u\r\n", t->host,
			   t->port);
	else
		buf_printf(&b, t->port == 80 ? "Host: %s\r\n" : "Host: %s:%u\r\n", t->host,
			   t->port);
	if (!has_header(t, "User-Agent"))
		buf_printf(&b, "User-Agent: podhealth/%s\r\n", PODHEALTH_VERSION);
	if (!has_header(t, "Accept"))
		buf_printf(&b, "Accept: */*\r\n");
	for (size_t i = 0; i < t->nheaders; i++)
		buf_printf(&b, "%s\r\n", t->headers[i]);
	/* A method with a body (POST, PUT...) says it is empty (RFC 9110 section 8.6). */
	if (strcmp(t->method, "GET") != 0 && strcmp(t->method, "HEAD") != 0)
		buf_printf(&b, "Content-Length: 0\r\n");
	buf_printf(&b, "Connection: close\r\n\r\n");
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	t->request = b.data;
	t->request_len = b.len;
	return 0;
}

static int
finish(struct target *t, char *err, size_t errlen)
{
	if (!t->method[0])
		strcpy(t->method, "GET");
	if ((!t->name && derive_name(t) < 0) || (t->kind == TARGET_HTTP && render_request(t) < 0)) {
		target_free(t);
		return fmt_error(err, errlen, "out of memory");
	}
	return 0;
}

static int
valid_check_name(const char *s, size_t n)
{
	/* Printable, no spaces, no '?', '&' or '#', so it can stand in /all/NAME and in
	 * ?exclude=NAME without escaping. */
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '&' || c == '#' || c == '=' ||
		    c == ',' || c == '"' || c == '\\' || c == '%')
			return 0;
	}
	return 1;
}

static int
set_name(struct target *t, const char *s, size_t n, char *err, size_t errlen)
{
	if (!valid_check_name(s, n))
		return fmt_error(
		    err, errlen,
		    "invalid check name '%.*s' (want 1-128 printable characters, none of "
		    "space ? & # = , \" \\ %%)",
		    (int)(n > 128 ? 128 : n), s);
	free(t->name);
	t->name = strndup(s, n);
	return t->name ? 0 : fmt_error(err, errlen, "out of memory");
}

int
target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	/* "NAME=URL": a '=' before the scheme separator names the check. */
	const char *eq = strchr(s, '=');
	const char *sep = strstr(s, "://");
	if (eq && (!sep || eq < sep)) {
		if (set_name(t, s, (size_t)(eq - s), err, errlen) < 0)
			return -1;
		s = eq + 1;
	}
	if (parse_url(s, t, err, errlen) < 0) {
		target_free(t);
		return -1;
	}
	return finish(t, err, errlen);
}

int
target_parse_expect(const char *s, struct status_range *r, char *err, size_t errlen)
{
	int n = 0;
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		unsigned long lo, hi;
		size_t lolen = dash ? (size_t)(dash - p) : len;
		if (parse_number(p, lolen, 100, 599, &lo) < 0 ||
		    (dash && parse_number(dash + 1, len - lolen - 1, 100, 599, &hi) < 0))
			return fmt_error(
			    err, errlen,
			    "invalid status '%.*s' (want 100-599 or a range like 200-299)",
			    (int)len, p);
		if (!dash)
			hi = lo;
		if (hi < lo)
			return fmt_error(err, errlen, "empty range '%.*s'", (int)len, p);
		if (n == TARGET_MAX_RANGES)
			return fmt_error(err, errlen, "more than %d status ranges",
					 TARGET_MAX_RANGES);
		r[n].lo = (uint16_t)lo;
		r[n].hi = (uint16_t)hi;
		n++;
		if (p[len] == '\0')
			return n;
		p += len + 1;
	}
}

int
target_expect_match(const struct target *t, int status)
{
	if (t->nexpect == 0)
		return status >= 200 && status < 400;
	for (size_t i = 0; i < t->nexpect; i++)
		if (status >= t->expect[i].lo && status <= t->expect[i].hi)
			return 1;
	return 0;
}

static int
valid_header(const char *v)
{
	/* "Name: value": a token (RFC 9110 5.1), a colon, printable text. */
	const char *colon = strchr(v, ':');
	if (!colon || colon == v)
		return 0;
	for (const char *p = v; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
			return 0;
	for (const char *p = colon + 1; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return 0;
	return 1;
}

/* Applies one key=value of a --check spec. */
static int
spec_field(struct target *t, const char *key, char *val, int *have_url, char *err, size_t errlen)
{
	char why[128];
	if (strcmp(key, "name") == 0)
		return set_name(t, val, strlen(val), err, errlen);
	if (strcmp(key, "url") == 0) {
		if (*have_url)
			return fmt_error(err, errlen, "url given twice");
		*have_url = 1;
		if (parse_url(val, t, why, sizeof why) < 0)
			return fmt_error(err, errlen, "invalid url '%s': %s", val, why);
		return 0;
	}
	if (strcmp(key, "timeout") == 0) {
		if (duration_parse(val, MAX_TIMEOUT_MS, &t->timeout_ms, why, sizeof why) < 0)
			return fmt_error(err, errlen, "invalid timeout '%s': %s", val, why);
		return 0;
	}
	if (strcmp(key, "expect") == 0) {
		int n = target_parse_expect(val, t->expect, why, sizeof why);
		if (n < 0)
			return fmt_error(err, errlen, "invalid expect '%s': %s", val, why);
		t->nexpect = (size_t)n;
		return 0;
	}
	if (strcmp(key, "header") == 0) {
		if (!valid_header(val))
			return fmt_error(err, errlen, "invalid header '%s' (want 'Name: value')",
					 val);
		if (t->nheaders == TARGET_MAX_HEADERS)
			return fmt_error(err, errlen, "more than %d headers", TARGET_MAX_HEADERS);
		char *colon = strchr(val, ':');
		if (colon - val == 4 && strncasecmp(val, "host", 4) == 0)
			return fmt_error(err, errlen,
					 "set the Host header with host=, not header=");
		if (!(t->headers[t->nheaders++] = strdup(val)))
			return fmt_error(err, errlen, "out of memory");
		return 0;
	}
	if (strcmp(key, "host") == 0) {
		for (const char *c = val; *c; c++)
			if ((unsigned char)*c <= 0x20 || *c == 0x7f)
				return fmt_error(err, errlen, "invalid host '%s'", val);
		if (!*val)
			return fmt_error(err, errlen, "invalid host ''");
		free(t->host_header);
		return (t->host_header = strdup(val)) ? 0 : fmt_error(err, errlen, "out of memory");
	}
	if (strcmp(key, "method") == 0) {
		if (strcmp(val, "GET") != 0 && strcmp(val, "HEAD") != 0)
			return fmt_error(err, errlen, "invalid method '%s' (want GET or HEAD)",
					 val);
		strcpy(t->method, val);
		return 0;
	}
	if (strcmp(key, "body") == 0) {
		if (!*val || strlen(val) > TARGET_BODY_MAX)
			return fmt_error(err, errlen, "invalid body '%s' (want 1-%d bytes)", val,
					 TARGET_BODY_MAX);
		free(t->body);
		return (t->body = strdup(val)) ? 0 : fmt_error(err, errlen, "out of memory");
	}
	return fmt_error(
	    err, errlen,
	    "unknown key '%s' (want name, url, timeout, expect, header, host, method or body)",
	    key);
}

/* Splits the next CSV field off *p into out: double quotes group, "" is a quote. */
static int
next_field(const char **p, struct buf *out)
{
	const char *s = *p;
	int quoted = 0;
	out->len = 0;
	buf_append(out, "", 0);
	for (; *s && (quoted || *s != ','); s++) {
		if (*s == '"') {
			if (quoted && s[1] == '"')
				buf_append(out, s++, 1);
			else
				quoted = !quoted;
			continue;
		}
		buf_append(out, s, 1);
	}
	*p = *s ? s + 1 : s;
	return quoted ? -1 : 0;
}

int
target_parse_spec(const char *spec, struct target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	struct buf field = {0}, key = {0}, val = {0};
	int have_url = 0, rc = 0;
	const char *p = spec;
	while (*p && rc == 0) {
		if (next_field(&p, &field) < 0) {
			rc = fmt_error(err, errlen, "unterminated quote");
			break;
		}
		char *eq = field.data ? strchr(field.data, '=') : NULL;
		if (!eq) {
			/* "expect=200,204": a bare field continues the previous value. */
			if (key.len == 0) {
				rc = fmt_error(err, errlen, "'%s' is not key=value",
					       field.data ? field.data : "");
				break;
			}
			buf_append(&val, ",", 1);
			buf_append(&val, field.data, field.len);
			continue;
		}
		if (key.len)
			rc = spec_field(t, key.data, val.data, &have_url, err, errlen);
		key.len = val.len = 0;
		buf_append(&key, field.data, (size_t)(eq - field.data));
		buf_append(&val, eq + 1, strlen(eq + 1));
		buf_append(&val, "", 0);
	}
	if (rc == 0 && key.len)
		rc = spec_field(t, key.data, val.data, &have_url, err, errlen);
	if (rc == 0 && (field.failed || key.failed || val.failed))
		rc = fmt_error(err, errlen, "out of memory");
	buf_free(&field);
	buf_free(&key);
	buf_free(&val);
	if (rc == 0 && !have_url)
		rc = fmt_error(err, errlen, "missing url=");
	if (rc == 0 && t->kind == TARGET_TCP &&
	    (t->nexpect || t->nheaders || t->host_header || t->method[0] || t->body))
		rc = fmt_error(err, errlen,
			       "expect, header, host, method and body are for http:// checks");
	if (rc == 0 && strcmp(t->method, "HEAD") == 0 && t->body)
		rc = fmt_error(err, errlen, "body= needs method GET (a HEAD response has no body)");
	if (rc < 0) {
		target_free(t);
		return -1;
	}
	return finish(t, err, errlen);
}

int
target_set_call(struct target *t, const char *method, char *err, size_t errlen)
{
	size_t n = strlen(method);
	if (t->kind != TARGET_HTTP)
		return fmt_error(err, errlen, "only http:// URLs can be called");
	if (n == 0 || n >= sizeof t->method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
		return fmt_error(
		    err, errlen,
		    "invalid method '%s' (want an upper-case HTTP method such as POST)", method);
	memcpy(t->method, method, n + 1);
	t->expect[0] = (struct status_range){200, 299};
	t->nexpect = 1;
	free(t->request);
	t->request = NULL;
	if (render_request(t) < 0)
		return fmt_error(err, errlen, "out of memory");
	return 0;
}

int
target_ip_literal(const char *s)
{
	struct in6_addr a;
	if (inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1)
		return 0;
	return -1;
}

void
target_free(struct target *t)
{
	free(t->name);
	free(t->text);
	free(t->path);
	free(t->request);
	free(t->host_header);
	free(t->body);
	for (size_t i = 0; i < t->nheaders; i++)
		free(t->headers[i]);
	memset(t, 0, sizeof *t);
}
