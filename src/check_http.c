#include "check_http.h"

#include "check.h"
#include "target.h"

#include <errno.h>
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
	return HPE_PAUSED; /* the status is all a check needs: stop reading */
}

static const llhttp_settings_t resp_settings = {
    .on_headers_complete = on_headers_complete,
};

void
http_resp_init(struct http_resp *r)
{
	llhttp_init(&r->parser, HTTP_RESPONSE, &resp_settings);
	r->parser.data = r;
	r->head = 0;
	r->status = 0;
}

int
http_resp_feed(struct http_resp *r, const char *data, size_t len)
{
	if (r->status)
		return r->status;
	if (len > HTTP_RESP_HEAD_MAX - r->head)
		len = HTTP_RESP_HEAD_MAX - r->head + 1; /* one byte over: fails below unless done */
	llhttp_errno_t err = llhttp_execute(&r->parser, data, len);
	if (err == HPE_PAUSED && r->status)
		return r->status;
	if (err != HPE_OK)
		return -1;
	r->head += len;
	return r->head > HTTP_RESP_HEAD_MAX ? -1 : -2;
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
			check_finish(c, CHECK_FAIL, "%s",
				     c->resp.head ? "invalid HTTP response (truncated)"
						  : "connection closed without a response");
			return;
		}
		int status = http_resp_feed(&c->resp, buf, (size_t)n);
		if (status == -1) {
			check_finish(c, CHECK_FAIL, "invalid HTTP response");
			return;
		}
		if (status > 0) {
			/* kubelet: success is 200 <= status < 400, redirects not followed. */
			if (status >= 200 && status < 400)
				check_finish(c, CHECK_OK, "HTTP %d", status);
			else
				check_finish(c, CHECK_FAIL, "HTTP %d", status);
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
	http_resp_init(&c->resp);
	c->io.cb = on_writable;
	on_writable(check_loop(c), c->io.fd, EPOLLOUT, c);
}
