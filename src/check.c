/* The check engine: coalescing, the deadline, name resolution, connecting with address
 * fallback, the connection's I/O (through TLS when asked), and the one cleanup path. It
 * knows check kinds only through struct check_kind. */
#include "check_impl.h"

#include "buf.h"
#include "loop.h"
#include "net.h"
#include "resolver.h"
#include "duration.h"
#include "fmt.h"
#include "h2.h"
#include "log.h"
#include "target.h"
#include "tls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Where a run's connection is. */
enum conn_phase {
	CONN_IDLE,        /* no run, or between connections */
	CONN_RESOLVING,   /* the name is being looked up (dns) */
	CONN_CONNECTING,  /* a TCP or unix connection is being made */
	CONN_HANDSHAKING, /* TLS: the handshake runs */
	CONN_OPEN,        /* the kind has it */
};

/* One target's check, for the life of the checker. */
struct check {
	struct checker *ck;
	const struct target *target;
	const struct check_kind *kind;
	size_t index;
	int running;
	uint64_t seq;  /* start number of the run in flight */
	unsigned conn; /* connection number within the run: tells stale callbacks */
	enum conn_phase phase;
	struct io io;
	struct timer timer;
	struct resolve_req *dns;
	struct net_addrs addrs;
	size_t next_addr;
	uint16_t port;              /* of the connection being made */
	int use_tls;                /* this connection runs TLS */
	const char *tls_name;       /* its server name or address, to verify (and send as SNI) */
	struct tls_config *tls_cfg; /* the target's TLS settings, or a redirect's; owned */
	struct tls_conn *tls;
	struct h2 *h2;  /* HTTP/2 on the connection (check_http2), or NULL */
	struct buf out; /* queued to send (check_write), from out_off */
	size_t out_off;
	int local;     /* the connection is to loopback or a unix socket */
	int refused;   /* the last connection attempt was refused outright */
	int timed_out; /* the run ended at its deadline */
	int answered;  /* the final answer's head was read (check_answered) */
	uint32_t want; /* EPOLLIN when the kind reads */
	int64_t started;
	void *kdata;              /* the kind's, for the life of the checker */
	void *kstate;             /* the kind's, for one run: state_size bytes (a judging
				   * kind's: struct gathered) */
	struct check_status now;  /* the run in flight: kinds set http_status, delivered */
	struct check_status last; /* the last completed run */
	uint64_t totals[3];       /* completed runs by enum check_result */
	signed char healthy;      /* -1 before the first run; for logging changes */
	signed char warned;
};

/* What a judging kind's server sent first, for one run. */
struct gathered {
	size_t n;
	char got[CHECK_ANSWER_MAX];
};

struct checker {
	struct loop *loop;
	struct resolver *res;
	int64_t timeout_ms;
	uint64_t seq;    /* runs started so far */
	int quiet;       /* no log line per change of state */
	int errors_fail; /* a probe error fails the check (checker_set_probe_errors) */
	int64_t cache_ms, interval_ms;
	struct timer tick;     /* background rounds, only with interval_ms */
	struct waiter waiters; /* list head */
	size_t n;
	struct check checks[];
};

/* Each target kind's check kind: a new kind is a file and a row here (and a scheme row in
 * target.c). */
static const struct check_kind *const kinds[] = {
    [TARGET_HTTP] = &check_kind_http,         [TARGET_TCP] = &check_kind_tcp,
    [TARGET_UNIX] = &check_kind_tcp,          [TARGET_GRPC] = &check_kind_grpc,
    [TARGET_POSTGRES] = &check_kind_postgres, [TARGET_MYSQL] = &check_kind_mysql,
    [TARGET_REDIS] = &check_kind_redis,
};
_Static_assert(sizeof kinds / sizeof kinds[0] == TARGET_KINDS,
	       "a check kind for every target kind");

void
checker_set_kind(struct checker *ck, size_t i, const struct check_kind *kind)
{
	ck->checks[i].kind = kind;
}

const struct target *
check_target(const struct check *c)
{
	return c->target;
}

void *
check_state(const struct check *c)
{
	return c->kstate;
}

void *
check_data(const struct check *c)
{
	return c->kdata;
}

void
check_set_data(struct check *c, void *data)
{
	c->kdata = data;
}

