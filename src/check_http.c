/* HTTP and HTTPS checks as kubelet's prober makes them (pkg/probe/http with Go's
 * net/http client): one deadline for the whole exchange; redirects followed only to the
 * same host name and only while fewer than 10 requests were made, after reading at most
 * 2 KiB of the redirect's body as Go does; a redirect elsewhere ends the chain as a
 * success with a warning; then at most 10 KiB of the final body, where an error is a
 * probe error, which kubelet throws away (CHECK_ERROR). */
#include "check_impl.h"

#include "buf.h"
#include "fmt.h"
#include "h2.h"
#include "response.h"
#include "target.h"
#include "url.h"
#include "version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

/* net/http Client: CheckRedirect refuses the request that would make it 10. */
#define MAX_REQUESTS 10
/* net/http Client: the body of a redirect is read up to this before the next hop. */
#define REDIRECT_SLURP 2048

struct http_run {
	struct response resp; /* HTTP/2 fills in its head and kept body too */
	int h2_final;         /* the final response's head was read */
	int h2_headed;        /* ... and on_head has decided on it */
	size_t h2_body;       /* body bytes read */
	size_t h2_limit;      /* body bytes to read: the rest is not waited for */
	int h2_lengths;       /* content-length fields of the final head */
	int h2_head_wait;     /* a HEAD's head was read: the stream's end completes it */
	struct buf referer;   /* a redirect's Referer (empty: none) */
	int hops;             /* redirects followed */
	int retried;          /* this request was sent again (h2_unprocessed) */
	int slurping;         /* reading a redirect's body before following it */
	int custom_host;      /* the Host header is still the one host= gave */
	struct url url;       /* the request's URL, from the first redirect on */
	struct url next;      /* where the redirect goes */
};

static int
has_header(const struct target *t, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < t->nheaders; i++)
		if (strncasecmp(t->headers[i], name, n) == 0 && t->headers[i][n] == ':')
			return 1;
	return 0;
}

/* HTTP/2 (protocol=http2, or a TLS server that selected h2): the same request as
 * HPACK-encoded fields (h2.c writes the names in lower case), with :authority for Host and
 * no Connection, as Go's HTTP/2 client (x/net's, in kubelet's transport) sends it. */
static void
h2_request(const struct target *t, const char *scheme, const char *target, const char *host,
	   const char *authorization, const char *referer, struct buf *b)
{
	char agent[32];
	fmt_format(agent, sizeof agent, "podhealth/%s", PODHEALTH_VERSION);
	struct h2_field f[8 + TARGET_MAX_HEADERS] = {
	    H2_FIELD_VAR(":method", t->method), H2_FIELD_VAR(":scheme", scheme),
	    H2_FIELD_VAR(":authority", host), H2_FIELD_VAR(":path", target)};
	size_t n = 4;
	if (!has_header(t, "User-Agent"))
		f[n++] = (struct h2_field)H2_FIELD_VAR("user-agent", agent);
	if (!has_header(t, "Accept"))
		f[n++] = (struct h2_field)H2_FIELD("accept", "*/*");
	for (size_t i = 0; i < t->nheaders; i++) {
		struct h2_field h = h2_header(t->headers[i]);
		if (!(h.name_len == 6 && strncasecmp(h.name, "accept", 6) == 0 && !h.value_len))
			f[n++] = h;
	}
	if (authorization && !has_header(t, "Authorization"))
		f[n++] = (struct h2_field)H2_FIELD_VAR("authorization", authorization);
	if (referer)
		f[n++] = (struct h2_field)H2_FIELD_VAR("referer", referer);
	if (h2_encode_headers(f, n, b) < 0)
		b->failed = 1;
}

/* Writes t's HTTP request for request target `target` with Host host, the Authorization
 * value authorization and a Referer referer (each when not NULL) into b, in HTTP/2's form
 * when h2 (else HTTP/1.1's): the first request and every redirect. */
