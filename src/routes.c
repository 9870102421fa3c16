#include "routes.h"

#include "buf.h"
#include "check.h"
#include "request.h"
#include "fmt.h"
#include "httpd.h"
#include "target.h"
#include "version.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TEXT  "text/plain; charset=utf-8"
#define JSON  "application/health+json"
#define PROM  "text/plain; version=0.0.4; charset=utf-8"
#define ALLOW "Allow: GET, HEAD\r\n"

enum { F_VERBOSE = 1, F_JSON = 2 };

/* A request for /all, /readyz or /all/NAME while it waits for its checks. */
struct pending {
	struct waiter w;
	struct conn *conn;
	const struct routes *r;
	unsigned flags;
	struct buf unknown; /* ?exclude= names that match no check, as a JSON list */
};

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
routes_method_allowed(enum request_method method)
{
	return method == REQUEST_GET || method == REQUEST_HEAD;
}

/* The q of one media range ("type/sub;a=b;q=0.5"), 0 to 1000. */
static int
quality(const char *params, size_t n)
{
	for (const char *p = params; p < params + n;) {
		const char *semi = memchr(p, ';', (size_t)(params + n - p));
		const char *end = semi ? semi : params + n;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
			int q = 0, scale = 1000;
			p += 2;
			if (p < end && (*p == '0' || *p == '1'))
				q = (*p++ - '0') * 1000;
			if (p < end && *p == '.')
				for (p++; p < end && isdigit((unsigned char)*p) && scale > 1; p++)
					q += (*p - '0') * (scale /= 10);
			return q > 1000 ? 1000 : q;
		}
		p = end + 1;
	}
	return 1000;
}

int
routes_accepts_json(const char *accept)
{
	/* RFC 9110 section 12.5.1: JSON when the client gives one of our JSON types a
	 * non-zero q at least as high as it gives plain text; "*" / "*" alone means text. */
	int q_json = -1, q_text = -1;
	for (const char *p = accept; *p;) {
		size_t n = strcspn(p, ",");
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		size_t type = strcspn(p, ";");
		if (type > n)
			type = n;
		while (type > 0 && (p[type - 1] == ' ' || p[type - 1] == '\t'))
			type--;
		int q = quality(p + type, n - type);
		if ((type == 23 && strncasecmp(p, "application/health+json", 23) == 0) ||
		    (type == 16 && strncasecmp(p, "application/json", 16) == 0))
			q_json = q > q_json ? q : q_json;
		else if ((type == 10 && strncasecmp(p, "text/plain", 10) == 0) ||
			 (type == 6 && strncasecmp(p, "text/*", 6) == 0))
			q_text = q > q_text ? q : q_text;
		p += n;
		if (*p == ',')
			p++;
	}
	return q_json > 0 && q_json >= q_text;
}

/* Percent-decodes s (n bytes) into out (cap bytes). '+' stays '+': names cannot hold a
 * space, so it never stands for one. Returns the length, or -1 when it does not fit. */
static int
decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= cap)
			return -1;
		int b = fmt_percent_byte(s + i, n - i);
		if (b >= 0) {
			out[o++] = (char)b;
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return (int)o;
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
	if (decode(*q, klen, key, cap) < 0)
		key[0] = '\0';
	if (!eq || decode(eq + 1, n - klen - 1, val, cap) < 0)
		val[0] = '\0';
	*q += n;
	*len -= n;
	return 1;
}

static void
respond_text(struct conn *c, enum http_status status, const char *text)
{
	httpd_respond(c, status, TEXT, "", text, strlen(text));
}

static const char *
reason_of(const struct routes *r, const struct check_status *st)
{
	return r->hide_reasons ? "reason withheld" : st->reason;
}

/* The API server's verbose listing (k8s.io/apiserver/pkg/server/healthz); a passing check
 * with a warning (kubelet's probe.Warning) shows it in parentheses. */
static void
format_text(const struct pending *p, int ok, struct buf *b)
{
	checker_list(p->r->ck, &p->w,
		     CHECKER_LIST_PASSING | (p->r->hide_reasons ? CHECKER_LIST_HIDE_REASONS : 0),
		     b);
	if (p->unknown.len)
		buf_printf(b, "warn: some health checks cannot be excluded: no matches for %s\n",
			   p->unknown.data);
	buf_printf(b, "check %s\n", ok ? "passed" : "failed");
}

/* application/health+json (draft-inadarei-api-health-check): each check is an array; a
 * pass with a warning is "warn", and so is the whole when nothing failed. */
