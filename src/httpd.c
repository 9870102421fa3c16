#include "httpd.h"

#include "fmt.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "request.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_state {
	CONN_IDLE,    /* between requests: no byte of the next one yet */
	CONN_READING, /* inside a request */
	CONN_BUSY,    /* request handed to the handler, no response yet */
	CONN_CLOSING, /* last response queued; then shut down and drain */
};

struct conn {
	struct httpd *srv;
	struct conn *prev, *next; /* all connections, oldest first */
	struct io io;
	struct timer timer;
	void (*end)(void *arg); /* the handler answers later (httpd_defer) */
	void *end_arg;
	enum conn_state state;
	unsigned keep_alive : 1, head_only : 1, http10 : 1, dead : 1, in_dispatch : 1,
	    peer_closed : 1, close_after : 1;
	char *in; /* unparsed pipelined bytes while busy; owned */
	size_t in_len;
	char *out; /* unsent response bytes; owned */
	size_t out_len, out_off;
	_Alignas(max_align_t) unsigned char req[]; /* a struct request_reader, request.c's */
};

static struct request_reader *
reader_of(struct conn *c)
{
	return (struct request_reader *)c->req;
}

struct httpd {
	struct loop *loop;
	struct io listen_io;
	struct timer accept_timer;
	struct timer drain_timer;
	unsigned max_conns, nconns;
	int accepting;
	httpd_handler handler;
	void *ctx;
	struct conn *head, *tail;
	int draining;
	void (*drained)(void *);
	void *drained_arg;
	size_t out_pending;      /* unsent response bytes over all clients */
	char scratch[16 * 1024]; /* every read lands here first; parsed at once */
	char *resp;              /* response assembly buffer, reused */
	size_t resp_cap;
};

static void conn_close(struct conn *c);
static void conn_feed(struct conn *c, const char *data, size_t len);
static void httpd_update_accept(struct httpd *s);
static void drain_check(struct httpd *s);

static const struct status {
	int code;
	const char *phrase, *body;
} statuses[] = {
#define STATUS_ROW(name, code, phrase, body) {code, phrase, body},
    HTTP_STATUSES(STATUS_ROW)
#undef STATUS_ROW
};

/* Each status's row in statuses[]. */
enum {
#define STATUS_INDEX(name, code, phrase, body) STATUS_INDEX_##name,
	HTTP_STATUSES(STATUS_INDEX)
#undef STATUS_INDEX
};

static const struct status *
status_of(int code)
{
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return &statuses[STATUS_INDEX_INTERNAL_SERVER_ERROR];
}

static void on_request_timeout(struct loop *loop, struct timer *t, void *arg);

/* A request's first byte: from here it must arrive within HTTPD_REQUEST_TIMEOUT. */
static void
on_request_begin(void *arg)
{
	struct conn *c = arg;
	if (c->state == CONN_IDLE) {
		c->state = CONN_READING;
		loop_timer_set(c->srv->loop, &c->timer, loop_after(HTTPD_REQUEST_TIMEOUT),
			       on_request_timeout, c);
	}
}

/* --- writing --- */

static void
conn_update_events(struct conn *c)
{
	uint32_t ev = 0;
	if (c->out_len > c->out_off)
		ev |= EPOLLOUT;
	else if (c->state == CONN_IDLE || c->state == CONN_READING || c->state == CONN_CLOSING)
		ev |= EPOLLIN;
	if (loop_io_mod(c->srv->loop, &c->io, ev) < 0)
		conn_close(c); /* never left without events: its slot would never be freed */
}

static void on_linger_timeout(struct loop *loop, struct timer *t, void *arg);

static void
conn_after_flush(struct conn *c)
{
	if (c->state == CONN_CLOSING) {
		/* Half-close and read until the client closes, so that a request it already
		 * sent does not turn our response into a reset (RFC 9112 section 9.6). */
		shutdown(c->io.fd, SHUT_WR); /* fails only when the client is gone: fine */
		loop_timer_set(c->srv->loop, &c->timer, loop_after(HTTPD_LINGER), on_linger_timeout,
			       c);
	}
	conn_update_events(c);
}

