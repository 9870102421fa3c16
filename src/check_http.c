/* HTTP and HTTPS checks as kubelet's prober makes them (pkg/probe/http with Go's
 * net/http client): one deadline for the whole exchange; redirects followed only to the
 * same host name and only while fewer than 10 requests were made, after reading at most
 * 2 KiB of the redirect's body as Go does; a redirect elsewhere ends the chain as a
 * success with a warning; then at most 10 KiB of the final body, where any error fails. */
#include "check_impl.h"

#include "buf.h"
#include "fmt.h"
#include "http1.h"
#include "target.h"
#include "url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

/* net/http Client: CheckRedirect refuses the request that would make it 10. */
#define MAX_REQUESTS 10
/* net/http Client: the body of a redirect is read up to this before the next hop. */
#define REDIRECT_SLURP 2048

struct http_run {
	struct http1 resp;
	struct buf req; /* the request being sent */
	size_t sent;
	int hops;        /* redirects followed */
	int slurping;    /* reading a redirect's body before following it */
	int custom_host; /* the Host header is still the one host= gave */
	struct url url;  /* the request's URL, from the first redirect on */
	struct url next; /* where the redirect goes */
};

/* Readies run->resp for the next response. Returns 0, or -1 when out of memory. */
static int
response_init(const struct target *t, struct http_run *run)
{
	http1_init(&run->resp, strcmp(t->method, "HEAD") == 0);
	return t->body ? http1_keep(&run->resp, TARGET_BODY_MAX) : 0;
}

static int
http_start(struct check *c)
{
	struct http_run *run = calloc(1, sizeof *run);
	if (!run)
		return -1;
	c->kstate = run;
	run->custom_host = c->target->host_header != NULL;
	return response_init(c->target, run);
}

static void
http_end(struct check *c)
{
	struct http_run *run = c->kstate;
	if (!run)
		return;
	http1_free(&run->resp);
	buf_free(&run->req);
	url_free(&run->url);
	url_free(&run->next);
	free(run);
}

static void
http_writable(struct check *c)
{
	struct http_run *run = c->kstate;
	const struct target *t = c->target;
	const char *req = run->hops ? run->req.data : t->request;
	size_t len = run->hops ? run->req.len : t->request_len;
	while (run->sent < len) {
		ssize_t n = check_send(c, req + run->sent, len - run->sent);
		if (n < 0) {
			check_finish(c, CHECK_FAIL, "%s", check_strerror(c, errno));
			return;
		}
		if (n == 0)
			return; /* still waiting for EPOLLOUT */
		run->sent += (size_t)n;
	}
	if (run->hops == 0)
		c->now.delivered = 1;
	check_want(c, EPOLLIN);
}

static void
http_connected(struct check *c)
{
	struct http_run *run = c->kstate;
	run->sent = 0;
	/* Read while writing: a server may answer (and close) before taking the request. */
	check_want(c, EPOLLIN | EPOLLOUT);
	http_writable(c);
}

static int
body_contains(const struct http1 *r, const char *needle)
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
	struct http_run *run = c->kstate;
	const struct target *t = c->target;
	int status = run->resp.status;
	char buf[32];
	const char *hops = after(run, buf, sizeof buf);
	c->now.http_status = status;
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

/* The URL of the request just answered, as the base for its Location. */
static const struct url *
current_url(struct check *c, struct url *tmp)
{
	struct http_run *run = c->kstate;
	const struct target *t = c->target;
	if (run->hops)
		return &run->url;
	memset(tmp, 0, sizeof *tmp);
	fmt_format(tmp->scheme, sizeof tmp->scheme, "%s", t->tls ? "https" : "http");
	fmt_format(tmp->hostname, sizeof tmp->hostname, "%s", t->host);
	tmp->port = t->port;
	tmp->authority = t->authority;
	tmp->target = t->path;
	tmp->authorization = t->authorization;
	return tmp;
}

/* Sends the request for run->next on a new connection. */
static void
follow(struct check *c)
{
	struct http_run *run = c->kstate;
	const struct target *t = c->target;
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
	struct buf referer = {0};
	if (!(strcmp(base->scheme, "https") == 0 && !https)) /* never https -> http */
		url_format(base, &referer);
	buf_free(&run->req);
	/* Each hop sends the credentials of its own URL, as Go's client does. */
	target_request(t, next->target, run->custom_host ? t->host_header : next->authority,
		       next->authorization, referer.data, &run->req);
	buf_free(&referer);
	if (run->req.failed) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	url_free(&run->url);
	run->url = *next;
	memset(next, 0, sizeof *next);
	run->hops++;
	run->slurping = 0;
	if (response_init(t, run) < 0) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	const char *sni = t->servername                               ? t->servername
			  : target_ip_literal(run->url.hostname) == 0 ? NULL
								      : run->url.hostname;
	check_reconnect(c, run->url.port, https, sni);
}

