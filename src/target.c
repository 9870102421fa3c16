#include "target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "version.h"

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static int
valid_name(const char *s, size_t n)
{
	/* RFC 1123 host names, plus '_' which Kubernetes service names never use but DNS
	 * records sometimes do. */
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
		return fail(err, errlen, "missing host");
	if (s[0] == '[') {
		struct in6_addr a6;
		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof t->host)
			return fail(err, errlen, "malformed IPv6 address");
		memcpy(t->host, s + 1, n - 2);
		t->host[n - 2] = '\0';
		if (inet_pton(AF_INET6, t->host, &a6) != 1)
			return fail(err, errlen, "malformed IPv6 address");
		return 0;
	}
	if (n >= sizeof t->host || !valid_name(s, n))
		return fail(err, errlen, "invalid host name");
	memcpy(t->host, s, n);
	t->host[n] = '\0';
	struct in_addr a4;
	if (all_digits_and_dots(s, n) && inet_pton(AF_INET, t->host, &a4) != 1)
		return fail(err, errlen, "invalid IPv4 address");
	return 0;
}

static int
parse_port(const char *s, size_t n, uint16_t *port, char *err, size_t errlen)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return fail(err, errlen, "invalid port (want 1-65535)");
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return fail(err, errlen, "invalid port (want 1-65535)");
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return fail(err, errlen, "invalid port (want 1-65535)");
	*port = (uint16_t)v;
	return 0;
}

static int
render_request(struct target *t)
{
	/* What kubelet's HTTP prober sends (pkg/probe/http): Host with the port unless it is
	 * the scheme's default, a User-Agent naming us, Accept any, and no keep-alive. */
	char hostport[300];
	int v6 = strchr(t->host, ':') != NULL;
	if (t->port == 80)
		snprintf(hostport, sizeof hostport, v6 ? "[%s]" : "%s", t->host);
	else
		snprintf(hostport, sizeof hostport, v6 ? "[%s]:%u" : "%s:%u", t->host, t->port);
	struct buf b = {0};
	buf_printf(&b,
		   "GET %s HTTP/1.1\r\n"
		   "Host: %s\r\n"
		   "User-Agent: podhealth/" PODHEALTH_VERSION "\r\n"
		   "Accept: */*\r\n"
		   "Connection: close\r\n"
		   "\r\n",
		   t->path, hostport);
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	t->request = b.data;
	t->request_len = b.len;
	return 0;
}

int
target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return fail(err, errlen, "contains a space or control character");
	const char *sep = strstr(s, "://");
	if (!sep)
		return fail(err, errlen, "not a URL (want http://host[:port][/path])");
	if (sep - s != 4 || strncasecmp(s, "http", 4) != 0) {
		snprintf(err, errlen, "unsupported scheme '%.*s' (want http://)", (int)(sep - s),
			 s);
		return -1;
	}
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *rest = auth + alen;
	if (memchr(auth, '@', alen))
		return fail(err, errlen, "user information in URLs is not supported");

	/* The port separator is the last ':' outside an IPv6 literal's brackets. */
	const char *close = alen && auth[0] == '[' ? memchr(auth, ']', alen) : NULL;
	if (auth[0] == '[' && !close)
		return fail(err, errlen, "malformed IPv6 address");
	const char *colon = NULL;
	for (const char *p = close ? close : auth; p < auth + alen; p++)
		if (*p == ':')
			colon = p;
	size_t hlen = colon ? (size_t)(colon - auth) : alen;
	if (!close && memchr(auth, ':', hlen))
		return fail(err, errlen,
			    "IPv6 addresses must be in brackets, e.g. http://[::1]:8080/");
	if (parse_host(auth, hlen, t, err, errlen) < 0)
		return -1;
	t->port = 80;
	if (colon && parse_port(colon + 1, alen - hlen - 1, &t->port, err, errlen) < 0)
		return -1;

	/* A fragment is never sent (RFC 9110 section 4.2.4); an empty path is "/". */
	size_t plen = strcspn(rest, "#");
	t->path = malloc(plen + 2);
	t->text = strdup(s);
	if (!t->path || !t->text)
		goto oom;
	if (plen == 0 || rest[0] == '?') {
		t->path[0] = '/';
		memcpy(t->path + 1, rest, plen);
		t->path[plen + 1] = '\0';
	} else {
		memcpy(t->path, rest, plen);
		t->path[plen] = '\0';
	}
	if (render_request(t) < 0)
		goto oom;
	return 0;
oom:
	target_free(t);
	return fail(err, errlen, "out of memory");
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
	free(t->text);
	free(t->path);
	free(t->request);
	t->text = t->path = t->request = NULL;
}