static void
format_json(const struct pending *p, int ok, struct buf *b)
{
	const struct checker *ck = p->r->ck;
	const struct waiter *w = &p->w;
	int warn = 0;
	for (size_t i = 0; i < checker_count(ck); i++)
		warn |= waiter_wants(w, i) && checker_status(ck, i)->result == CHECK_OK &&
			checker_status(ck, i)->warning[0];
	buf_printf(b, "{\"status\":\"%s\",\"version\":\"%s\",\"checks\":{",
		   !ok    ? "fail"
		   : warn ? "warn"
			  : "pass",
		   PODHEALTH_VERSION);
	int first = 1;
	for (size_t i = 0; i < checker_count(ck); i++) {
		const char *name = checker_target(ck, i)->name;
		const struct check_status *st = checker_status(ck, i);
		if (w->only >= 0 && (size_t)w->only != i)
			continue;
		if (!first)
			buf_append(b, ",", 1);
		first = 0;
		buf_json_string(b, name, strlen(name));
		if (!waiter_wants(w, i)) {
			buf_printf(b, ":[{\"status\":\"pass\",\"output\":\"excluded\"}]");
			continue;
		}
		int pass = st->result == CHECK_OK;
		const char *output = !pass            ? reason_of(p->r, st)
				     : st->warning[0] ? st->warning
						      : NULL;
		if (output && pass && p->r->hide_reasons)
			output = "reason withheld";
		buf_printf(b,
			   ":[{\"status\":\"%s\",\"observedValue\":%lld,\"observedUnit\":\"ms\","
			   "\"time\":\"",
			   !pass    ? "fail"
			   : output ? "warn"
				    : "pass",
			   (long long)st->latency_ms);
		buf_rfc3339(b, st->finished_wall);
		buf_append(b, "\"", 1);
		if (output) {
			buf_append(b, ",\"output\":", 10);
			buf_json_string(b, output, strlen(output));
		}
		buf_append(b, "}]", 2);
	}
	buf_append(b, "}", 1);
	if (p->unknown.len) {
		struct buf n = {0};
		buf_printf(&n, "some health checks cannot be excluded: no matches for %s",
			   p->unknown.data);
		buf_append(b, ",\"notes\":[", 10);
		buf_json_string(b, n.data ? n.data : "", n.len);
		buf_append(b, "]", 1);
		buf_free(&n);
	}
	buf_append(b, "}\n", 2);
}

static void
pending_end(void *arg)
{
	struct pending *p = arg;
	waiter_cancel(&p->w);
	buf_free(&p->unknown);
	free(p);
}

static void
on_checked(struct waiter *w)
{
	struct pending *p = w->arg;
	int ok = checker_ok(p->r->ck, w);
	int json = p->flags & F_JSON;
	struct buf b = {0};
	if (json)
		format_json(p, ok, &b);
	else if (!ok || (p->flags & F_VERBOSE))
		format_text(p, ok, &b);
	else
		buf_printf(&b, "ok\n");
	/* Answering ends the request, and pending_end frees p. */
	if (b.failed)
		respond_text(p->conn, HTTP_SERVICE_UNAVAILABLE,
			     "unhealthy (out of memory listing why)\n");
	else
		httpd_respond(p->conn, ok ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE, json ? JSON : TEXT,
			      "", b.data, b.len);
	buf_free(&b);
}

enum metric { M_UP, M_DURATION, M_TOTALS };

/* One metric family over every check that has a value for it. */
static void
metric(const struct checker *ck, struct buf *b, const char *name, const char *type,
       const char *help, enum metric what)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t i = 0; i < checker_count(ck); i++) {
		const struct check_status *st = checker_status(ck, i);
		if (what != M_TOTALS && st->result == CHECK_UNKNOWN)
			continue; /* never run: no sample rather than a made-up one */
		/* Totals have a sample per result, success then failure; the others one. */
		for (int pass = 1; pass >= (what == M_TOTALS ? 0 : 1); pass--) {
			buf_printf(b, "%s{check=\"", name);
			buf_prom_label(b, checker_target(ck, i)->name);
			if (what == M_UP)
				buf_printf(b, "\"} %d\n", st->result == CHECK_OK);
			else if (what == M_DURATION)
				buf_printf(b, "\"} %lld.%03lld\n",
					   (long long)(st->latency_ms / 1000),
					   (long long)(st->latency_ms % 1000));
			else
				buf_printf(b, "\",result=\"%s\"} %llu\n",
					   pass ? "success" : "failure",
					   (unsigned long long)checker_total(
					       ck, i, pass ? CHECK_OK : CHECK_FAIL));
		}
	}
}

