#include "target.h"

#include "buf.h"
#include "config.h"
#include "duration.h"
#include "fmt.h"
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What follows a scheme's host:port, which is also what its derived name adds to it. */
enum path_rule {
	PATH_REQUEST, /* an HTTP request target, "/" by default; the name adds the path */
	PATH_NAME,    /* a gRPC health service or a database, "" by default; the name adds
		       * "/name" */
	PATH_NONE,    /* nothing, or "/" */
	PATH_SOCKET,  /* an absolute unix socket path instead of host:port; the name "unix:path" */
};

/* What a scheme takes before host: user[:password]@. */
enum userinfo {
	USERINFO_NONE,
	USERINFO_BASIC, /* sent as Basic credentials */
	USERINFO_USER,  /* a user name, never a password: readiness needs none */
};

/* The schemes, with what they mean: a new kind of check is a row here (and one in check.c's
 * kinds[]). form: how the usage and refusals write it (NULL: a sibling's form covers it). */
static const struct scheme {
	const char *name;
	enum target_kind kind;
	int tls;
	uint16_t port; /* the default; 0: the URL must give one */
	enum path_rule path;
	enum userinfo userinfo;
	const char *form;
} schemes[] = {
    {"http", TARGET_HTTP, 0, 80, PATH_REQUEST, USERINFO_BASIC,
     "http[s]://host[:port][/path][?query]"},
    {"https", TARGET_HTTP, 1, 443, PATH_REQUEST, USERINFO_BASIC, NULL},
    {"tcp", TARGET_TCP, 0, 0, PATH_NONE, USERINFO_NONE, "tcp://host:port"},
    {"grpc", TARGET_GRPC, 0, 0, PATH_NAME, USERINFO_NONE, "grpc[s]://host:port[/service]"},
    {"grpcs", TARGET_GRPC, 1, 0, PATH_NAME, USERINFO_NONE, NULL},
    {"unix", TARGET_UNIX, 0, 0, PATH_SOCKET, USERINFO_NONE, "unix:///path"},
    {"postgres", TARGET_POSTGRES, 0, 5432, PATH_NAME, USERINFO_USER,
     "postgres[ql]://[user@]host[:port][/database]"},
    {"postgresql", TARGET_POSTGRES, 0, 5432, PATH_NAME, USERINFO_USER, NULL},
    {"mysql", TARGET_MYSQL, 0, 3306, PATH_NONE, USERINFO_USER, "mysql://[user@]host[:port]"},
    {"redis", TARGET_REDIS, 0, 6379, PATH_NONE, USERINFO_NONE, "redis[s]://host[:port]"},
    {"rediss", TARGET_REDIS, 1, 6379, PATH_NONE, USERINFO_NONE, NULL},
};

#define NSCHEMES (sizeof schemes / sizeof schemes[0])

/* The scheme row of a target. */
static const struct scheme *
scheme_of(const struct target *t)
{
	for (size_t i = 0; i < NSCHEMES; i++)
		if (schemes[i].kind == t->kind && schemes[i].tls == t->tls)
			return &schemes[i];
	return &schemes[0]; /* not reached: every target comes from a row */
}

void
target_forms(struct buf *b, const char *sep, const char *last, int schemes_only)
{
	size_t n = 0, total = 0;
	for (size_t i = 0; i < NSCHEMES; i++)
		total += schemes[i].form != NULL;
	for (size_t i = 0; i < NSCHEMES; i++) {
		const char *f = schemes[i].form;
		if (f)
			buf_printf(b, "%s%.*s",
				   n++ == 0     ? ""
				   : n == total ? last
						: sep,
				   (int)(schemes_only ? strstr(f, "//") + 2 - f : (long)strlen(f)),
				   f);
	}
}

/* Refuses what parse_url saw with why, then the schemes the rows write ("a, b or c"). */
static int
url_error(char *err, size_t errlen, const char *why, size_t whylen)
{
	struct buf b = {0};
	target_forms(&b, ", ", " or ", 1);
	int rc = fmt_error(err, errlen, "%.*s (want %s)", (int)whylen, why, b.data ? b.data : "");
	buf_free(&b);
	return rc;
}

