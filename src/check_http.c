#include "check_http.h"

#include "check.h"
#include "target.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int
on_headers_complete(llhttp_t *p)
{
	struct http_resp *r = p->data;
	int status = llhttp_get_status_code(p);
	if (llhttp_get_http_major(p) != 1)
		return -1;
	/* Interim responses (RFC 9110 section 15.2) precede the real one; 101 is final. */
	if (status < 200 && status != 101)
		return 0;
	r->status = status;
	if (r->body_cap)
		return 0; /* read on into the body */
	r->done = 1;
	return HPE_PAUSED; /* the status is all we need: stop reading */
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_resp *r = p->data;
	if (!r->status || !r->body_cap)
		return 0; /* an interim response's body, or one nobody asked for */
	size_t room = r->body_cap - r->body_len;
	memcpy(r->body + r->body_len, at, len < room ? len : room);
	r->body_len += len < room ? len : room;
	if (r->body_len < r->body_cap)
		return 0;
	r->done = 1; /* read no more than kubelet would */
	return HPE_PAUSED;
}

static int
on_message_complete(llhttp_t *p)
{
	struct http_resp *r = p->data;
	if (!r->status)
		return 0; /* an interim response ended */
	r->done = 1;
	return HPE_PAUSED;
}

static const llhttp_settings_t resp_settings = {
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

int
http_resp_want_body(struct http_resp *r, size_t cap)
{
	r->body = malloc(cap);
	if (!r->body)
		return -1;
	r->body_cap = cap;
	return 0;
}

void
http_resp_init(struct http_resp *r)
{
	llhttp_init(&r->parser, HTTP_RESPONSE, &resp_settings);
	r->parser.data = r;
	r->head = 0;
	r->status = 0;
	r->done = 0;
	r->body_len = 0;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->body_cap = 0;
}

int
http_resp_feed(struct http_resp *r, const char *data, size_t len)
{
	if (r->done)
		return r->status;
	if (!r->status && len > HTTP_RESP_HEAD_MAX - r->head)
		len = HTTP_RESP_HEAD_MAX - r->head + 1; /* one byte over: fails below unless done */
	llhttp_errno_t err = llhttp_execute(&r->parser, data, len);
	if (err == HPE_PAUSED && r->done)
		return r->status;
	if (err != HPE_OK)
		return -1;
	if (!r->status) {
		r->head += len;
		if (r->head > HTTP_RESP_HEAD_MAX)
			return -1;
	}
	return -2;
}

int
http_resp_eof(struct http_resp *r)
{
	/* For a body delimited by the close, llhttp_finish completes the message (and our
	 * on_message_complete sets done); for anything cut short it reports an error. */
	if (!r->done && r->status)
		llhttp_finish(&r->parser);
	return r->done ? r->status : -1;
}

static int
body_contains(const struct http_resp *r, const char *needle)
{
	size_t n = strlen(needle);
	if (n > r->body_len)
		return 0;
	for (size_t i = 0; i + n <= r->body_len; i++)
		if (memcmp(r->body + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
decide(struct check *c, int status)
{
	const struct target *t = c->target;
	if (!target_expect_match(t, status))
		check_finish(c, CHECK_FAIL, "HTTP %d", status);
	else if (t->body && !body_contains(&c->resp, t->body))
		check_finish(c, CHECK_FAIL, "HTTP %d, body does not contain \"%.40s\"", status,
			     t->body);
	else
		check_finish(c, CHECK_OK, "HTTP %d", status);
}

static void
on_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	struct check *c = arg;
	char buf[2048];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				check_finish(c, CHECK_FAIL, "%s", net_strerror(errno));
			return;
		}
		if (n == 0) {
			int status = http_resp_eof(&c->resp);
			if (status > 0)
				decide(c, status);
			else
				check_finish(c, CHECK_FAIL, "%s",
					     c->resp.head || c->resp.status
						 ? "invalid HTTP response (truncated)"
						 : "connection closed without a response");
			return;
		}
		int status = http_resp_feed(&c->resp, buf, (size_t)n);
		if (status == -1) {
			check_finish(c, CHECK_FAIL, "invalid HTTP response");
			return;
		}
		if (status > 0) {
			decide(c, status);
			return;
		}
	}
}

static void
on_writable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)events;
	struct check *c = arg;
	const struct target *t = c->target;
	while (c->sent < t->request_len) {
		ssize_t n = send(fd, t->request + c->sent, t->request_len - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return; /* still watching EPOLLOUT */
			check_finish(c, CHECK_FAIL, "%s", net_strerror(errno));
			return;
		}
		c->sent += (size_t)n;
	}
	c->io.cb = on_readable;
	if (loop_io_mod(loop, &c->io, EPOLLIN) < 0)
		check_finish(c, CHECK_FAIL, "%s", net_strerror(errno));
}

void
check_http_connected(struct check *c)
{
	http_resp_init(&c->resp); /* method=HEAD never reads a body: it stops at the head */
	c->io.cb = on_writable;
	on_writable(check_loop(c), c->io.fd, EPOLLOUT, c);
}
