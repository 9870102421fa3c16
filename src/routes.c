#include "routes.h"

#include "buf.h"
#include "check.h"
#include "server.h"
#include "target.h"
#include "version.h"

#include <ctype.h>
#include <llhttp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT  "text/plain; charset=utf-8"
#define JSON  "application/health+json"
#define PROM  "text/plain; version=0.0.4; charset=utf-8"
#define ALLOW "Allow: GET, HEAD\r\n"

enum { F_VERBOSE = 1, F_JSON = 2, F_ONE = 4 };

static int
path_is(const char *path, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(path, want, len) == 0;
}

enum route
routes_match(const char *path, size_t len, const char **name, size_t *name_len)
{
	/* The Kubernetes API server's names are aliases of the original ones. */
	if (path_is(path, len, "/self") || path_is(path, len, "/livez"))
		return ROUTE_SELF;
	if (path_is(path, len, "/all") || path_is(path, len, "/readyz"))
		return ROUTE_ALL;
	if (path_is(path, len, "/metrics"))
		return ROUTE_METRICS;
	static const char *const prefixes[] = {"/all/", "/readyz/"};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);
		if (len > n && memcmp(path, prefixes[i], n) == 0) {
			*name = path + n;
			*name_len = len - n;
			return ROUTE_ONE;
		}
	}
	return ROUTE_NOT_FOUND;
}

int
routes_method_allowed(int method)
{
	return method == HTTP_GET || method == HTTP_HEAD;
}

int
routes_accepts_json(const char *accept)
{
	/* Media types are case-insensitive (RFC 9110 section 8.3.1). */
	for (const char *p = accept; *p; p++)
		if (strncasecmp(p, "application/health+json", 23) == 0 ||
		    strncasecmp(p, "application/json", 16) == 0)
			return 1;
	return 0;
}

static int
hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

static void
decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
}

int
routes_next_param(const char **q, size_t *len, char *key, char *val, size_t cap)
{
	while (*len > 0 && **q == '&')
		(*q)++, (*len)--;
	if (*len == 0)
		return 0;
	const char *amp = memchr(*q, '&', *len);
	size_t n = amp ? (size_t)(amp - *q) : *len;
	const char *eq = memchr(*q, '=', n);
	size_t klen = eq ? (size_t)(eq - *q) : n;
	decode(*q, klen, key, cap);
	if (eq)
		decode(eq + 1, n - klen - 1, val, cap);
	else
		val[0] = '\0';
	*q += n;
	*len -= n;
	return 1;
}

static void
respond_text(struct conn *c, int status, const char *text)
{
	server_respond(c, status, TEXT, "", text, strlen(text));
}

static const char *
reason_of(const struct routes *r, const struct check *ck)
{
	return r->hide_reasons ? "reason withheld" : ck->last.reason;
}

/* The API server's verbose listing (k8s.io/apiserver/pkg/server/healthz). */
static void
format_text(const struct routes *r, const struct waiter *w, const char *note, int ok, struct buf *b)
{
	const struct checker *ck = r->ck;
	for (size_t i = 0; i < checker_count(ck); i++) {
		const struct check *c = checker_check(ck, i);
		const char *name = c->target->name;
		if (w->one >= 0 && (size_t)w->one != i)
			continue;
		if (!waiter_wants(w, i))
			buf_printf(b, "[+]%s excluded: ok\n", name);
		else if (c->last.result == CHECK_OK)
			buf_printf(b, "[+]%s ok\n", name);
		else
			buf_printf(b, "[-]%s failed: %s\n", name, reason_of(r, c));
	}
	if (note)
		buf_printf(b, "warn: some health checks cannot be excluded: no matches for %s\n",
			   note);
	buf_printf(b, "check %s\n", ok ? "passed" : "failed");
}

