#include "check.h"

#include "config.h"
#include "log.h"
#include "target.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct round {
	struct checker *ck;
	struct waiter waiters; /* list head */
	size_t n, pending;
	struct check checks[];
};

struct checker {
	struct loop *loop;
	struct resolver *res;
	const struct target *targets;
	size_t ntargets;
	int64_t timeout_ms;
	struct round *current;
	signed char *healthy; /* per target: -1 unknown, 0, 1; for logging changes only */
};

struct checker *
checker_new(struct loop *loop, struct resolver *res, const struct target *targets, size_t ntargets,
	    int64_t timeout_ms)
{
	struct checker *ck = calloc(1, sizeof *ck);
	if (!ck)
		return NULL;
	ck->healthy = malloc(ntargets ? ntargets : 1);
	if (!ck->healthy) {
		free(ck);
		return NULL;
	}
	memset(ck->healthy, -1, ntargets);
	ck->loop = loop;
	ck->res = res;
	ck->targets = targets;
	ck->ntargets = ntargets;
	ck->timeout_ms = timeout_ms;
	return ck;
}

static void
check_release(struct check *c)
{
	struct loop *loop = check_loop(c);
	if (c->io.fd >= 0) {
		int fd = c->io.fd;
		loop_io_del(loop, &c->io);
		close(fd);
	}
	loop_timer_cancel(loop, &c->timer);
	resolver_cancel(c->dns);
	c->dns = NULL;
}

void
checker_free(struct checker *ck)
{
	if (!ck)
		return;
	struct round *r = ck->current;
	if (r) {
		/* Shutting down mid-round: release every socket and timer, tell no one. */
		for (size_t i = 0; i < r->n; i++)
			check_release(&r->checks[i]);
		while (r->waiters.next != &r->waiters)
			waiter_cancel(r->waiters.next);
		free(r);
	}
	free(ck->healthy);
	free(ck);
}

struct loop *
check_loop(const struct check *c)
{
	return c->round->ck->loop;
}

size_t
round_count(const struct round *r)
{
	return r->n;
}

const struct check_status *
round_status(const struct round *r, size_t i)
{
	return &r->checks[i].st;
}

const struct target *
round_target(const struct round *r, size_t i)
{
	return r->checks[i].target;
}

int
round_ok(const struct round *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->checks[i].st.result != CHECK_OK)
			return 0;
	return 1;
}

static void
log_changes(struct checker *ck, const struct round *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct check_status *st = &r->checks[i].st;
		signed char now = st->result == CHECK_OK;
		if (ck->healthy[i] == now)
			continue;
		if (now)
			log_info("%s is healthy", ck->targets[i].text);
		else
			log_warn("%s is unhealthy: %s", ck->targets[i].text, st->reason);
		ck->healthy[i] = now;
	}
}

static void
round_done(struct round *r)
{
	struct checker *ck = r->ck;
	if (ck->current == r)
		ck->current = NULL;
	log_changes(ck, r);
	while (r->waiters.next != &r->waiters) {
		struct waiter *w = r->waiters.next;
		waiter_cancel(w);
		w->done(w, r);
	}
	/* Deferred: an event for one of this round's sockets may be in the current batch. */
	loop_free_later(ck->loop, r);
}

void
check_finish(struct check *c, enum check_result result, const char *fmt, ...)
{
	if (c->st.result != CHECK_PENDING)
		return;
	check_release(c);
	c->st.result = result;
	c->st.latency_ms = loop_now() - c->started;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->st.reason, sizeof c->st.reason, fmt, ap);
	va_end(ap);
	if (--c->round->pending == 0)
		round_done(c->round);
}

static void check_connect_next(struct check *c, int last_err);

static void
on_connected(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)events;
	struct check *c = arg;
	int err = net_socket_error(fd);
	if (err) {
		loop_io_del(loop, &c->io);
		close(fd);
		check_connect_next(c, err);
		return;
	}
	check_http_connected(c);
}

/* Tries the addresses in order, as Go's dialer does for kubelet, until one accepts. */
static void
check_connect_next(struct check *c, int last_err)
{
	struct loop *loop = check_loop(c);
	while (c->next_addr < c->addrs.n) {
		int fd;
		int rc = net_connect(&c->addrs.a[c->next_addr++], &fd);
		if (rc < 0) {
			last_err = errno;
			if (last_err == EMFILE || last_err == ENFILE || last_err == ENOMEM)
				break; /* the next address would fail the same way */
			continue;
		}
		if (loop_io_add(loop, &c->io, fd, EPOLLOUT, on_connected, c) < 0) {
			last_err = errno;
			close(fd);
			break;
		}
		if (rc == 0)
			on_connected(loop, fd, EPOLLOUT, c);
		return;
	}
	check_finish(c, CHECK_FAIL, "%s", net_strerror(last_err));
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
	check_connect_next(c, ECONNREFUSED);
}

static void
on_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	struct check *c = arg;
	char d[32];
	duration_format(c->round->ck->timeout_ms, d, sizeof d);
	check_finish(c, CHECK_FAIL, "timeout after %s", d);
}

static void
check_start(struct check *c, int64_t deadline)
{
	struct checker *ck = c->round->ck;
	const struct target *t = c->target;
	c->io.fd = -1;
	c->started = loop_now();
	if (loop_timer_set(ck->loop, &c->timer, deadline, on_timeout, c) < 0) {
		check_finish(c, CHECK_FAIL, "out of memory");
		return;
	}
	if (net_addrs_static(t->host, t->port, &c->addrs)) {
		check_connect_next(c, ECONNREFUSED);
		return;
	}
	c->dns = resolver_lookup(ck->res, t->host, t->port, on_resolved, c);
	if (!c->dns)
		check_finish(c, CHECK_FAIL, "%s",
			     errno == EAGAIN ? "too many DNS lookups in flight"
					     : net_strerror(errno));
}

static struct round *
round_start(struct checker *ck)
{
	struct round *r = calloc(1, sizeof *r + ck->ntargets * sizeof r->checks[0]);
	if (!r)
		return NULL;
	r->ck = ck;
	r->n = ck->ntargets;
	r->pending = r->n + 1; /* held until every check has started */
	r->waiters.next = r->waiters.prev = &r->waiters;
	ck->current = r;
	for (size_t i = 0; i < r->n; i++) {
		r->checks[i].round = r;
		r->checks[i].target = &ck->targets[i];
		r->checks[i].io.fd = -1;
	}
	return r;
}

static void
round_run(struct round *r)
{
	int64_t deadline = loop_now() + r->ck->timeout_ms;
	for (size_t i = 0; i < r->n; i++)
		check_start(&r->checks[i], deadline);
	if (--r->pending == 0)
		round_done(r);
}

int
checker_wait(struct checker *ck, struct waiter *w,
	     void (*done)(struct waiter *, const struct round *))
{
	struct round *r = ck->current;
	int fresh = !r;
	if (fresh && !(r = round_start(ck)))
		return -1;
	w->done = done;
	w->round = r;
	w->prev = r->waiters.prev;
	w->next = &r->waiters;
	r->waiters.prev->next = w;
	r->waiters.prev = w;
	if (fresh)
		round_run(r);
	return 0;
}

void
waiter_cancel(struct waiter *w)
{
	if (!w->round)
		return;
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->round = NULL;
}