static void
conn_send(struct conn *c, const char *data, size_t len)
{
	if (c->out_len == c->out_off) {
		while (len > 0) {
			ssize_t n = send(c->io.fd, data, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				conn_close(c);
				return;
			}
			data += n;
			len -= (size_t)n;
		}
		c->out_len = c->out_off = 0;
		if (len == 0)
			return;
	}
	/* Unsent bytes are bounded over all clients: past the budget, a client that does
	 * not read what it asked for is dropped rather than buffered for. */
	struct httpd *s = c->srv;
	char *out =
	    s->out_pending + len <= HTTPD_OUTPUT_BUDGET ? realloc(c->out, c->out_len + len) : NULL;
	if (!out) {
		conn_close(c);
		return;
	}
	memcpy(out + c->out_len, data, len);
	c->out = out;
	c->out_len += len;
	s->out_pending += len;
}

static void
conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n =
		    send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
		c->srv->out_pending -= (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

static void
conn_resume(struct conn *c)
{
	/* Parse what was pipelined behind the answered request. */
	while (!c->dead && c->in && c->state != CONN_BUSY && c->state != CONN_CLOSING &&
	       c->out_len == c->out_off) {
		char *in = c->in;
		size_t len = c->in_len;
		c->in = NULL;
		c->in_len = 0;
		conn_feed(c, in, len);
		free(in);
	}
	if (!c->dead && c->peer_closed && c->state == CONN_IDLE && !c->in)
		conn_close(c);
	else if (!c->dead)
		conn_after_flush(c);
}

/* The request ended: a handler that deferred it lets go of it. */
static void
request_end(struct conn *c)
{
	void (*end)(void *) = c->end;
	c->end = NULL;
	if (end)
		end(c->end_arg);
}

void
httpd_defer(struct conn *c, void (*end)(void *arg), void *arg)
{
	c->end = end;
	c->end_arg = arg;
}

void
httpd_respond(struct conn *c, enum http_status status, const char *content_type,
	      const char *extra_headers, const char *body, size_t len)
{
	struct httpd *s = c->srv;
	if (c->dead)
		return;
	request_end(c);
	if (!c->keep_alive || s->draining || c->close_after) {
		/* Requests pipelined behind the last one are dropped (RFC 9112 section 9.6). */
		c->state = CONN_CLOSING;
		free(c->in);
		c->in = NULL;
		c->in_len = 0;
	} else {
		c->state = CONN_IDLE;
	}
	const char *conn_hdr = c->state == CONN_CLOSING ? "Connection: close\r\n"
			       : c->http10              ? "Connection: keep-alive\r\n"
							: "";
	size_t body_len = c->head_only ? 0 : len;
	size_t need = 256 + strlen(content_type) + strlen(extra_headers) + body_len;
	if (need > s->resp_cap) {
		char *p = realloc(s->resp, need);
		if (!p) {
			conn_close(c);
			return;
		}
		s->resp = p;
		s->resp_cap = need;
	}
	int n = fmt_format(s->resp, s->resp_cap,
			   "HTTP/1.1 %d %s\r\n"
			   "Content-Type: %s\r\n"
			   "Content-Length: %zu\r\n"
			   "Cache-Control: no-store\r\n"
			   "%s%s\r\n",
			   status, status_of(status)->phrase, content_type, len, conn_hdr,
			   extra_headers);
	memcpy(s->resp + n, body, body_len);
	conn_send(c, s->resp, (size_t)n + body_len);
	if (c->dead)
		return;
	if (c->state == CONN_IDLE) {
		loop_timer_set(s->loop, &c->timer, loop_after(HTTPD_IDLE_TIMEOUT),
			       on_request_timeout, c);
		/* Idle now: at the cap, it may make way for a client waiting in the backlog. */
		httpd_update_accept(s);
	} else {
		loop_timer_cancel(s->loop, &c->timer);
	}
	if (c->out_len == c->out_off && c->state == CONN_CLOSING)
		conn_after_flush(c);
	if (!c->in_dispatch)
		conn_resume(c);
	if (s->draining)
		drain_check(s);
}

/* --- reading and dispatching --- */

void
httpd_respond_status(struct conn *c, enum http_status status)
{
	const char *body = status_of(status)->body;
	httpd_respond(c, status, "text/plain; charset=utf-8", "", body, strlen(body));
}

static void
conn_error(struct conn *c, enum http_status status)
{
	c->close_after = 1;
	c->head_only = 0;
	httpd_respond_status(c, status);
}

static void
conn_dispatch(struct conn *c)
{
	struct httpd *s = c->srv;
	struct request req;
	request_get(reader_of(c), &req);
	loop_timer_cancel(s->loop, &c->timer);
	c->state = CONN_BUSY;
	c->keep_alive = req.keep_alive;
	c->http10 = req.http10;
	c->head_only = req.method == REQUEST_HEAD;
	/* What follows a CONNECT would be a tunnel's bytes: answer, then close. */
	if (req.method == REQUEST_CONNECT)
		c->close_after = 1;
	c->in_dispatch = 1;
	s->handler(s->ctx, c, &req);
	c->in_dispatch = 0;
	request_done(reader_of(c));
}

static void
conn_feed(struct conn *c, const char *data, size_t len)
{
	while (len > 0 && !c->dead) {
		if (c->state == CONN_BUSY || c->out_len != c->out_off) {
			/* Hold the rest until the current response is out. */
			char *in = realloc(c->in, c->in_len + len);
			if (!in) {
				conn_close(c);
				return;
			}
			memcpy(in + c->in_len, data, len);
			c->in = in;
			c->in_len += len;
			return;
		}
		if (c->state == CONN_CLOSING)
			return; /* lingering: discard */
		size_t used;
		enum request_result res = request_feed(reader_of(c), data, len, &used);
		if (res == REQUEST_MORE)
			return;
		if (res == REQUEST_ERROR) {
			conn_error(c, request_error_status(reader_of(c)));
			return;
		}
		data += used;
		len -= used;
		conn_dispatch(c);
	}
}

static void
conn_readable(struct conn *c)
{
	struct httpd *s = c->srv;
	for (;;) {
		ssize_t n = recv(c->io.fd, s->scratch, sizeof s->scratch, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The client is gone, or half-closed after its last request: answer
			 * what is in flight, then close. After our last response there is
			 * nothing left to answer. */
			if (n == 0 && c->state != CONN_CLOSING &&
			    (c->state == CONN_BUSY || c->in)) {
				c->peer_closed = 1;
				c->close_after = 1;
				conn_update_events(c);
				return;
			}
			conn_close(c);
			return;
		}
		if (c->state == CONN_CLOSING)
			continue; /* lingering: discard until EOF */
		conn_feed(c, s->scratch, (size_t)n);
		if (c->dead || c->state == CONN_BUSY || c->out_len != c->out_off ||
		    c->state == CONN_CLOSING)
			return;
	}
}

static void
conn_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	struct conn *c = arg;
	if (events & EPOLLOUT) {
		conn_flush(c);
		if (c->dead)
			return;
		if (c->out_len == 0)
			conn_resume(c);
		if (c->dead)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_readable(c);
	if (!c->dead)
		conn_update_events(c);
}

static void
on_request_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	struct conn *c = arg;
	if (c->state == CONN_READING)
		conn_error(c, HTTP_REQUEST_TIMEOUT); /* a client too slow to send its request */
	else
		conn_close(c); /* an idle keep-alive connection */
}