/* The head of a final response: what to read of its body, and whether to follow it. */
static int
on_head(struct check *c)
{
	struct http_run *run = c->kstate;
	const struct target *t = c->target;
	struct http1 *r = &run->resp;
	c->now.http_status = r->status;
	if (!is_redirect(r->status) || !t->redirects || !r->location || !r->location[0]) {
		if (r->status >= 300 && r->status < 400)
			check_warn(c, "HTTP %d not followed%s", r->status,
				   !t->redirects ? " (redirects=off)"
				   : is_redirect(r->status) && !r->location_long ? " (no Location)"
										 : "");
		return http1_body(r, TARGET_BODY_MAX);
	}
	if (r->location_long) {
		check_finish(c, CHECK_FAIL, "HTTP %d: Location longer than %d bytes", r->status,
			     HTTP1_LOCATION_MAX);
		return HTTP1_ERROR;
	}
	struct url base_tmp;
	char why[80];
	if (url_resolve(current_url(c, &base_tmp), r->location, strlen(r->location), &run->next,
			why, sizeof why) < 0) {
		check_finish(c, CHECK_FAIL, "HTTP %d: bad Location: %s", r->status, why);
		return HTTP1_ERROR;
	}
	/* kubelet follows only to the host name it started with (compared as written). */
	if (strcmp(run->next.hostname, t->host) != 0) {
		check_warn(c, "HTTP %d to another host not followed: %.60s", r->status,
			   r->location);
		return http1_body(r, TARGET_BODY_MAX);
	}
	if (run->hops + 1 >= MAX_REQUESTS) {
		check_finish(c, CHECK_FAIL, "stopped after %d redirects", MAX_REQUESTS);
		return HTTP1_ERROR;
	}
	/* Go drains up to 2 KiB of a small or unsized body before the next request. */
	if (r->length >= 0 && r->length > REDIRECT_SLURP) {
		follow(c);
		return HTTP1_ERROR; /* nothing more to read on this connection */
	}
	run->slurping = 1;
	return http1_body(r, REDIRECT_SLURP);
}

/* The response is complete (or failed, or ended): decide or follow. */
static void
on_end(struct check *c, int ev)
{
	struct http_run *run = c->kstate;
	if (run->slurping) {
		follow(c); /* errors in a redirect's body do not matter to Go */
		return;
	}
	if (ev == HTTP1_DONE) {
		decide(c);
		return;
	}
	if (http1_headed(&run->resp))
		check_finish(c, CHECK_FAIL, "HTTP %d: %s", run->resp.status, run->resp.error);
	else
		check_finish(c, CHECK_FAIL, "%s", run->resp.error);
}

static void
http_readable(struct check *c)
{
	struct http_run *run = c->kstate;
	unsigned conn = c->conn;
	char buf[4096];
	for (;;) {
		ssize_t n = check_recv(c, buf, sizeof buf);
		int ev;
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (run->slurping) {
				follow(c);
				return;
			}
			check_finish(c, CHECK_FAIL, "%s%s", run->resp.status ? "body: " : "",
				     check_strerror(c, errno));
			return;
		}
		if (n == 0) {
			ev = http1_eof(&run->resp);
			if (ev == HTTP1_HEAD && (ev = on_head(c)) == HTTP1_MORE)
				ev = http1_eof(&run->resp);
			if (c->conn == conn)
				on_end(c, ev);
			return;
		}
		size_t off = 0;
		do {
			size_t used = 0;
			ev = http1_feed(&run->resp, buf + off, (size_t)n - off, &used);
			off += used;
			if (ev == HTTP1_HEAD) {
				ev = on_head(c);
				if (c->conn != conn)
					return; /* finished, or following a redirect */
			}
		} while (ev == HTTP1_MORE && off < (size_t)n);
		if (ev != HTTP1_MORE) {
			on_end(c, ev);
			return;
		}
	}
}

const struct check_kind check_kind_http = {
    .start = http_start,
    .connected = http_connected,
    .readable = http_readable,
    .writable = http_writable,
    .end = http_end,
};