void
check_set_http_status(struct check *c, int status)
{
	c->now.http_status = status;
}

struct checker *
checker_new(struct loop *loop, struct resolver *res, const struct target *targets, size_t ntargets,
	    int64_t timeout_ms, char *err, size_t errlen)
{
	struct checker *ck = calloc(1, sizeof *ck + ntargets * sizeof ck->checks[0]);
	if (!ck) {
		fmt_error(err, errlen, "out of memory");
		return NULL;
	}
	ck->loop = loop;
	ck->res = res;
	ck->timeout_ms = timeout_ms;
	ck->waiters.next = ck->waiters.prev = &ck->waiters;
	ck->n = ntargets;
	for (size_t i = 0; i < ntargets; i++) {
		struct check *c = &ck->checks[i];
		c->ck = ck;
		c->target = &targets[i];
		c->kind = kinds[targets[i].kind];
		c->index = i;
		c->io.fd = -1;
		c->healthy = c->warned = -1;
	}
	for (size_t i = 0; i < ntargets; i++) {
		struct check *c = &ck->checks[i];
		char why[256];
		int rc = 0;
		if (targets[i].tls &&
		    !(c->tls_cfg = tls_config_new(&targets[i], c->kind->alpn, why, sizeof why)))
			rc = -1;
		if (rc == 0 && c->kind->prepare && c->kind->prepare(c, why, sizeof why) < 0)
			rc = -1;
		if (rc < 0) {
			fmt_error(err, errlen, "check '%s': %s", targets[i].name, why);
			checker_free(ck);
			return NULL;
		}
	}
	return ck;
}

static struct loop *
check_loop(const struct check *c)
{
	return c->ck->loop;
}

/* Closes the run's connection, its stack (TLS, HTTP/2) and what it had queued. */
static void
connection_close(struct check *c)
{
	loop_io_close(check_loop(c), &c->io);
	tls_conn_free(c->tls);
	c->tls = NULL;
	h2_free(c->h2);
	c->h2 = NULL;
	c->out.len = c->out_off = 0;
	c->phase = CONN_IDLE;
}

static void
check_release(struct check *c)
{
	connection_close(c);
	loop_timer_cancel(check_loop(c), &c->timer);
	resolver_cancel(c->dns);
	c->dns = NULL;
	buf_free(&c->out);
	/* A kind's end runs for every run that started (state allocated, or none needed). */
	if (c->kind->end && (c->kstate || !c->kind->state_size))
		c->kind->end(c);
	free(c->kstate);
	c->kstate = NULL;
}

void
checker_free(struct checker *ck)
{
	if (!ck)
		return;
	loop_timer_cancel(ck->loop, &ck->tick);
	for (size_t i = 0; i < ck->n; i++) {
		struct check *c = &ck->checks[i];
		if (c->running)
			check_release(c);
		if (c->kind->release)
			c->kind->release(c);
		tls_config_free(c->tls_cfg);
	}
	while (ck->waiters.next != &ck->waiters)
		waiter_cancel(ck->waiters.next);
	free(ck);
}

void
checker_set_probe_errors(struct checker *ck, int fail)
{
	ck->errors_fail = fail;
}

void
checker_log_changes(struct checker *ck, int on)
{
	ck->quiet = !on;
}

size_t
checker_count(const struct checker *ck)
{
	return ck->n;
}

const struct target *
checker_target(const struct checker *ck, size_t i)
{
	return ck->checks[i].target;
}

const struct check_status *
checker_status(const struct checker *ck, size_t i)
{
	return &ck->checks[i].last;
}

uint64_t
checker_total(const struct checker *ck, size_t i, enum check_result result)
{
	return ck->checks[i].totals[result];
}

int
checker_ok(const struct checker *ck, const struct waiter *w)
{
	for (size_t i = 0; i < ck->n; i++)
		if (waiter_wants(w, i) && ck->checks[i].last.result != CHECK_OK)
			return 0;
	return 1;
}