static int
valid_host_name(const char *s, size_t n)
{
	/* RFC 1123 host names, plus '_' which DNS records sometimes carry. */
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
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
	if (n >= sizeof t->host || !valid_host_name(s, n))
		return fmt_error(err, errlen, "invalid host name");
	memcpy(t->host, s, n);
	t->host[n] = '\0';
	struct in_addr a4;
	if (strspn(t->host, "0123456789.") == n && inet_pton(AF_INET, t->host, &a4) != 1)
		return fmt_error(err, errlen, "invalid IPv4 address");
	return 0;
}

static int
parse_unix(const char *path, struct target *t, char *err, size_t errlen)
{
	if (path[0] != '/')
		return fmt_error(err, errlen,
				 "unix:// needs an absolute path: unix:///run/app.sock");
	if (strlen(path) > 107)
		return fmt_error(err, errlen, "unix socket path longer than 107 bytes");
	if (strpbrk(path, "?#"))
		return fmt_error(err, errlen, "unix:// takes a path only");
	t->socket_path = strdup(path);
	t->path = strdup("");
	t->authority = strdup("localhost");
	return t->socket_path && t->path && t->authority ? 0
							 : fmt_error(err, errlen, "out of memory");
}

/* user[:password]@ (n bytes at info): Go's client sends them as Basic authorization; the
 * URL shown in logs has the password replaced, as Go's URL.Redacted does. */
static int
set_userinfo(struct target *t, const char *url, const char *info, size_t n)
{
	const char *colon = memchr(info, ':', n);
	struct buf header = {0}, text = {0};
	url_basic_auth(info, n, &header);
	buf_append(&text, url, (size_t)(colon ? colon + 1 - url : info + n - url));
	buf_printf(&text, "%s%s", colon ? "xxxxx" : "", info + n);
	if (header.failed || text.failed) {
		buf_free(&header);
		buf_free(&text);
		return -1;
	}
	free(t->authorization);
	free(t->text);
	t->authorization = header.data;
	t->text = text.data;
	return 0;
}

/* user@ (n bytes at info) of a scheme that presents a user name: never a password, and
 * no percent-escapes (a name that needs them is not one to probe with). */
static int
set_user(struct target *t, const char *scheme, const char *info, size_t n, char *err, size_t errlen)
{
	if (memchr(info, ':', n))
		return fmt_error(err, errlen,
				 "%s:// takes a user name, never a password (readiness needs none)",
				 scheme);
	if (n == 0 || n > 63 || memchr(info, '%', n) || memchr(info, '@', n))
		return fmt_error(err, errlen, "%s:// user: want 1-63 characters, no %% or @",
				 scheme);
	free(t->user);
	t->user = strndup(info, n);
	return t->user ? 0 : fmt_error(err, errlen, "out of memory");
}