static void
http_request(const struct target *t, const char *scheme, const char *target, const char *host,
	     const char *authorization, const char *referer, int h2, struct buf *b)
{
	if (h2) {
		h2_request(t, scheme, target, host, authorization, referer, b);
		return;
	}
	/* What kubelet's HTTP prober sends (pkg/probe/http): Host as the URL writes it, a
	 * User-Agent naming us, Accept any, no keep-alive; headers given by the user replace
	 * the defaults of the same name, and an empty Accept removes it. */
	buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n", t->method, target, host);
	if (!has_header(t, "User-Agent"))
		buf_printf(b, "User-Agent: podhealth/%s\r\n", PODHEALTH_VERSION);
	if (!has_header(t, "Accept"))
		buf_printf(b, "Accept: */*\r\n");
	for (size_t i = 0; i < t->nheaders; i++) {
		const char *v = t->headers[i] + strcspn(t->headers[i], ":") + 1;
		if (strncasecmp(t->headers[i], "accept:", 7) == 0 && v[strspn(v, " \t")] == '\0')
			continue;
		buf_printf(b, "%s\r\n", t->headers[i]);
	}
	if (authorization && !has_header(t, "Authorization"))
		buf_printf(b, "Authorization: %s\r\n", authorization);
	if (referer)
		buf_printf(b, "Referer: %s\r\n", referer);
	/* A method with a body (POST, PUT...) says it is empty (RFC 9110 section 8.6). */
	if (strcmp(t->method, "GET") != 0 && strcmp(t->method, "HEAD") != 0)
		buf_printf(b, "Content-Length: 0\r\n");
	buf_printf(b, "Connection: close\r\n\r\n");
}

/* The target's own URL: its first request's, and the base of its first Location. */
static void
target_url(const struct target *t, struct url *u)
{
	memset(u, 0, sizeof *u);
	fmt_format(u->scheme, sizeof u->scheme, "%s", t->tls ? "https" : "http");
	fmt_format(u->hostname, sizeof u->hostname, "%s", t->host);
	u->port = t->port;
	u->authority = t->authority;
	u->target = t->path;
	u->authorization = t->authorization;
}

/* Writes the request for u, the target's own URL or (redirected) a redirect's, into b: with
 * host= while custom_host, a Referer when not NULL, in HTTP/2's form with protocol=http2 or
 * when the TLS server selected h2 (tls_h2). Each hop sends the credentials of its own URL,
 * as Go's client does; the first request over h2c says :scheme http, whatever the URL's. */
static void
url_request(const struct target *t, const struct url *u, int redirected, int custom_host,
	    const char *referer, int tls_h2, struct buf *b)
{
	http_request(t, redirected || tls_h2 ? u->scheme : "http", u->target,
		     custom_host ? t->host_header : u->authority, u->authorization, referer,
		     t->http2 || tls_h2, b);
}

void
check_http_first_request(const struct target *t, struct buf *out)
{
	struct url u;
	target_url(t, &u);
	url_request(t, &u, 0, t->host_header != NULL, NULL, 0, out);
}

/* Readies run->resp for the next response. Returns 0, or -1 when out of memory. */
static int
next_response(const struct target *t, struct http_run *run)
{
	response_init(&run->resp, strcmp(t->method, "HEAD") == 0);
	return t->body ? response_keep(&run->resp, TARGET_BODY_MAX) : 0;
}

static int
http_start(struct check *c)
{
	struct http_run *run = check_state(c);
	run->custom_host = check_target(c)->host_header != NULL;
	return next_response(check_target(c), run);
}

static void
http_end(struct check *c)
{
	struct http_run *run = check_state(c);
	response_free(&run->resp);
	buf_free(&run->referer);
	url_free(&run->url);
	url_free(&run->next);
}

/* The URL of the request just answered, as the base for its Location. */
static const struct url *
current_url(struct check *c, struct url *tmp)
{
	struct http_run *run = check_state(c);
	if (run->hops)
		return &run->url;
	target_url(check_target(c), tmp);
	return tmp;
}

static void h2_on_field(void *arg, const struct h2_field *f, int trailers);
static const char *h2_on_block_end(void *arg, int end_stream);
static int h2_on_data(void *arg, const char *p, size_t n);

/* The connection is up: its request, the target's or a redirect's (run->url), in HTTP/2's
 * form with protocol=http2 or when the TLS server selected ALPN h2 (kubelet's transport
 * offers it: k8s.io/apimachinery's SetTransportDefaults configures x/net's HTTP/2). */
static void
http_connected(struct check *c)
{
	struct http_run *run = check_state(c);
	const struct target *t = check_target(c);
	int tls_h2 = !t->http2 && check_tls_h2(c);
	struct buf req = {0}; /* the engine and the HTTP/2 layer copy it */
	struct url tmp;
	url_request(t, current_url(c, &tmp), run->hops, run->custom_host,
		    run->referer.len ? run->referer.data : NULL, tls_h2, &req);
	/* Read while writing: a server may answer (and close) before taking the request. */
	check_want(c, EPOLLIN);
	if (req.failed) {
		check_finish(c, CHECK_FAIL, "out of memory");
	} else if (!t->http2 && !tls_h2) {
		check_write(c, req.data, req.len);
	} else {
		const struct h2_handler handler = {.field = h2_on_field,
						   .data = h2_on_data,
						   .block_end = h2_on_block_end,
						   .arg = run,
						   .checks_settings = 1};
		run->h2_final = run->h2_headed = run->h2_lengths = run->h2_head_wait = 0;
		run->h2_body = 0;
		check_http2(c, &handler, req.data, req.len, NULL, 0);
	}
	buf_free(&req);
}