void
checker_list(const struct checker *ck, const struct waiter *w, unsigned flags, struct buf *b)
{
	for (size_t i = 0; i < ck->n; i++) {
		const char *name = ck->checks[i].target->name;
		const struct check_status *st = &ck->checks[i].last;
		int hide = flags & CHECKER_LIST_HIDE_REASONS;
		if (w->only >= 0 && (size_t)w->only != i)
			continue;
		if (!waiter_wants(w, i))
			buf_printf(b, "[+]%s excluded: ok\n", name);
		else if (st->result != CHECK_OK)
			buf_printf(b, "[-]%s failed: %s\n", name,
				   hide ? "reason withheld" : st->reason);
		else if (!(flags & CHECKER_LIST_PASSING))
			continue;
		else if (st->warning[0] && !hide)
			buf_printf(b, "[+]%s ok (%s)\n", name, st->warning);
		else
			buf_printf(b, "[+]%s ok\n", name);
	}
}

long
checker_find(const struct checker *ck, const char *name, size_t len)
{
	for (size_t i = 0; i < ck->n; i++) {
		const char *n = ck->checks[i].target->name;
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (long)i;
	}
	return -1;
}

int
waiter_wants(const struct waiter *w, size_t i)
{
	if (w->only >= 0)
		return (size_t)w->only == i;
	for (size_t j = 0; j < w->nexclude; j++)
		if (w->exclude[j] == i)
			return 0;
	return 1;
}

static void
list_add(struct waiter *head, struct waiter *w)
{
	w->prev = head->prev;
	w->next = head;
	head->prev->next = w;
	head->prev = w;
}

void
waiter_cancel(struct waiter *w)
{
	if (!w->ck)
		return;
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->ck = NULL;
}

/* One log line per change: healthy, unhealthy, or healthy with a (new) warning. */
static void
log_change(struct check *c)
{
	signed char now = c->last.result == CHECK_OK;
	signed char warned = now && c->last.warning[0];
	if ((c->healthy == now && c->warned == warned) || c->ck->quiet)
		return;
	int was_healthy = c->healthy == 1;
	c->healthy = now;
	c->warned = warned;
	const char *name = c->target->name;
	if (!now)
		log_event(LOG_WARN, "check unhealthy", "check", name, "reason", c->last.reason,
			  NULL);
	else if (warned)
		log_event(LOG_WARN, "check healthy with a warning", "check", name, "warning",
			  c->last.warning, NULL);
	else
		log_event(LOG_INFO, was_healthy ? "check warning cleared" : "check healthy",
			  "check", name, NULL);
}

static void
notify(struct checker *ck, struct check *c)
{
	/* Collect first, call after: a callback may add or cancel waiters. */
	struct waiter ready = {.prev = &ready, .next = &ready};
	for (struct waiter *w = ck->waiters.next, *next; w != &ck->waiters; w = next) {
		next = w->next;
		if (c->seq > w->seq || !waiter_wants(w, c->index) || --w->pending > 0)
			continue;
		w->prev->next = w->next;
		w->next->prev = w->prev;
		list_add(&ready, w);
	}
	while (ready.next != &ready) {
		struct waiter *w = ready.next;
		waiter_cancel(w);
		w->done(w);
	}
}

void
check_finish(struct check *c, enum check_result result, const char *fmt, ...)
{
	if (!c->running)
		return;
	/* The reason first: its arguments may point into the kind's state, freed below. */
	char reason[sizeof c->last.reason];
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(reason, sizeof reason, fmt, ap);
	va_end(ap);
	fmt_printable(reason);
	/* A probe error: kubelet's prober repeats a probe that returns an error
	 * (pkg/kubelet/prober/prober.go, runProbeWithRetries: up to maxProbeRetries = 3
	 * attempts) and, when every attempt errors, its worker throws the result away
	 * ("Prober error, throw away the result", worker.go): the state it had stands. So
	 * the check keeps its last verdict, a failure before it has any, and says why. Under
	 * kubelet 1.38's alpha gate ProbeErrorAsFailure (kubernetes PR 139872) the worker
	 * counts it as a failure instead: --probe-errors fail. */
	int errored = result == CHECK_ERROR && c->answered;
	if (result == CHECK_ERROR)
		result = errored && !c->ck->errors_fail && c->last.result == CHECK_OK ? CHECK_OK
										      : CHECK_FAIL;
	check_release(c);
	c->running = 0;
	c->conn++;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->last = c->now;
	c->last.result = result;
	c->last.finished = loop_now();
	c->last.latency_ms = c->last.finished - c->started;
	c->last.finished_wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (result != CHECK_OK)
		c->last.warning[0] = '\0';
	/* What a retry would cost: wait retries cheap failures quickly. */
	/* A timeout is never cheap, however short: the peer took all the time given. */
	c->last.cheap = result == CHECK_FAIL && !c->timed_out &&
			(c->refused || (c->local && c->last.latency_ms < CHECK_QUICK_MS));
	memcpy(c->last.reason, reason, sizeof reason);
	if (errored) /* a pass kept is a pass with a warning */
		fmt_format(result == CHECK_OK ? c->last.warning : c->last.reason, CHECK_REASON_MAX,
			   "%s (a probe error: %s)", reason,
			   c->ck->errors_fail ? "a failure (--probe-errors fail)"
					      : "the last verdict stands");
	c->totals[result]++;
	log_change(c);
	notify(c->ck, c);
}