/* Parses the URL part of a check (see target_parse). */
static int
parse_url(const char *s, struct target *t, char *err, size_t errlen)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fmt_error(err, errlen, "contains a space or control character");
	const char *sep = strstr(s, "://");
	if (!sep)
		return url_error(err, errlen, "not a URL", 9);
	size_t slen = (size_t)(sep - s);
	const struct scheme *sc = NULL;
	for (size_t i = 0; i < NSCHEMES; i++)
		if (strlen(schemes[i].name) == slen && strncasecmp(s, schemes[i].name, slen) == 0)
			sc = &schemes[i];
	if (!sc) {
		char why[48];
		fmt_format(why, sizeof why, "unsupported scheme '%.*s'",
			   (int)(slen > 16 ? 16 : slen), s);
		return url_error(err, errlen, why, strlen(why));
	}
	t->kind = sc->kind;
	t->tls = sc->tls;
	if (!t->text && !(t->text = strdup(s)))
		return fmt_error(err, errlen, "out of memory");
	if (sc->path == PATH_SOCKET)
		return parse_unix(sep + 3, t, err, errlen);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *rest = auth + alen;
	for (size_t i = alen; i > 0; i--)
		if (auth[i - 1] == '@') {
			if (sc->userinfo == USERINFO_NONE)
				return fmt_error(err, errlen, "%s:// takes no user@", sc->name);
			if (sc->userinfo == USERINFO_USER &&
			    set_user(t, sc->name, auth, i - 1, err, errlen) < 0)
				return -1;
			if (sc->userinfo == USERINFO_BASIC && set_userinfo(t, s, auth, i - 1) < 0)
				return fmt_error(err, errlen, "out of memory");
			auth += i;
			alen -= i;
			break;
		}

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
	unsigned long port = sc->port;
	if (colon && fmt_parse_uint(colon + 1, alen - hlen - 1, 1, 65535, &port) < 0)
		return fmt_error(err, errlen, "invalid port (want 1-65535)");
	if (!port)
		return fmt_error(err, errlen, "%s:// needs a port", sc->name);
	t->port = (uint16_t)port;
	t->authority = strndup(auth, alen);

	size_t plen = strcspn(rest, "#"); /* a fragment is never sent (RFC 9110 4.2.4) */
	if (sc->path == PATH_NONE && plen > 0 && strcmp(rest, "/") != 0)
		return fmt_error(err, errlen, "%s:// takes no path", sc->name);
	if (sc->path == PATH_NAME) {
		/* grpc://host:port/SERVICE, the health service to ask about, or a database. */
		if (memchr(rest, '?', plen))
			return fmt_error(err, errlen, "%s:// takes no query", sc->name);
		t->path =
		    strndup(rest[0] == '/' ? rest + 1 : rest, rest[0] == '/' ? plen - 1 : plen);
	} else if (plen == 0 || rest[0] == '?') {
		t->path = malloc(plen + 2);
		if (t->path) {
			t->path[0] = '/';
			memcpy(t->path + 1, rest, plen);
			t->path[plen + 1] = '\0';
		}
	} else {
		t->path = strndup(rest, plen);
	}
	if (!t->path || !t->authority)
		return fmt_error(err, errlen, "out of memory");
	return 0;
}

/* The name rules: 1-128 printable characters without space, '?', '&', '#', '=', ',', '"',
 * '\' or '%', so that a name stands in /all/NAME and ?exclude=NAME unescaped. */
static int
name_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("?&#=,\"\\%", c);
}