static int
body_contains(const struct response *r, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= r->kept_len && i + n <= r->kept_len; i++)
		if (memcmp(r->kept + i, needle, n) == 0)
			return 1;
	return 0;
}

/* " after 2 redirects", or "". */
static const char *
after(const struct http_run *run, char *buf, size_t len)
{
	if (run->hops == 0)
		return "";
	fmt_format(buf, len, " after %d redirect%s", run->hops, run->hops == 1 ? "" : "s");
	return buf;
}

/* The final response is read: kubelet's verdict (200 <= status < 400), or expect=. */
static void
decide(struct check *c)
{
	struct http_run *run = check_state(c);
	const struct target *t = check_target(c);
	int status = run->resp.status;
	char buf[32];
	const char *hops = after(run, buf, sizeof buf);
	check_set_http_status(c, status);
	if (!target_expect_match(t, status))
		check_finish(c, CHECK_FAIL, "HTTP %d%s", status, hops);
	else if (t->body && !body_contains(&run->resp, t->body))
		check_finish(c, CHECK_FAIL, "HTTP %d%s, body does not contain \"%.40s\"", status,
			     hops, t->body);
	else
		check_finish(c, CHECK_OK, "HTTP %d%s", status, hops);
}

static int
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Sends the request for run->next on a new connection. */
static void
follow(struct check *c)
{
	struct http_run *run = check_state(c);
	const struct target *t = check_target(c);
	struct url *next = &run->next;
	int https = strcmp(next->scheme, "https") == 0;
	if (!https && strcmp(next->scheme, "http") != 0) {
		check_finish(c, CHECK_FAIL, "HTTP %d: redirect to unsupported scheme '%s'",
			     run->resp.status, next->scheme);
		return;
	}
	/* Go keeps a Host set by the caller only across relative redirects. */
	struct url base_tmp;
	const struct url *base = current_url(c, &base_tmp);
	run->custom_host = run->custom_host && next->relative;
	buf_free(&run->referer);
	if (!(strcmp(base->scheme, "https") == 0 && !https)) /* never https -> http */
		url_format(base, &run->referer);
	if (run->referer.failed) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	url_free(&run->url);
	run->url = *next;
	memset(next, 0, sizeof *next);
	run->hops++;
	run->slurping = run->retried = 0;
	if (next_response(t, run) < 0) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	const char *sni = t->servername ? t->servername : run->url.hostname;
	/* protocol=http2 dials in the clear even for https://, as the KEP's transport does. */
	check_reconnect(c, run->url.port, https && !t->http2, sni);
}

/* After the head: reads at most limit bytes of the body (RESPONSE_MORE), or says there is
 * nothing to read (RESPONSE_DONE). The final answer's body is where kubelet's client.Do
 * has returned and its prober reads at most 10 KiB, where an error is a probe error
 * (pkg/probe/http, DoHTTPProbe: an error of ReadAtMost other than the limit is returned
 * as err): check_answered. */
static int
read_body(struct check *c, size_t limit)
{
	struct http_run *run = check_state(c);
	/* x/net returns a HEAD's answer, bodiless, once its stream has ended however it ends
	 * (END_STREAM, a reset, DATA it resets, the connection's end); until then RoundTrip
	 * has not returned, and the deadline fails it. */
	if (check_h2(c) && run->resp.head_request) {
		run->h2_head_wait = 1;
		return RESPONSE_MORE;
	}
	if (!run->slurping)
		check_answered(c);
	if (!check_h2(c))
		return response_body(&run->resp, limit);
	run->h2_limit = limit; /* the stream's end, or this much of it, completes it */
	return RESPONSE_MORE;
}

/* on_head: this connection is done with (the run ended, or follows a redirect on a new
 * connection). */
#define LEFT (-2)

/* The head of a final response: what to read of its body, and whether to follow it.
 * Returns what response_body says, or LEFT. */