void
check_answered(struct check *c)
{
	c->answered = 1;
}

void
check_warn(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(c->now.warning, sizeof c->now.warning, fmt, ap);
	va_end(ap);
	fmt_printable(c->now.warning);
}

int64_t
check_timeout(const struct check *c)
{
	return c->target->timeout_ms ? c->target->timeout_ms : c->ck->timeout_ms;
}

/* --- the connection --- */

static void check_connect_next(struct check *c, int last_err);

/* Whether c is still on connection conn of a run (a callback may have ended it). */
static int
still(const struct check *c, unsigned conn)
{
	return c->running && c->conn == conn;
}

/* What is queued to send next (*len bytes), or NULL. */
static const char *
output(struct check *c, size_t *len)
{
	if (c->h2)
		return h2_output(c->h2, len);
	*len = c->out.len - c->out_off;
	return *len ? c->out.data + c->out_off : NULL;
}

static void
update_events(struct check *c)
{
	size_t len;
	uint32_t ev = c->want | (output(c, &len) ? EPOLLOUT : 0);
	if (c->tls)
		ev = tls_conn_events(c->tls, ev);
	if (loop_io_mod(check_loop(c), &c->io, ev) < 0)
		check_finish(c, CHECK_FAIL, "%s", fmt_strerror(errno));
}

void
check_want(struct check *c, uint32_t events)
{
	c->want = events; /* applied once the kind's callback returns */
}

/* A short reason for errno value err on c's connection (TLS errors included). */
static const char *
check_strerror(struct check *c, int err)
{
	if (c->tls && err == EPROTO)
		return tls_conn_error(c->tls);
	return net_strerror(err);
}

/* Reads what the connection has: > 0 bytes, 0 at the end of the stream, -1 with errno
 * (EAGAIN: nothing now). */
