/* Location headers resolved as Go's net/url resolves them for kubelet's client: the same
 * parse errors, the same dot-segment removal, the same escaping of the path, so that a
 * redirect podhealth follows is the one kubelet follows. */
#include "url.h"

#include "buf.h"
#include "fmt.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* One parsed reference; the strings point into the caller's copy of it. */
struct ref {
	char scheme[16];
	int opaque;            /* "scheme:rest" without "//" or "/": no host at all */
	const char *authority; /* after "//", or NULL */
	size_t authority_len;
	const char *path, *query; /* raw; query NULL when absent */
	size_t path_len, query_len;
	int force_query; /* a '?' with nothing after it */
};

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Returns 0 when every '%' in s starts a two-digit hex escape (else Go's "invalid URL
 * escape"). */
static int
check_escapes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '%' && fmt_percent_byte(s + i, n - i) < 0)
			return -1;
	return 0;
}

/* Bytes Go leaves alone in a path (net/url shouldEscape with encodePath). */
static int
path_keeps(unsigned char c)
{
	return isalnum(c) || (c && strchr("-._~$&+,/:;=@", c));
}

/* Writes the path as Go's URL.EscapedPath would send it: as written when every byte is
 * allowed there, else decoded and escaped afresh. */
static void
escaped_path(const char *s, size_t n, struct buf *b)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!path_keeps((unsigned char)s[i]) && !strchr("!'()*[]%", s[i]))
			break;
	if (i == n) {
		buf_append(b, s, n);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int d = fmt_percent_byte(s + i, n - i); /* well formed: check_escapes ran first */
		if (d >= 0) {
			c = (unsigned char)d;
			i += 2;
		}
		char esc[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
		if (path_keeps(c))
			buf_append(b, &c, 1);
		else
			buf_append(b, esc, 3);
	}
}

/* Parses a reference as net/url.Parse does (after the fragment is cut off). */
static int
parse_ref(const char *s, size_t n, struct ref *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	/* The scheme: a letter, then letters, digits, '+', '-', '.', up to ':'. */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (isalpha((unsigned char)c))
			continue;
		if (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				break;
			continue;
		}
		if (c == ':') {
			if (i == 0)
				return fmt_error(err, errlen, "missing protocol scheme");
			/* Go takes a scheme of any length; a long one is kept cut, which
			 * names neither http nor https, as it did not. */
			for (size_t j = 0; j < i && j + 1 < sizeof r->scheme; j++)
				r->scheme[j] = (char)tolower((unsigned char)s[j]);
			s += i + 1;
			n -= i + 1;
		}
		break;
	}
	const char *q = memchr(s, '?', n);
	if (q) {
		r->query = q + 1;
		r->query_len = n - (size_t)(q - s) - 1;
		r->force_query = r->query_len == 0;
		n = (size_t)(q - s);
	}
	if (n == 0 || s[0] != '/') {
		if (r->scheme[0]) {
			r->opaque = 1;
			return 0;
		}
		const char *slash = memchr(s, '/', n);
		size_t seg = slash ? (size_t)(slash - s) : n;
		if (memchr(s, ':', seg))
			return fmt_error(err, errlen,
					 "first path segment in URL cannot contain colon");
	}
	if (n >= 2 && s[0] == '/' && s[1] == '/' && (r->scheme[0] || n < 3 || s[2] != '/')) {
		const char *slash = memchr(s + 2, '/', n - 2);
		r->authority = s + 2;
		r->authority_len = slash ? (size_t)(slash - s - 2) : n - 2;
		s += 2 + r->authority_len;
		n -= 2 + r->authority_len;
	}
	if (check_escapes(s, n) < 0)
		return fmt_error(err, errlen, "invalid URL escape");
	r->path = s;
	r->path_len = n;
	return 0;
}

/* A byte a host may hold as it is (net/url shouldEscape with encodeHost false). */
static int
host_byte(int c)
{
	return c < 0x80 && (isalnum(c) || (c && strchr("-._~!$&'()*+,;=:[]<>\"", c)));
}