static void
on_linger_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	conn_close(arg);
}

static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	struct httpd *s = c->srv;
	c->dead = 1;
	request_end(c);
	loop_timer_cancel(s->loop, &c->timer);
	loop_io_close(s->loop, &c->io);
	s->out_pending -= c->out_len - c->out_off;
	free(c->in);
	free(c->out);
	request_done(reader_of(c));
	c->in = c->out = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	s->nconns--;
	loop_free_later(s->loop, c);
	httpd_update_accept(s);
	if (s->draining)
		drain_check(s);
}

/* --- accepting --- */

static struct conn *
oldest_idle(struct httpd *s)
{
	for (struct conn *c = s->head; c; c = c->next)
		if (c->state == CONN_IDLE && !c->in && c->out_len == 0)
			return c;
	return NULL;
}

static void
evict_idle(struct httpd *s)
{
	/* At the cap, the oldest idle keep-alive client yields its slot to a new one, so a
	 * flood of idle connections cannot lock probes out (nginx does the same). */
	struct conn *c = oldest_idle(s);
	if (c)
		conn_close(c);
}

int
httpd_adopt(struct httpd *s, int fd)
{
	struct conn *c = calloc(1, sizeof *c + request_reader_size());
	if (!c || loop_io_add(s->loop, &c->io, fd, EPOLLIN, conn_io, c) < 0) {
		free(c);
		return -1;
	}
	/* A fixed send buffer: past it, unsent answers count against HTTPD_OUTPUT_BUDGET
	 * instead of growing in the kernel (autotuned up to 4 MB a client, charged to the
	 * pod's memory all the same). */
	int sndbuf = HTTPD_SNDBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf); /* else the default */
	c->srv = s;
	c->state = CONN_IDLE;
	request_init(reader_of(c), on_request_begin, c);
	c->prev = s->tail;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	s->nconns++;
	/* A client that connects must start its request as promptly as it must finish it;
	 * one that never does is closed silently. */
	loop_timer_set(s->loop, &c->timer, loop_after(HTTPD_REQUEST_TIMEOUT), on_request_timeout,
		       c);
	return 0;
}