static ssize_t
check_recv(struct check *c, void *buf, size_t len)
{
	if (c->tls)
		return tls_conn_read(c->tls, buf, len);
	for (;;) {
		ssize_t n = recv(c->io.fd, buf, len, 0);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Writes what the stack (TLS, or the socket) takes now: as send(2). */
static ssize_t
stack_send(struct check *c, const void *buf, size_t len)
{
	ssize_t n;
	if (c->tls)
		return tls_conn_write(c->tls, buf, len);
	while ((n = send(c->io.fd, buf, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n;
}

/* Writes what the connection takes now: >= 0 bytes (0: nothing now); -1 when it failed,
 * and then the run has ended with the reason. */
static ssize_t
conn_send(struct check *c, const void *buf, size_t len)
{
	ssize_t n = stack_send(c, buf, len);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0)
		check_finish(c, CHECK_FAIL, "%s", check_strerror(c, errno));
	return n;
}

/* Sends what is queued, as far as the socket takes it. Returns 0, or -1 when the run
 * ended. */
static int
drain(struct check *c)
{
	size_t len;
	const char *p;
	while ((p = output(c, &len))) {
		ssize_t n = conn_send(c, p, len);
		if (n <= 0)
			return (int)n;
		if (c->h2) {
			h2_sent(c->h2, (size_t)n);
		} else if ((c->out_off += (size_t)n) == c->out.len) {
			c->out.len = c->out_off = 0;
		}
		/* What a kind queues is its request, then HTTP/2's acknowledgements. */
		if (!output(c, &len))
			c->now.delivered = 1;
	}
	return 0;
}

int
check_write(struct check *c, const void *buf, size_t len)
{
	buf_append(&c->out, buf, len);
	if (c->out.failed) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return -1;
	}
	return 0;
}

int
check_http2(struct check *c, const struct h2_handler *handler, const void *block, size_t block_len,
	    const void *body, size_t body_len)
{
	h2_free(c->h2);
	if (!(c->h2 = h2_new(handler, block, block_len, body, body_len))) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return -1;
	}
	return 0;
}

int
check_tls_h2(const struct check *c)
{
	const char *p = c->tls ? tls_conn_alpn(c->tls) : NULL;
	return p && strcmp(p, "h2") == 0;
}

const struct h2 *
check_h2(const struct check *c)
{
	return c->h2;
}

/* A judging kind's read (n 0: the peer ended; failed: reading failed, why): gathers the
 * first CHECK_ANSWER_MAX bytes, asks the judge, sends what it says back, and ends the run on
 * its verdict. A failed read is the end of what arrived: a pass stands on what it had
 * (a server may reset a connection it has answered), else the failure says why. What a
 * judge says with its verdict are parting words (a protocol's goodbye): sent through the
 * stack if it takes them at once, never waited for, never a reason. */
static void
judge(struct check *c, const char *data, size_t n, const char *failed)
{
	struct gathered *g = c->kstate;
	size_t take = n < sizeof g->got - g->n ? n : sizeof g->got - g->n;
	memcpy(g->got + g->n, data, take);
	struct buf reply = {0};
	struct check_answer a = {
	    .p = g->got, .old = g->n, .n = g->n + take, .target = c->target, .reply = &reply};
	g->n = a.n;
	a.end = n == 0 || a.n == sizeof g->got;
	enum check_result r = c->kind->judge(&a);
	if (r == CHECK_UNKNOWN && a.end)
		r = CHECK_FAIL, fmt_format(a.why, sizeof a.why, "the judge did not end the run");
	if (r == CHECK_FAIL && failed)
		fmt_format(a.why, sizeof a.why, "%s", failed);
	if (reply.failed)
		r = CHECK_FAIL, fmt_format(a.why, sizeof a.why, "out of memory");
	if (r == CHECK_UNKNOWN)
		check_write(c, reply.data, reply.len);
	else if (reply.len && n && !failed)
		(void)!stack_send(c, reply.data, reply.len);
	if (r != CHECK_UNKNOWN && a.warn)
		check_warn(c, "%s", a.why);
	if (r != CHECK_UNKNOWN)
		check_finish(c, r, "%s", a.why);
	buf_free(&reply);
}

static void
check_read(struct check *c)
{
	unsigned conn = c->conn;
	char buf[4096];
	while (still(c, conn) && (c->want & EPOLLIN)) {
		ssize_t n = check_recv(c, buf, sizeof buf);
		if (c->kind->judge && (n >= 0 || errno != EAGAIN)) {
			judge(c, buf, n > 0 ? (size_t)n : 0,
			      n < 0 ? check_strerror(c, errno) : NULL);
		} else if (n > 0 && c->h2) {
			c->kind->stream(c, h2_feed(c->h2, buf, (size_t)n));
		} else if (n > 0) {
			c->kind->received(c, buf, (size_t)n);
		} else if (n == 0) {
			c->kind->eof(c);
		} else if (errno != EAGAIN) {
			const char *why = check_strerror(c, errno);
			if (c->kind->read_failed)
				c->kind->read_failed(c, why);
			else
				check_finish(c, CHECK_FAIL, "%s", why);
		} else {
			return;
		}
		if (n <= 0 && still(c, conn))
			check_finish(c, CHECK_FAIL, "%s",
				     "the kind did not end the run"); /* a bug */
		/* HTTP/2's acknowledgements go as they come, so only a peer that stops
		 * reading lets them pile up (h2.c bounds that). */
		else if (still(c, conn) && drain(c) < 0)
			return;
	}
}

/* Hands the kind what arrived, then sends what is queued (the kind's request, HTTP/2's
 * acknowledgements of SETTINGS and PING) while the socket takes it: an answer already
 * there is read before a send can fail on a server that closed. */
static void
check_io(struct check *c, int in)
{
	unsigned conn = c->conn;
	if (in && (c->want & EPOLLIN))
		check_read(c);
	if (still(c, conn) && drain(c) == 0)
		update_events(c);
}

/* The connection (TCP, then TLS when asked) is up: over to the kind. */
static void
connection_ready(struct check *c)
{
	unsigned conn = c->conn;
	c->phase = CONN_OPEN;
	c->want = 0;
	c->kind->connected(c);
	if (still(c, conn) && !c->tls)
		check_io(c, 0);
}

/* TLS: move records between the socket and the TLS engine, then hand the kind what it
 * can use. */
static void
tls_pump(struct check *c)
{
	unsigned conn = c->conn;
	if (tls_conn_io(c->tls, c->io.fd) < 0 && !tls_conn_ready(c->tls)) {
		/* A server may refuse what a resumed session pins (its version, after an
		 * upgrade to TLS 1.3 only): once more, in full, as Go would connect. */
		if (tls_conn_forget_session(c->tls))
			check_reconnect(c, c->port, 1, c->tls_name);
		else
			check_finish(c, CHECK_FAIL, "%s", tls_conn_error(c->tls));
		return;
	}
	if (c->phase == CONN_HANDSHAKING) {
		if (!tls_conn_ready(c->tls)) {
			update_events(c);
			return;
		}
		/* grpc-go since 1.67 (kubelet 1.37's) fails a handshake in which the server
		 * selected no protocol: HTTP/2 over TLS needs ALPN (RFC 9113 section 3.2). */
		if (c->kind->alpn_required && !tls_conn_alpn(c->tls)) {
			check_finish(c, CHECK_FAIL,
				     "TLS: the server selected no ALPN protocol (%s)",
				     c->kind->alpn[0]);
			return;
		}
		connection_ready(c);
		if (!still(c, conn))
			return;
	}
	/* Once the handshake is done, read whatever the socket said: Mbed TLS may hold
	 * records already received, and a dead connection's next read says why at once. */
	check_io(c, 1);
}

static void
on_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	struct check *c = arg;
	if (c->phase == CONN_CONNECTING) {
		int err = net_socket_error(fd);
		c->refused = err == ECONNREFUSED;
		if (err) {
			loop_io_close(check_loop(c), &c->io);
			check_connect_next(c, err);
			return;
		}
		if (!c->use_tls) {
			connection_ready(c);
			return;
		}
		/* A redirect to https:// from a target without TLS: settings of its own,
		 * made at the first, kept with the check's. */
		char why[64];
		if (!c->tls_cfg)
			c->tls_cfg = tls_config_new(NULL, c->kind->alpn, why, sizeof why);
		c->tls = c->tls_cfg ? tls_conn_new(c->tls_cfg, c->tls_name) : NULL;
		if (!c->tls) {
			check_finish(c, CHECK_FAIL, "out of memory");
			return;
		}
		c->phase = CONN_HANDSHAKING;
	}
	if (c->tls) {
		tls_pump(c);
		return;
	}
	/* An error or hang-up goes to the kind's read when it reads, else to the next send;
	 * either then says what happened. */
	check_io(c, (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0);
}

/* Tries the addresses in order, as Go's dialer does for kubelet, until one accepts. */
static void
check_connect_next(struct check *c, int last_err)
{
	struct loop *loop = check_loop(c);
	const char *path = c->target->socket_path;
	while (path ? c->next_addr == 0 : c->next_addr < c->addrs.n) {
		int fd;
		int rc = path ? net_connect_unix(path, &fd)
			      : net_connect(&c->addrs.a[c->next_addr], c->port, &fd);
		c->local = path || net_addr_is_loopback(&c->addrs.a[c->next_addr]);
		c->next_addr++;
		c->refused = rc < 0 && errno == ECONNREFUSED;
		if (rc < 0) {
			last_err = errno;
			if (last_err == EMFILE || last_err == ENFILE || last_err == ENOMEM)
				break; /* the next address would fail the same way */
			continue;
		}
		if (loop_io_add(loop, &c->io, fd, EPOLLOUT, on_io, c) < 0) {
			last_err = errno;
			close(fd);
			break;
		}
		c->phase = CONN_CONNECTING;
		if (rc == 0)
			on_io(loop, fd, EPOLLOUT, c);
		return;
	}
	check_finish(c, CHECK_FAIL, "%s", net_strerror(last_err));
}

void
check_retry(struct check *c)
{
	check_reconnect(c, c->port, c->use_tls, c->tls_name);
}

void
check_reconnect(struct check *c, uint16_t port, int use_tls, const char *tls_name)
{
	connection_close(c);
	c->conn++;
	c->port = port;
	c->use_tls = use_tls;
	c->tls_name = tls_name;
	c->next_addr = 0;
	check_connect_next(c, ECONNREFUSED);
}

static void
on_resolved(void *arg, const char *err, const struct net_addrs *addrs)
{
	struct check *c = arg;
	c->dns = NULL;
	if (err) {
		check_finish(c, CHECK_FAIL, "%s", err);
		return;
	}
	c->addrs = *addrs;
	c->next_addr = 0;
	check_connect_next(c, ECONNREFUSED);
}

static void
on_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	struct check *c = arg;
	char d[32];
	duration_format(check_timeout(c), d, sizeof d);
	c->timed_out = 1;
	check_finish(c, CHECK_ERROR, "timeout after %s", d);
}

/* Starts a run of c; it may finish before this returns. */
static void
check_start(struct check *c)
{
	struct checker *ck = c->ck;
	const struct target *t = c->target;
	c->running = 1;
	c->conn++;
	c->seq = ++ck->seq;
	c->started = loop_now();
	c->next_addr = 0;
	c->local = c->refused = c->timed_out = c->answered = 0;
	c->port = t->port;
	c->use_tls = t->tls;
	c->tls_name = target_tls_name(t);
	memset(&c->now, 0, sizeof c->now);
	loop_timer_set(ck->loop, &c->timer, loop_after(check_timeout(c)), on_timeout, c);
	size_t size = c->kind->judge ? sizeof(struct gathered) : c->kind->state_size;
	c->kstate = size ? calloc(1, size) : NULL;
	if ((size && !c->kstate) || (c->kind->start && c->kind->start(c) < 0)) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	if (t->socket_path || net_addrs_static(t->host, &c->addrs)) {
		check_connect_next(c, ECONNREFUSED);
		return;
	}
	c->phase = CONN_RESOLVING;
	c->dns = resolver_lookup(ck->res, t->host, on_resolved, c);
	if (!c->dns)
		check_finish(c, CHECK_FAIL, "cannot start a DNS lookup (%s)", fmt_strerror(errno));
}

/* Returns 1 when c's last result may answer a request now instead of a new run. */
static int
fresh(const struct checker *ck, const struct check *c, int64_t now)
{
	if (c->last.result == CHECK_UNKNOWN)
		return 0;
	if (ck->interval_ms)
		return 1; /* background mode: the last result is the answer */
	return ck->cache_ms && now - c->last.finished < ck->cache_ms;
}

static void
on_tick(struct loop *loop, struct timer *t, void *arg)
{
	(void)t;
	struct checker *ck = arg;
	/* Re-armed first: a check that ends at once must not see the timer unarmed. */
	loop_timer_set(loop, &ck->tick, loop_after(ck->interval_ms), on_tick, ck);
	for (size_t i = 0; i < ck->n; i++)
		if (!ck->checks[i].running)
			check_start(&ck->checks[i]);
}

void
checker_set_freshness(struct checker *ck, int64_t cache_ms, int64_t interval_ms)
{
	ck->cache_ms = cache_ms;
	ck->interval_ms = interval_ms;
	if (interval_ms)
		loop_timer_set(ck->loop, &ck->tick, loop_now(), on_tick, ck);
}

void
checker_wait(struct checker *ck, struct waiter *w, void (*done)(struct waiter *))
{
	w->done = done;
	w->ck = ck;
	w->seq = UINT64_MAX; /* while starting, every completion counts */
	w->pending = 1;      /* held until every wanted check is running */
	list_add(&ck->waiters, w);
	int64_t now = loop_now();
	for (size_t i = 0; i < ck->n; i++) {
		if (!waiter_wants(w, i) || fresh(ck, &ck->checks[i], now))
			continue;
		w->pending++;
		if (!ck->checks[i].running)
			check_start(&ck->checks[i]);
	}
	if (w->ck) {
		w->seq = ck->seq;
		if (--w->pending == 0) {
			waiter_cancel(w);
			done(w);
		}
	}
}