/* Go's validOptionalPort: "" or ':' followed by digits. */
static int
valid_port(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	if (s[0] != ':')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Checks an authority as net/url's parseAuthority and parseHost do, and writes the host
 * (unescaped, with any port) to b and any user information, as an Authorization value,
 * to *auth (NULL when there is none). */
static int
parse_authority(const char *a, size_t n, struct buf *b, char **auth, char *err, size_t errlen)
{
	for (size_t i = n; i > 0; i--)
		if (a[i - 1] == '@') {
			/* Go's validUserinfo (RFC 3986 3.2.1, and '@'), then its escapes: either
			 * refusal is "invalid userinfo" here. */
			for (size_t j = 0; j + 1 < i; j++)
				if (!isalnum((unsigned char)a[j]) &&
				    !strchr("-._:~!$&'()*+,;=%@", a[j]))
					return fmt_error(err, errlen, "invalid userinfo");
			if (check_escapes(a, i - 1) < 0)
				return fmt_error(err, errlen, "invalid userinfo");
			struct buf basic = {0};
			url_basic_auth(a, i - 1, &basic);
			if (basic.failed) {
				buf_free(&basic);
				return fmt_error(err, errlen, "out of memory");
			}
			*auth = basic.data;
			a += i;
			n -= i;
			break;
		}
	/* The host rules of kubelet 1.37's Go (1.26), where they are stricter than before:
	 * brackets hold an IPv6 address, not a name or IPv4 (1.24.8, CVE-2025-47912); an IP
	 * literal only at the start (1.26.1, CVE-2026-25679); past the brackets, the first
	 * colon starts the port, so a second colon is malformed ("localhost:80:80", "::1":
	 * urlstrictcolons, 1.26). Each a parse error, so the redirect fails. A zone (after
	 * "%25") is not empty (Go's encodeZone, below, says what it may escape). */
	const char *port = NULL, *close = NULL, *zone = NULL;
	if (n > 0 && a[0] == '[') {
		if (memchr(a + 1, '[', n - 1))
			return fmt_error(err, errlen, "invalid IP-literal in host");
		for (size_t i = n; i > 0 && !close; i--)
			if (a[i - 1] == ']')
				close = a + i - 1;
		if (!close)
			return fmt_error(err, errlen, "missing ']' in host");
		port = close + 1;
		for (const char *p = a; p + 3 <= close && !zone; p++)
			if (memcmp(p, "%25", 3) == 0)
				zone = p;
		if (zone && zone + 3 == close)
			return fmt_error(err, errlen, "invalid IP-literal in host");
		size_t len = (size_t)((zone ? zone : close) - a - 1);
		char ip[INET6_ADDRSTRLEN];
		struct in6_addr any;
		if (len >= sizeof ip)
			return fmt_error(err, errlen, "invalid IP-literal in host");
		memcpy(ip, a + 1, len);
		ip[len] = '\0';
		if (inet_pton(AF_INET6, ip, &any) != 1)
			return fmt_error(err, errlen, "invalid IP-literal in host");
	} else {
		if (memchr(a, '[', n))
			return fmt_error(err, errlen, "invalid IP-literal in host");
		port = memchr(a, ':', n);
	}
	if (port && !valid_port(port, n - (size_t)(port - a)))
		return fmt_error(err, errlen, "invalid port after host");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c == '%') {
			/* In a host, only bytes outside ASCII may be escaped (and %25, a zone);
			 * in a zone, only '%', ' ' and what a host may hold as it is (Go's
			 * encodeZone). */
			int d = fmt_percent_byte(a + i, n - i);
			int in_zone = zone && a + i >= zone && a + i < close;
			if (d < 0 || (in_zone ? d != '%' && d != ' ' && !host_byte(d)
					      : d < 0x80 && d != '%'))
				return fmt_error(err, errlen, "invalid URL escape in host");
			buf_append(b, &(char){(char)d}, 1);
			i += 2;
			continue;
		}
		if (c < 0x80 && !host_byte(c))
			return fmt_error(err, errlen, "invalid character in host name");
		buf_append(b, &a[i], 1);
	}
	return 0;
}