static int
valid_check_name(const char *s, size_t n)
{
	if (n == 0 || n > TARGET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "localhost:15020/healthz/ready": authority and path without scheme or query, with any
 * character the name rules forbid made '_', and cut at 128 characters. */
static int
derive_name(struct target *t)
{
	struct buf b = {0};
	enum path_rule rule = scheme_of(t)->path;
	if (rule == PATH_SOCKET) {
		buf_printf(&b, "unix:%s", t->socket_path);
	} else {
		buf_printf(&b, strchr(t->host, ':') ? "[%s]:%u" : "%s:%u", t->host, t->port);
		if (rule == PATH_REQUEST) {
			size_t n = strcspn(t->path, "?");
			if (n > 1)
				buf_append(&b, t->path, n);
		} else if (rule == PATH_NAME && t->path[0]) {
			buf_printf(&b, "/%s", t->path);
		}
	}
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	if (b.len > TARGET_NAME_MAX)
		b.data[b.len = TARGET_NAME_MAX] = '\0';
	for (size_t i = 0; i < b.len; i++)
		if (!name_char((unsigned char)b.data[i]))
			b.data[i] = '_';
	t->name = b.data;
	t->derived_name = 1;
	return 0;
}

int
target_rename(struct target *t, int (*unique)(const char *name, void *arg), void *arg)
{
	char base[TARGET_NAME_MAX + 1];
	fmt_format(base, sizeof base, "%s", t->name);
	for (unsigned n = 2;; n++) {
		char suffix[16], name[TARGET_NAME_MAX + 1];
		int slen = fmt_format(suffix, sizeof suffix, "~%u", n);
		fmt_format(name, sizeof name, "%.*s%s", TARGET_NAME_MAX - slen, base, suffix);
		if (unique(name, arg)) {
			char *copy = strdup(name);
			if (!copy)
				return -1;
			free(t->name);
			t->name = copy;
			return 0;
		}
	}
}

/* Cross-checks keys and URL, then fills the defaults. */
static int
check(struct target *t, char *err, size_t errlen)
{
	/* kubelet 1.37 (protocol: HTTP2) refuses both, and so does podhealth. */
	if (t->http2 && t->tls)
		return fmt_error(err, errlen, "protocol=http2 is for http:// (h2c), not https://");
	if (t->http2 && t->host_header)
		return fmt_error(err, errlen, "protocol=http2 takes no host=");
	if (strcmp(t->method, "HEAD") == 0 && t->body)
		return fmt_error(err, errlen,
				 "body= needs method GET (a HEAD response has no body)");
	/* gRPC metadata: grpc-* names are gRPC's own, and so is content-type; a -bin value
	 * is binary, which a command line does not carry. */
	for (size_t i = 0; t->kind == TARGET_GRPC && i < t->nheaders; i++) {
		const char *h = t->headers[i];
		size_t n = strcspn(h, ":");
		if ((n >= 5 && strncasecmp(h, "grpc-", 5) == 0) ||
		    (n == 12 && strncasecmp(h, "content-type", 12) == 0) ||
		    (n > 4 && strncasecmp(h + n - 4, "-bin", 4) == 0))
			return fmt_error(err, errlen, "header %.*s is not for gRPC metadata",
					 (int)(n > 40 ? 40 : n), h);
	}
	if (!t->method[0])
		strcpy(t->method, "GET");
	if (!t->name && derive_name(t) < 0)
		return fmt_error(err, errlen, "out of memory");
	return 0;
}

/* After parsing (rc: its result so far): check(), and t freed on failure. */
static int
finish(struct target *t, int rc, char *err, size_t errlen)
{
	if (rc == 0)
		rc = check(t, err, errlen);
	if (rc < 0)
		target_free(t);
	return rc;
}

static int
set_name(struct target *t, const char *s, size_t n, char *err, size_t errlen)
{
	if (!valid_check_name(s, n))
		return fmt_error(err, errlen,
				 "invalid check name '%.*s' (want 1-128 printable characters, none "
				 "of space ? & # = , \" \\ %%)",
				 (int)(n > 64 ? 64 : n), s);
	free(t->name);
	t->name = strndup(s, n);
	return t->name ? 0 : fmt_error(err, errlen, "out of memory");
}

static void
defaults(struct target *t)
{
	memset(t, 0, sizeof *t);
	t->redirects = 1;
}

int
target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
	defaults(t);
	/* "NAME=URL": a '=' before the scheme separator names the check. */
	const char *eq = strchr(s, '=');
	const char *sep = strstr(s, "://");
	int rc = 0;
	if (eq && (!sep || eq < sep)) {
		rc = set_name(t, s, (size_t)(eq - s), err, errlen);
		s = eq + 1;
	}
	if (rc == 0)
		rc = parse_url(s, t, err, errlen);
	return finish(t, rc, err, errlen);
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
		if (fmt_parse_uint(p, lolen, 100, 599, &lo) < 0 ||
		    (dash && fmt_parse_uint(dash + 1, len - lolen - 1, 100, 599, &hi) < 0))
			return fmt_error(
			    err, errlen,
			    "invalid status '%.*s' (want 100-599 or a range like 200-299)",
			    (int)(len > 16 ? 16 : len), p);
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

/* Headers that frame the request or the connection: podhealth sets them itself. */
static const char *const forbidden_headers[] = {
    "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE",
    "Trailer",        "Proxy-Connection",
};

/* Checks "Name: value": a token (RFC 9110 5.1), a colon, text without control
 * characters. The reasons name the header, never its value (it may be a secret). */
static int
check_header(const char *v, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : 0;
	if (v[0] == ':')
		return fmt_error(err, errlen, "header= cannot set a pseudo-header (use host=)");
	if (!colon || n == 0)
		return fmt_error(err, errlen, "header= wants 'Name: value'");
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("!#$%&'*+-.^_`|~", v[i]))
			return fmt_error(err, errlen, "header= name '%.*s' is not a token",
					 (int)(n > 40 ? 40 : n), v);
	for (const char *p = colon + 1; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fmt_error(err, errlen, "header %.*s: control character in the value",
					 (int)(n > 40 ? 40 : n), v);
	if (n == 4 && strncasecmp(v, "host", 4) == 0)
		return fmt_error(err, errlen, "set the Host header with host=, not header=");
	for (size_t i = 0; i < sizeof forbidden_headers / sizeof forbidden_headers[0]; i++)
		if (strlen(forbidden_headers[i]) == n &&
		    strncasecmp(v, forbidden_headers[i], n) == 0)
			return fmt_error(err, errlen,
					 "header %s is podhealth's to set (it frames the request)",
					 forbidden_headers[i]);
	return 0;
}

static int
set_string(char **field, const char *v, char *err, size_t errlen)
{
	free(*field);
	*field = strdup(v);
	return *field ? 0 : fmt_error(err, errlen, "out of memory");
}

/* --check keys: one row each (struct key). A setter's reasons start with the key. */

static int
key_name(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	(void)key;
	return set_name(t, val, strlen(val), err, errlen);
}

static int
key_url(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	char why[160];
	(void)key;
	if (t->text)
		return fmt_error(err, errlen, "url given twice");
	if (parse_url(val, t, why, sizeof why) < 0)
		return fmt_error(err, errlen, "url '%.80s%s': %s", val,
				 strlen(val) > 80 ? "..." : "", why);
	return 0;
}

static int
key_timeout(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	char why[160];
	(void)key;
	if (duration_parse(val, MAX_TIMEOUT_MS, &t->timeout_ms, why, sizeof why) < 0)
		return fmt_error(err, errlen, "timeout '%.32s': %s", val, why);
	return 0;
}

static int
key_expect(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	char why[160];
	(void)key;
	int n = target_parse_expect(val, t->expect, why, sizeof why);
	if (n < 0)
		return fmt_error(err, errlen, "expect: %s", why);
	t->nexpect = (size_t)n;
	return 0;
}

static int
key_header(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	(void)key;
	if (check_header(val, err, errlen) < 0)
		return -1;
	if (t->nheaders == TARGET_MAX_HEADERS)
		return fmt_error(err, errlen, "more than %d header= keys", TARGET_MAX_HEADERS);
	return set_string(&t->headers[t->nheaders++], val, err, errlen);
}

static int
key_host(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	(void)key;
	for (const char *c = val; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return fmt_error(err, errlen, "host: spaces or control characters");
	if (!*val)
		return fmt_error(err, errlen, "host: empty");
	return set_string(&t->host_header, val, err, errlen);
}

/* A key of two words: *out is 0 for the first, 1 for the second. */
static int
two_words(const char *key, const char *val, const char *a, const char *b, int *out, char *err,
	  size_t errlen)
{
	if (strcmp(val, a) != 0 && strcmp(val, b) != 0)
		return fmt_error(err, errlen, "%s '%.16s': want %s or %s", key, val, a, b);
	*out = strcmp(val, b) == 0;
	return 0;
}

static int
key_method(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	int head = 0;
	if (two_words(key, val, "GET", "HEAD", &head, err, errlen) < 0)
		return -1;
	strcpy(t->method, head ? "HEAD" : "GET");
	return 0;
}

static int
key_body(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	(void)key;
	if (!*val || strlen(val) > TARGET_BODY_MAX)
		return fmt_error(err, errlen, "body: want 1-%d bytes", TARGET_BODY_MAX);
	return set_string(&t->body, val, err, errlen);
}

static int
key_redirects(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	int off = 0;
	int rc = two_words(key, val, "on", "off", &off, err, errlen);
	t->redirects = !off;
	return rc;
}

static int
key_protocol(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	return two_words(key, val, "http1", "http2", &t->http2, err, errlen);
}

static int
key_socket(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	(void)key;
	if (val[0] != '/' || strlen(val) > 107)
		return fmt_error(err, errlen, "socket: want an absolute path of at most 107 bytes");
	return set_string(&t->socket_path, val, err, errlen);
}

static int
key_tls_string(struct target *t, const char *key, char *val, char *err, size_t errlen)
{
	size_t n = strlen(val);
	if (!n)
		return fmt_error(err, errlen, "%s: empty", key);
	/* No DNS name is longer (RFC 1035 3.1: 255 bytes on the wire); a longer one would be
	 * cut to fit and verified as its prefix. */
	if (key[0] == 's' && n - (val[n - 1] == '.') > 253)
		return fmt_error(err, errlen, "servername: longer than 253 bytes");
	return set_string(key[0] == 'c' ? &t->ca_file : &t->servername, val, err, errlen);
}

/* Where a key applies: a bit per scheme (its kind, and whether it runs TLS). */
#define FOR(kind, tls) (1u << ((kind)*2 + (tls)))
#define FOR_HTTP       (FOR(TARGET_HTTP, 0) | FOR(TARGET_HTTP, 1))
#define FOR_TLS        (FOR(TARGET_HTTP, 1) | FOR(TARGET_GRPC, 1) | FOR(TARGET_REDIS, 1))
#define FOR_ALL        ((1u << TARGET_KINDS * 2) - 1)
#define FOR_SOCKET     (FOR_ALL & ~FOR(TARGET_TCP, 0))
#define FOR_HTTP_GRPC  (FOR_HTTP | FOR(TARGET_GRPC, 0) | FOR(TARGET_GRPC, 1))

/* What the schemes a key applies to are called, by its FOR mask, in the refusal. */
static const struct scope {
	unsigned mask;
	const char *where;
} scopes[] = {
    {FOR_HTTP, "http(s)://"},
    {FOR_TLS, "https://, grpcs:// and rediss://"},
    {FOR_SOCKET, "every scheme but tcp://; use unix:///path"},
    {FOR_HTTP_GRPC, "http(s):// and grpc(s)://"},
};

/* Every --check key: the schemes it applies to, its setter, its --help line. */
static const struct key {
	const char *name;
	unsigned applies;
	int (*set)(struct target *t, const char *key, char *val, char *err, size_t errlen);
	const char *help;
} keys[] = {
    {"name", FOR_ALL, key_name, "the check's name (default: from the URL)"},
    {"url", FOR_ALL, key_url, "what to check (required), as CHECK's URL"},
    {"timeout", FOR_ALL, key_timeout, "this check's timeout, default --timeout"},
    {"expect", FOR_HTTP, key_expect, "statuses that pass, as 200,204,301-308; 200-399"},
    {"header", FOR_HTTP_GRPC, key_header, "'Name: value' to send (gRPC metadata), repeatable"},
    {"host", FOR_HTTP_GRPC, key_host, "the Host header (gRPC: :authority) to send"},
    {"method", FOR_HTTP, key_method, "GET (default) or HEAD"},
    {"body", FOR_HTTP, key_body, "text the first 10 KiB of the body must contain"},
    {"redirects", FOR_HTTP, key_redirects, "on (default: as kubelet) or off"},
    {"protocol", FOR_HTTP, key_protocol, "http1 (default), or http2: h2c, for http://"},
    {"socket", FOR_SOCKET, key_socket, "connect to this unix socket, not host:port"},
    {"ca", FOR_TLS, key_tls_string, "PEM CA file: verify the server (default: none)"},
    {"servername", FOR_TLS, key_tls_string, "the TLS server name to send and verify"},
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* Appends the names of the keys of scope applies (every key when 0) to b, as "a, b" and
 * last before the final one ("a, b and c"). Returns how many there are. */
static size_t
key_names(unsigned applies, const char *last, struct buf *b)
{
	size_t total = 0, n = 0;
	for (size_t i = 0; i < NKEYS; i++)
		total += !applies || keys[i].applies == applies;
	for (size_t i = 0; i < NKEYS; i++) {
		if (applies && keys[i].applies != applies)
			continue;
		n++;
		buf_printf(b, "%s%s", n == 1 ? "" : n == total ? last : ", ", keys[i].name);
	}
	return total;
}

/* Returns the index of key in keys[], or -1 with the refusal in err. */
static int
find_key(const char *key, char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(key, keys[i].name) == 0)
			return (int)i;
	struct buf want = {0};
	key_names(0, " or ", &want);
	fmt_error(err, errlen, "unknown key '%.32s' (want %s)", key, want.data ? want.data : "");
	buf_free(&want);
	return -1;
}

/* Refuses the first key given (bits of given, by index in keys[]) that does not apply to
 * t's scheme, naming every key of its scope. */
static int
check_scope(const struct target *t, unsigned given, char *err, size_t errlen)
{
	unsigned scheme = FOR(t->kind, t->tls);
	for (size_t i = 0; i < NKEYS; i++) {
		if (!(given >> i & 1) || keys[i].applies & scheme)
			continue;
		struct buf names = {0};
		size_t n = key_names(keys[i].applies, " and ", &names);
		const char *where = "";
		for (size_t s = 0; s < sizeof scopes / sizeof scopes[0]; s++)
			if (scopes[s].mask == keys[i].applies)
				where = scopes[s].where;
		fmt_error(err, errlen, "%s%s for %s", names.data ? names.data : "",
			  n == 1 ? "= is" : " are", where);
		buf_free(&names);
		return -1;
	}
	return 0;
}

void
target_keys_help(struct buf *b)
{
	for (size_t i = 0; i < NKEYS; i++)
		buf_printf(b, "  %-12s%s\n", keys[i].name, keys[i].help);
}

/* Applies one key=value of a --check spec; *given collects the keys seen. */
static int
spec_field(struct target *t, const char *key, char *val, unsigned *given, char *err, size_t errlen)
{
	int k = find_key(key, err, errlen);
	if (k < 0)
		return -1;
	*given |= 1u << k;
	return keys[k].set(t, key, val, err, errlen);
}

/* Splits the next field off *p into out. A field that starts with a double quote runs to
 * the closing one ("" inside is a quote), so it may hold commas; a quote anywhere else is
 * an ordinary character (body="status":"green" keeps its quotes). */
static int
next_field(const char **p, struct buf *out)
{
	const char *s = *p;
	out->len = 0;
	buf_append(out, "", 0);
	if (*s == '"') {
		for (s++;; s++) {
			if (!*s)
				return -1;
			if (*s == '"' && s[1] == '"')
				buf_append(out, s++, 1);
			else if (*s == '"')
				break;
			else
				buf_append(out, s, 1);
		}
		s++;
	}
	for (; *s && *s != ','; s++)
		buf_append(out, s, 1);
	*p = *s ? s + 1 : s;
	return 0;
}

int
target_parse_spec(const char *spec, struct target *t, char *err, size_t errlen)
{
	defaults(t);
	struct buf field = {0}, key = {0}, val = {0};
	unsigned given = 0;
	int rc = 0;
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
				rc = fmt_error(err, errlen, "'%.40s' is not key=value",
					       field.data ? field.data : "");
				break;
			}
			buf_append(&val, ",", 1);
			buf_append(&val, field.data, field.len);
			continue;
		}
		if (key.len)
			rc = spec_field(t, key.data, val.data, &given, err, errlen);
		key.len = val.len = 0;
		buf_append(&key, field.data, (size_t)(eq - field.data));
		buf_append(&val, eq + 1, strlen(eq + 1));
		buf_append(&val, "", 0);
	}
	if (rc == 0 && key.len)
		rc = spec_field(t, key.data, val.data, &given, err, errlen);
	if (rc == 0 && (field.failed || key.failed || val.failed))
		rc = fmt_error(err, errlen, "out of memory");
	buf_free(&field);
	buf_free(&key);
	buf_free(&val);
	if (rc == 0 && !t->text)
		rc = fmt_error(err, errlen, "missing url=");
	if (rc == 0)
		rc = check_scope(t, given, err, errlen);
	return finish(t, rc, err, errlen);
}