/* Prometheus text format 0.0.4. A scrape reports the last results; it runs no check. */
static void
respond_metrics(const struct routes *r, struct conn *c)
{
	struct buf b = {0};
	metric(r->ck, &b, "podhealth_check_up", "gauge", "Whether the last completed check passed.",
	       M_UP);
	metric(r->ck, &b, "podhealth_check_duration_seconds", "gauge",
	       "How long the last completed check took.", M_DURATION);
	metric(r->ck, &b, "podhealth_checks_total", "counter", "Completed checks by result.",
	       M_TOTALS);
	buf_printf(&b,
		   "# HELP podhealth_build_info Build information.\n"
		   "# TYPE podhealth_build_info gauge\n"
		   "podhealth_build_info{version=\"%s\"} 1\n",
		   PODHEALTH_VERSION);
	if (b.failed)
		respond_text(c, HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	else
		httpd_respond(c, HTTP_OK, PROM, "", b.data, b.len);
	buf_free(&b);
}

/* Reads ?verbose, ?format= and ?exclude= into p. Returns 0, or -1 after answering 400. */
static int
parse_query(struct pending *p, const struct request *req)
{
	struct waiter *w = &p->w;
	const char *q = req->query;
	size_t len = req->query_len;
	char key[TARGET_NAME_MAX + 32], val[TARGET_NAME_MAX + 32];
	while (q && routes_next_param(&q, &len, key, val, sizeof key)) {
		if (strcmp(key, "verbose") == 0) {
			p->flags |= F_VERBOSE;
		} else if (strcmp(key, "format") == 0) {
			if (strcmp(val, "json") == 0)
				p->flags |= F_JSON;
			else if (strcmp(val, "text") == 0)
				p->flags &= ~(unsigned)F_JSON;
		} else if (strcmp(key, "exclude") == 0) {
			long i = checker_find(p->r->ck, val, strlen(val));
			if (i < 0) {
				/* Warned about in the answer, as the API server does. */
				if (p->unknown.len)
					buf_append(&p->unknown, ",", 1);
				buf_json_string(&p->unknown, val, strlen(val));
				continue;
			}
			if (!waiter_wants(w, (size_t)i))
				continue;
			if (w->nexclude == WAITER_MAX_EXCLUDE) {
				respond_text(p->conn, HTTP_BAD_REQUEST,
					     "too many exclude parameters\n");
				return -1;
			}
			w->exclude[w->nexclude++] = (uint16_t)i;
		}
	}
	return 0;
}

void
routes_handle(void *ctx, struct conn *c, const struct request *req)
{
	const struct routes *r = ctx;
	const char *name = NULL;
	size_t name_len = 0;
	enum route route = routes_match(req->path, req->path_len, &name, &name_len);
	if (route == ROUTE_NOT_FOUND) {
		httpd_respond_status(c, HTTP_NOT_FOUND);
		return;
	}
	if (!routes_method_allowed(req->method)) {
		httpd_respond(c, HTTP_METHOD_NOT_ALLOWED, TEXT, ALLOW, "method not allowed\n", 19);
		return;
	}
	if (route == ROUTE_SELF) {
		/* Liveness of podhealth itself: never waits on a check. */
		httpd_respond_status(c, HTTP_OK);
		return;
	}
	if (route == ROUTE_METRICS) {
		respond_metrics(r, c);
		return;
	}
	struct pending *p = calloc(1, sizeof *p);
	if (!p) {
		respond_text(c, HTTP_SERVICE_UNAVAILABLE, "unhealthy: out of memory\n");
		return;
	}
	p->conn = c;
	p->r = r;
	p->w.only = -1;
	p->w.arg = p;
	httpd_defer(c, pending_end, p);
	if (routes_accepts_json(req->accept))
		p->flags |= F_JSON;
	if (route == ROUTE_ONE) {
		char decoded[TARGET_NAME_MAX + 1];
		int n = decode(name, name_len, decoded, sizeof decoded);
		p->w.only = n < 0 ? -1 : checker_find(r->ck, decoded, (size_t)n);
		if (p->w.only < 0) {
			respond_text(c, HTTP_NOT_FOUND, "no such check\n");
			return;
		}
	}
	if (parse_query(p, req) < 0)
		return;
	checker_wait(r->ck, &p->w, on_checked);
}