/* Go's resolvePath: merges ref into base (RFC 3986 section 5.2.3) and removes dot
 * segments (section 5.2.4); the result starts with '/' unless it is empty. */
static void
resolve_path(const char *base, size_t blen, const char *ref, size_t rlen, struct buf *out)
{
	struct buf full = {0};
	if (rlen == 0) {
		buf_append(&full, base, blen);
	} else if (ref[0] != '/') {
		size_t keep = 0;
		for (size_t i = blen; i > 0; i--)
			if (base[i - 1] == '/') {
				keep = i;
				break;
			}
		buf_append(&full, base, keep);
		buf_append(&full, ref, rlen);
	} else {
		buf_append(&full, ref, rlen);
	}
	if (full.len == 0) {
		buf_free(&full);
		return;
	}
	struct buf dst = {0};
	buf_append(&dst, "/", 1);
	int first = 1;
	const char *p = full.data, *end = full.data + full.len;
	size_t elen = 0;
	const char *elem = NULL;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		elem = p;
		elen = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (elen == 1 && elem[0] == '.') {
			first = 0;
		} else if (elen == 2 && elem[0] == '.' && elem[1] == '.') {
			/* Drop the last segment written (the leading '/' stays). */
			size_t cut = 0;
			for (size_t i = dst.len; i > 1; i--)
				if (dst.data[i - 1] == '/') {
					cut = i - 1;
					break;
				}
			if (cut == 0) {
				dst.len = 1;
				first = 1;
			} else {
				dst.len = cut;
			}
			dst.data[dst.len] = '\0';
		} else {
			if (!first)
				buf_append(&dst, "/", 1);
			buf_append(&dst, elem, elen);
			first = 0;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	if ((elen == 1 && elem[0] == '.') || (elen == 2 && elem[0] == '.' && elem[1] == '.'))
		buf_append(&dst, "/", 1);
	const char *r = dst.data;
	size_t rl = dst.len;
	if (rl > 1 && r[1] == '/') {
		r++;
		rl--;
	}
	buf_append(out, r, rl);
	buf_free(&dst);
	buf_free(&full);
}

static void
append_unescaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = fmt_percent_byte(s + i, n - i);
		if (c >= 0) {
			buf_append(b, &(char){(char)c}, 1);
			i += 2;
		} else {
			buf_append(b, &s[i], 1);
		}
	}
}

void
url_basic_auth(const char *info, size_t n, struct buf *out)
{
	const char *colon = memchr(info, ':', n);
	struct buf plain = {0};
	append_unescaped(&plain, info, colon ? (size_t)(colon - info) : n);
	buf_append(&plain, ":", 1);
	if (colon)
		append_unescaped(&plain, colon + 1, n - (size_t)(colon - info) - 1);
	buf_append(out, "Basic ", 6);
	buf_base64(out, plain.data, plain.len);
	out->failed |= plain.failed;
	buf_free(&plain);
}

/* Splits host[:port] as Go's URL.Hostname and URL.Port do. */
static int
split_authority(struct url *u, const char *a, char *err, size_t errlen)
{
	size_t n = strlen(a), hlen = n;
	const char *colon = strrchr(a, ':');
	unsigned long port = 0;
	int have_port = 0;
	if (colon && valid_port(colon, n - (size_t)(colon - a))) {
		hlen = (size_t)(colon - a);
		have_port = colon[1] != '\0';
		for (const char *p = colon + 1; *p; p++) {
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return fmt_error(err, errlen, "invalid port");
		}
	}
	if (hlen >= 2 && a[0] == '[' && a[hlen - 1] == ']') {
		a++;
		hlen -= 2;
	}
	if (hlen >= sizeof u->hostname)
		return fmt_error(err, errlen, "host name too long");
	memcpy(u->hostname, a, hlen);
	u->hostname[hlen] = '\0';
	if (have_port && port == 0)
		return fmt_error(err, errlen, "invalid port");
	u->port = have_port                         ? (uint16_t)port
		  : strcmp(u->scheme, "https") == 0 ? 443
		  : strcmp(u->scheme, "http") == 0  ? 80
						    : 0;
	return 0;
}