int
target_set_call(struct target *t, const char *method, char *err, size_t errlen)
{
	size_t n = strlen(method);
	if (t->kind != TARGET_HTTP)
		return fmt_error(err, errlen, "only http(s):// URLs can be called");
	if (n == 0 || n >= sizeof t->method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
		return fmt_error(
		    err, errlen,
		    "invalid method '%.16s' (want an upper-case HTTP method such as POST)", method);
	memcpy(t->method, method, n + 1);
	t->expect[0] = (struct status_range){200, 299};
	t->nexpect = 1;
	t->redirects = 0;
	return 0;
}

const char *
target_tls_name(const struct target *t)
{
	/* An address stays in the struct: a pointer to t->host would not survive the
	 * array of targets growing. */
	return t->servername ? t->servername : t->host;
}

int
target_ip_literal(const char *s)
{
	struct in6_addr a;
	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1;
}

void
target_free(struct target *t)
{
	free(t->name);
	free(t->text);
	free(t->authority);
	free(t->path);
	free(t->user);
	free(t->socket_path);
	free(t->host_header);
	free(t->authorization);
	free(t->body);
	free(t->ca_file);
	free(t->servername);
	for (size_t i = 0; i < t->nheaders; i++)
		free(t->headers[i]);
	memset(t, 0, sizeof *t);
}