static int
on_head(struct check *c)
{
	struct http_run *run = check_state(c);
	const struct target *t = check_target(c);
	struct response *r = &run->resp;
	check_set_http_status(c, r->status);
	if (!is_redirect(r->status) || !t->redirects || !r->location || !r->location[0]) {
		if (r->status >= 300 && r->status < 400)
			check_warn(c, "HTTP %d not followed%s", r->status,
				   !t->redirects ? " (redirects=off)"
				   : is_redirect(r->status) && !r->location_long ? " (no Location)"
										 : "");
		return read_body(c, TARGET_BODY_MAX);
	}
	if (r->location_long) {
		check_finish(c, CHECK_FAIL, "HTTP %d: Location longer than %d bytes", r->status,
			     RESPONSE_LOCATION_MAX);
		return LEFT;
	}
	struct url base_tmp;
	char why[80];
	if (url_resolve(current_url(c, &base_tmp), r->location, strlen(r->location), &run->next,
			why, sizeof why) < 0) {
		check_finish(c, CHECK_FAIL, "HTTP %d: bad Location: %s", r->status, why);
		return LEFT;
	}
	/* kubelet follows only to the host name it started with (compared as written). */
	if (strcmp(run->next.hostname, t->host) != 0) {
		check_warn(c, "HTTP %d to another host not followed: %.60s", r->status,
			   r->location);
		return read_body(c, TARGET_BODY_MAX);
	}
	if (run->hops + 1 >= MAX_REQUESTS) {
		check_finish(c, CHECK_FAIL, "stopped after %d redirects", MAX_REQUESTS);
		return LEFT;
	}
	/* Go drains up to 2 KiB of a small or unsized body before the next request (a HEAD
	 * over HTTP/2 waits for its stream's end first, whatever its length: read_body). */
	if (r->length >= 0 && r->length > REDIRECT_SLURP && !(check_h2(c) && r->head_request)) {
		follow(c);
		return LEFT;
	}
	run->slurping = 1;
	return read_body(c, REDIRECT_SLURP);
}

/* The response is complete (or failed, or ended): decide or follow. */
static void
on_end(struct check *c, int ev)
{
	struct http_run *run = check_state(c);
	if (run->slurping) {
		follow(c); /* errors in a redirect's body do not matter to Go */
		return;
	}
	if (ev == RESPONSE_DONE) {
		decide(c);
		return;
	}
	if (response_headed(&run->resp))
		check_finish(c, CHECK_ERROR, "HTTP %d: %s", run->resp.status, run->resp.error);
	else
		check_finish(c, CHECK_FAIL, "%s", run->resp.error);
}

/* Reading failed (or the stream ended early, or HTTP/2 framing did): a redirect being
 * followed does not care, as Go's client does not; otherwise the run ends in an error (a
 * probe error once the final answer's head was read). */
static void
http_read_failed(struct check *c, const char *reason)
{
	struct http_run *run = check_state(c);
	if (run->slurping)
		follow(c); /* errors in a redirect's body do not matter to Go */
	else
		check_finish(c, CHECK_ERROR, "%s%s", run->resp.status ? "body: " : "", reason);
}

/* HTTP/2 (protocol=http2, or h2 over TLS): the response's head fields, as the framing
 * delivers them. */
static void
h2_on_field(void *arg, const struct h2_field *f, int trailers)
{
	struct http_run *run = arg;
	struct response *r = &run->resp;
	unsigned long v;
	if (trailers || run->h2_final)
		return;
	if (f->name_len == 7 && memcmp(f->name, ":status", 7) == 0)
		r->status = fmt_parse_uint(f->value, f->value_len, 100, 999, &v) < 0 ? -1 : (int)v;
	else if (f->name_len == 8 && memcmp(f->name, "location", 8) == 0 && !r->location &&
		 !(r->location_long = f->value_len > RESPONSE_LOCATION_MAX))
		r->location = strndup(f->value, f->value_len);
	/* x/net takes one valid content-length and ignores several or a bad one. */
	else if (f->name_len == 14 && memcmp(f->name, "content-length", 14) == 0 &&
		 (run->h2_lengths++ ||
		  response_parse_length(f->value, f->value_len, &r->length) < 0))
		r->length = -1;
}

static const char *
h2_on_block_end(void *arg, int end_stream)
{
	struct http_run *run = arg;
	struct response *r = &run->resp;
	if (run->h2_final)
		return NULL; /* trailers */
	(void)end_stream;    /* 1xx heads never get here: h2.c skips them */
	if (r->status <= 0)
		return "HTTP/2: a response without a valid :status";
	run->h2_final = 1;
	return NULL;
}