/* application/health+json (draft-inadarei-api-health-check): each check is an array. */
static void
format_json(const struct routes *r, const struct waiter *w, const char *note, int ok, struct buf *b)
{
	const struct checker *ck = r->ck;
	buf_printf(b, "{\"status\":\"%s\",\"version\":\"%s\",\"checks\":{", ok ? "pass" : "fail",
		   PODHEALTH_VERSION);
	int first = 1;
	for (size_t i = 0; i < checker_count(ck); i++) {
		const struct check *c = checker_check(ck, i);
		if (w->one >= 0 && (size_t)w->one != i)
			continue;
		if (!first)
			buf_append(b, ",", 1);
		first = 0;
		buf_json_string(b, c->target->name, strlen(c->target->name));
		if (!waiter_wants(w, i)) {
			buf_printf(b, ":[{\"status\":\"pass\",\"output\":\"excluded\"}]");
			continue;
		}
		int pass = c->last.result == CHECK_OK;
		buf_printf(b,
			   ":[{\"status\":\"%s\",\"observedValue\":%lld,\"observedUnit\":\"ms\","
			   "\"time\":\"",
			   pass ? "pass" : "fail", (long long)c->last.latency_ms);
		buf_rfc3339(b, c->last.finished_wall);
		buf_append(b, "\"", 1);
		if (!pass) {
			const char *why = reason_of(r, c);
			buf_append(b, ",\"output\":", 10);
			buf_json_string(b, why, strlen(why));
		}
		buf_append(b, "}]", 2);
	}
	buf_append(b, "}", 1);
	if (note) {
		const char *pre = "some health checks cannot be excluded: no matches for ";
		struct buf n = {0};
		buf_printf(&n, "%s%s", pre, note);
		buf_append(b, ",\"notes\":[", 10);
		buf_json_string(b, n.data ? n.data : "", n.len);
		buf_append(b, "]", 1);
		buf_free(&n);
	}
	buf_append(b, "}\n", 2);
}

static void
respond_checks(const struct routes *r, struct conn *c)
{
	struct request_state *st = server_conn_state(c);
	const struct waiter *w = &st->waiter;
	int ok = checker_ok(r->ck, w);
	struct buf b = {0};
	if (st->flags & F_JSON)
		format_json(r, w, st->note, ok, &b);
	else if (!ok || (st->flags & F_VERBOSE))
		format_text(r, w, st->note, ok, &b);
	else
		buf_printf(&b, "ok\n");
	if (b.failed)
		respond_text(c, 503, "unhealthy (out of memory listing why)\n");
	else
		server_respond(c, ok ? 200 : 503, (st->flags & F_JSON) ? JSON : TEXT, "", b.data,
			       b.len);
	buf_free(&b);
}

static void
on_checked(struct waiter *w)
{
	respond_checks(w->arg, server_waiter_conn(w));
}

/* Prometheus text format 0.0.4. A scrape reports the last results; it runs no check. */
static void
respond_metrics(const struct routes *r, struct conn *c)
{
	const struct checker *ck = r->ck;
	size_t n = checker_count(ck);
	struct buf b = {0};
	buf_printf(&b, "# HELP podhealth_check_up Whether the last completed check passed.\n"
		       "# TYPE podhealth_check_up gauge\n");
	for (size_t i = 0; i < n; i++) {
		const struct check *k = checker_check(ck, i);
		if (k->last.result == CHECK_UNKNOWN)
			continue; /* never run: no sample rather than a made-up one */
		buf_printf(&b, "podhealth_check_up{check=\"");
		buf_prom_label(&b, k->target->name);
		buf_printf(&b, "\"} %d\n", k->last.result == CHECK_OK);
	}
	buf_printf(
	    &b, "# HELP podhealth_check_duration_seconds How long the last completed check took.\n"
		"# TYPE podhealth_check_duration_seconds gauge\n");
	for (size_t i = 0; i < n; i++) {
		const struct check *k = checker_check(ck, i);
		if (k->last.result == CHECK_UNKNOWN)
			continue;
		buf_printf(&b, "podhealth_check_duration_seconds{check=\"");
		buf_prom_label(&b, k->target->name);
		buf_printf(&b, "\"} %lld.%03lld\n", (long long)(k->last.latency_ms / 1000),
			   (long long)(k->last.latency_ms % 1000));
	}
	buf_printf(&b, "# HELP podhealth_checks_total Completed checks by result.\n"
		       "# TYPE podhealth_checks_total counter\n");
	for (size_t i = 0; i < n; i++) {
		const struct check *k = checker_check(ck, i);
		for (int pass = 1; pass >= 0; pass--) {
			buf_printf(&b, "podhealth_checks_total{check=\"");
			buf_prom_label(&b, k->target->name);
			buf_printf(&b, "\",result=\"%s\"} %llu\n", pass ? "success" : "failure",
				   (unsigned long long)(pass ? k->ok_total : k->fail_total));
		}
	}
	buf_printf(&b,
		   "# HELP podhealth_build_info Build information.\n"
		   "# TYPE podhealth_build_info gauge\n"
		   "podhealth_build_info{version=\"%s\"} 1\n",
		   PODHEALTH_VERSION);
	if (b.failed)
		respond_text(c, 500, "out of memory\n");
	else
		server_respond(c, 200, PROM, "", b.data, b.len);
	buf_free(&b);
}