unsigned
httpd_connections(const struct httpd *s)
{
	return s->nconns;
}

static void on_accept(struct loop *loop, int fd, uint32_t events, void *arg);

static void
httpd_set_accepting(struct httpd *s, int on)
{
	if (s->accepting == on || s->listen_io.fd < 0)
		return;
	if (loop_io_mod(s->loop, &s->listen_io, on ? EPOLLIN : 0) == 0)
		s->accepting = on;
}

static struct conn *oldest_idle(struct httpd *s);

/* Listens while there is room, or an idle client that can make way for a new one. */
static void
httpd_update_accept(struct httpd *s)
{
	if (!s->draining && !loop_timer_armed(&s->accept_timer) &&
	    (s->nconns < s->max_conns || oldest_idle(s)))
		httpd_set_accepting(s, 1);
}

static void
on_accept_retry(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	httpd_update_accept(arg);
}

static void
on_accept(struct loop *loop, int lfd, uint32_t events, void *arg)
{
	(void)events;
	struct httpd *s = arg;
	for (;;) {
		if (s->nconns >= s->max_conns && !oldest_idle(s)) {
			httpd_set_accepting(s, 0); /* queue in the backlog until a slot frees */
			return;
		}
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: stop polling the listener for a moment
				 * instead of spinning on it. 100 ms: long enough for a finished
				 * check or client to give a descriptor back, short enough that a
				 * kubelet probe (1 s timeout by default) still gets in. */
				log_debug("accept: %s", fmt_strerror(errno));
				httpd_set_accepting(s, 0);
				loop_timer_set(loop, &s->accept_timer, loop_after(100),
					       on_accept_retry, s);
			}
			return;
		}
		if (httpd_adopt(s, fd) < 0)
			close(fd);
		if (s->nconns > s->max_conns)
			evict_idle(s);
	}
}

struct httpd *
httpd_new(struct loop *loop, int listen_fd, unsigned max_conns, httpd_handler handler, void *ctx)
{
	struct httpd *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->loop = loop;
	s->max_conns = max_conns;
	s->handler = handler;
	s->ctx = ctx;
	if (loop_io_add(loop, &s->listen_io, listen_fd, EPOLLIN, on_accept, s) < 0) {
		free(s);
		return NULL;
	}
	s->accepting = 1;
	return s;
}

static void
drain_done(struct httpd *s)
{
	void (*done)(void *) = s->drained;
	s->drained = NULL;
	loop_timer_cancel(s->loop, &s->drain_timer);
	if (done)
		done(s->drained_arg);
}

static void
drain_check(struct httpd *s)
{
	if (s->nconns == 0)
		drain_done(s);
}

static void
on_drain_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	drain_done(arg);
}

void
httpd_drain(struct httpd *s, int64_t grace_ms, void (*done)(void *), void *arg)
{
	s->draining = 1;
	s->drained = done;
	s->drained_arg = arg;
	loop_io_close(s->loop, &s->listen_io);
	loop_timer_cancel(s->loop, &s->accept_timer);
	loop_timer_set(s->loop, &s->drain_timer, loop_after(grace_ms), on_drain_timeout, s);
	for (struct conn *c = s->head, *next; c; c = next) {
		next = c->next;
		if (c->state == CONN_IDLE || c->state == CONN_READING)
			conn_close(c);
	}
	drain_check(s);
}

void
httpd_free(struct httpd *s)
{
	if (!s)
		return;
	while (s->head)
		conn_close(s->head);
	loop_io_close(s->loop, &s->listen_io);
	loop_timer_cancel(s->loop, &s->accept_timer);
	loop_timer_cancel(s->loop, &s->drain_timer);
	free(s->resp);
	free(s);
}