static int
h2_on_data(void *arg, const char *p, size_t n)
{
	struct http_run *run = arg;
	struct response *r = &run->resp;
	size_t room = r->kept_cap - r->kept_len, take = n < room ? n : room;
	if (take) /* kept only with body= */
		memcpy(r->kept + r->kept_len, p, take);
	r->kept_len += take;
	run->h2_body += n;
	return 0;
}

/* HTTP/2's body against the final answer's content-length, as x/net's response body reads
 * it (transportResponseBody.Read) and kubelet reads at most h2_limit of it: more than it
 * within what is read, or the stream's end before it and before the limit, is an error of
 * the body's (a HEADERS frame that ends the stream with a length is missingBody's). NULL:
 * none, or not yet. */
static const char *
h2_length_error(const struct http_run *run, int ended)
{
	uint64_t read = run->h2_body < run->h2_limit ? run->h2_body : run->h2_limit;
	if (run->resp.length < 0 || run->slurping) /* a HEAD never gets here: h2_head_wait */
		return NULL;
	if (read > (uint64_t)run->resp.length)
		return "body longer than its Content-Length";
	if (ended && read < run->h2_limit && read < (uint64_t)run->resp.length)
		return "body shorter than its Content-Length";
	return NULL;
}

/* HTTP/2 (protocol=http2, or h2 over TLS): what the framing read came to. */
static void
http_stream(struct check *c, int ev)
{
	struct http_run *run = check_state(c);
	/* A head that arrived is decided on first, even with an error after it in the same
	 * bytes: Go's client has returned it by then, and the error is the body's. */
	if (run->h2_final && !run->h2_headed) {
		run->h2_headed = 1;
		int r = on_head(c);
		if (r == LEFT)
			return;
		if (r == RESPONSE_DONE)
			ev = H2_END;
	}
	if (run->h2_head_wait) {
		if (ev != H2_MORE || run->h2_body)
			on_end(c, RESPONSE_DONE);
		return;
	}
	const char *why = run->h2_headed ? h2_length_error(run, ev == H2_END) : NULL;
	if (why) {
		check_finish(c, CHECK_ERROR, "HTTP %d: %s", run->resp.status, why);
		return;
	}
	if (ev == H2_ERROR) {
		/* x/net asks again, on a new connection, when the server refused the stream
		 * unprocessed: at once the first time (then after 1 s, 2 s... over h2c; over
		 * HTTPS, net/http dials again at once), which podhealth does once. */
		int refused = h2_unprocessed(check_h2(c));
		if ((refused == H2_REFUSED || refused == H2_GOAWAY) && !run->retried) {
			run->retried = 1;
			if (next_response(check_target(c), run) < 0)
				check_finish(c, CHECK_FAIL, "out of memory");
			else
				check_retry(c);
			return;
		}
		http_read_failed(c, h2_error(check_h2(c)));
		return;
	}
	if (ev == H2_END || (run->h2_headed && run->h2_body >= run->h2_limit))
		on_end(c, RESPONSE_DONE);
}

static void
http_received(struct check *c, const char *data, size_t n)
{
	struct http_run *run = check_state(c);
	int ev;
	size_t off = 0;
	do {
		size_t used = 0;
		ev = response_feed(&run->resp, data + off, n - off, &used);
		off += used;
		if (ev == RESPONSE_HEAD && (ev = on_head(c)) == LEFT)
			return;
	} while (ev == RESPONSE_MORE && off < n);
	if (ev != RESPONSE_MORE)
		on_end(c, ev);
}

static void
http_eof(struct check *c)
{
	struct http_run *run = check_state(c);
	if (run->h2_head_wait) {
		on_end(c, RESPONSE_DONE);
		return;
	}
	if (check_h2(c)) {
		http_read_failed(c, run->h2_headed ? "connection closed"
				    : h2_established(check_h2(c))
					? "connection closed before the HTTP/2 answer"
					: "connection closed without an HTTP/2 answer");
		return;
	}
	int ev = response_eof(&run->resp);
	if (ev == RESPONSE_HEAD && (ev = on_head(c)) == RESPONSE_MORE)
		ev = response_eof(&run->resp);
	if (ev != LEFT)
		on_end(c, ev);
}

/* ALPN as kubelet's transport offers it (x/net's ConfigureTransports puts h2 first). */
const struct check_kind check_kind_http = {
    .alpn = {"h2", "http/1.1"},
    .state_size = sizeof(struct http_run),
    .start = http_start,
    .connected = http_connected,
    .received = http_received,
    .stream = http_stream,
    .eof = http_eof,
    .read_failed = http_read_failed,
    .end = http_end,
};