/* Reads ?verbose, ?format= and ?exclude= into the request state. Returns 0, or -1 after
 * answering 400. */
static int
parse_query(const struct routes *r, struct conn *c, const struct request *req)
{
	struct request_state *st = server_conn_state(c);
	struct waiter *w = &st->waiter;
	const char *q = req->query;
	size_t len = req->query_len;
	char key[160], val[160];
	struct buf unknown = {0};
	while (q && routes_next_param(&q, &len, key, val, sizeof key)) {
		if (strcmp(key, "verbose") == 0) {
			st->flags |= F_VERBOSE;
		} else if (strcmp(key, "format") == 0) {
			if (strcmp(val, "json") == 0)
				st->flags |= F_JSON;
			else if (strcmp(val, "text") == 0)
				st->flags &= ~(unsigned)F_JSON;
		} else if (strcmp(key, "exclude") == 0) {
			long i = checker_find(r->ck, val, strlen(val));
			if (i < 0) {
				/* Warned about in the answer, as the API server does. */
				if (unknown.len)
					buf_append(&unknown, ",", 1);
				buf_json_string(&unknown, val, strlen(val));
				continue;
			}
			if (!waiter_wants(w, (size_t)i))
				continue;
			if (w->nexclude == WAITER_MAX_EXCLUDE) {
				buf_free(&unknown);
				respond_text(c, 400, "too many exclude parameters\n");
				return -1;
			}
			w->exclude[w->nexclude++] = (uint16_t)i;
		}
	}
	if (unknown.failed) {
		buf_free(&unknown);
		respond_text(c, 500, "out of memory\n");
		return -1;
	}
	st->note = unknown.data; /* the server frees it with the request */
	return 0;
}

void
routes_handle(void *ctx, struct conn *c, const struct request *req)
{
	struct routes *r = ctx;
	const char *name = NULL;
	size_t name_len = 0;
	enum route route = routes_match(req->path, req->path_len, &name, &name_len);
	if (route == ROUTE_NOT_FOUND) {
		respond_text(c, 404, "not found\n");
		return;
	}
	if (!routes_method_allowed(req->method)) {
		server_respond(c, 405, TEXT, ALLOW, "method not allowed\n", 19);
		return;
	}
	if (route == ROUTE_SELF) {
		/* Liveness of podhealth itself: never waits on a check. */
		respond_text(c, 200, "ok\n");
		return;
	}
	if (route == ROUTE_METRICS) {
		respond_metrics(r, c);
		return;
	}
	struct request_state *st = server_conn_state(c);
	struct waiter *w = &st->waiter;
	w->one = -1;
	w->nexclude = 0;
	w->arg = r;
	if (routes_accepts_json(req->accept))
		st->flags |= F_JSON;
	if (route == ROUTE_ONE) {
		char decoded[160];
		decode(name, name_len, decoded, sizeof decoded);
		w->one = checker_find(r->ck, decoded, strlen(decoded));
		if (w->one < 0) {
			respond_text(c, 404, "no such check\n");
			return;
		}
	}
	if (parse_query(r, c, req) < 0)
		return;
	if (checker_wait(r->ck, w, on_checked) < 0)
		respond_text(c, 503, "unhealthy: out of memory\n");
}