/* net/url.Parse up to the authority: control bytes (before the fragment), the fragment's
 * escapes, then parse_ref. */
static int
parse_url(const char *s, size_t n, struct ref *r, char *err, size_t errlen)
{
	const char *hash = memchr(s, '#', n);
	size_t end = hash ? (size_t)(hash - s) : n;
	for (size_t i = 0; i < end; i++)
		if (is_ctl((unsigned char)s[i]))
			return fmt_error(err, errlen, "invalid control character in URL");
	if (hash && check_escapes(hash + 1, n - end - 1) < 0)
		return fmt_error(err, errlen, "invalid URL escape in fragment");
	return parse_ref(s, end, r, err, errlen);
}

int
url_parse_host(const char *s, size_t n, struct buf *host)
{
	struct ref r;
	char err[8], *auth = NULL;
	if (parse_url(s, n, &r, err, sizeof err) < 0)
		return -1;
	int rc = r.authority
		     ? parse_authority(r.authority, r.authority_len, host, &auth, err, sizeof err)
		     : 0;
	free(auth);
	return rc;
}

int
url_resolve(const struct url *base, const char *ref, size_t len, struct url *out, char *err,
	    size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (len > URL_LOCATION_MAX)
		return fmt_error(err, errlen, "longer than %d bytes", URL_LOCATION_MAX);
	struct ref r;
	if (parse_url(ref, len, &r, err, errlen) < 0)
		return -1;
	struct buf authority = {0}, target = {0}, path = {0};
	int rc = 0;
	const char *bq = strchr(base->target, '?');
	size_t bplen = bq ? (size_t)(bq - base->target) : strlen(base->target);
	fmt_format(out->scheme, sizeof out->scheme, "%s", r.scheme[0] ? r.scheme : base->scheme);
	out->relative = r.scheme[0] == '\0';
	if (r.opaque) {
		/* "scheme:rest" names no host: never the same host, so never followed. */
		buf_append(&authority, "", 0);
		buf_append(&target, "/", 1);
	} else if (r.scheme[0] || r.authority) {
		if (r.authority)
			rc = parse_authority(r.authority, r.authority_len, &authority,
					     &out->authorization, err, errlen);
		else
			buf_append(&authority, "", 0);
		escaped_path(r.path, r.path_len, &path);
		resolve_path(path.data, path.len, "", 0, &target);
	} else {
		buf_append(&authority, base->authority, strlen(base->authority));
		if (base->authorization && !(out->authorization = strdup(base->authorization)))
			rc = fmt_error(err, errlen, "out of memory");
		escaped_path(r.path, r.path_len, &path);
		resolve_path(base->target, bplen, path.data ? path.data : "", path.len, &target);
		if (r.path_len == 0 && !r.force_query && !r.query && bq) {
			r.query = bq + 1;
			r.query_len = strlen(bq + 1);
		}
	}
	if (target.len == 0)
		buf_append(&target, "/", 1);
	if (r.query && (r.query_len || r.force_query)) {
		buf_append(&target, "?", 1);
		buf_append(&target, r.query, r.query_len);
	}
	buf_free(&path);
	buf_append(&authority, "", 0); /* "//" names an empty host: still a string */
	if (rc == 0 && (authority.failed || target.failed))
		rc = fmt_error(err, errlen, "out of memory");
	out->authority = authority.data;
	out->target = target.data;
	if (rc == 0)
		rc = split_authority(out, out->authority, err, errlen);
	if (rc < 0)
		url_free(out);
	return rc;
}

void
url_format(const struct url *u, struct buf *b)
{
	buf_printf(b, "%s://%s%s", u->scheme, u->authority, u->target);
}

void
url_free(struct url *u)
{
	free(u->authority);
	free(u->target);
	free(u->authorization);
	u->authority = u->target = u->authorization = NULL;
}
