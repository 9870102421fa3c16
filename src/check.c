#include "check.h"

#include "duration.h"
#include "fmt.h"
#include "log.h"
#include "target.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct checker {
	struct loop *loop;
	struct resolver *res;
	int64_t timeout_ms;
	uint64_t seq; /* runs started so far */
	int quiet;    /* no log line per change of state */
	int64_t cache_ms, interval_ms;
	struct timer tick;     /* background rounds, only with interval_ms */
	struct waiter waiters; /* list head */
	size_t n;
	struct check checks[];
};

struct checker *
checker_new(struct loop *loop, struct resolver *res, const struct target *targets, size_t ntargets,
	    int64_t timeout_ms)
{
	struct checker *ck = calloc(1, sizeof *ck + ntargets * sizeof ck->checks[0]);
	if (!ck)
		return NULL;
	ck->loop = loop;
	ck->res = res;
	ck->timeout_ms = timeout_ms;
	ck->waiters.next = ck->waiters.prev = &ck->waiters;
	ck->n = ntargets;
	for (size_t i = 0; i < ntargets; i++) {
		struct check *c = &ck->checks[i];
		c->ck = ck;
		c->target = &targets[i];
		c->index = i;
		c->io.fd = -1;
		c->healthy = -1;
		if (targets[i].body && http_resp_want_body(&c->resp, TARGET_BODY_MAX) < 0) {
			checker_free(ck);
			return NULL;
		}
	}
	return ck;
}

static void
check_release(struct check *c)
{
	struct loop *loop = c->ck->loop;
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
	loop_timer_cancel(ck->loop, &ck->tick);
	for (size_t i = 0; i < ck->n; i++) {
		check_release(&ck->checks[i]);
		http_resp_free(&ck->checks[i].resp);
	}
	while (ck->waiters.next != &ck->waiters)
		waiter_cancel(ck->waiters.next);
	free(ck);
}

void
checker_log_changes(struct checker *ck, int on)
{
	ck->quiet = !on;
}

struct loop *
check_loop(const struct check *c)
{
	return c->ck->loop;
}

size_t
checker_count(const struct checker *ck)
{
	return ck->n;
}

const struct check *
checker_check(const struct checker *ck, size_t i)
{
	return &ck->checks[i];
}

int
checker_ok(const struct checker *ck, const struct waiter *w)
{
	for (size_t i = 0; i < ck->n; i++)
		if (waiter_wants(w, i) && ck->checks[i].last.result != CHECK_OK)
			return 0;
	return 1;
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
	if (w->one >= 0)
		return (size_t)w->one == i;
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

static void
log_change(struct check *c)
{
	signed char now = c->last.result == CHECK_OK;
	if (c->healthy == now || c->ck->quiet)
		return;
	c->healthy = now;
	if (now)
		log_event(LOG_INFO, "check healthy", "check", c->target->name, NULL);
	else
		log_event(LOG_WARN, "check unhealthy", "check", c->target->name, "reason",
			  c->last.reason, NULL);
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
	check_release(c);
	c->running = 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->last.result = result;
	c->last.http_status = c->resp.status;
	c->last.delivered = c->target->kind == TARGET_HTTP && c->sent == c->target->request_len;
	c->last.finished = loop_now();
	c->last.latency_ms = c->last.finished - c->started;
	c->last.finished_wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(c->last.reason, sizeof c->last.reason, fmt, ap);
	va_end(ap);
	if (result == CHECK_OK)
		c->ok_total++;
	else
		c->fail_total++;
	log_change(c);
	notify(c->ck, c);
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
	if (c->target->kind == TARGET_TCP)
		check_tcp_connected(c);
	else
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
	c->next_addr = 0;
	check_connect_next(c, ECONNREFUSED);
}

static int64_t
check_timeout(const struct check *c)
{
	return c->target->timeout_ms ? c->target->timeout_ms : c->ck->timeout_ms;
}

static void
on_timeout(struct loop *loop, struct timer *t, void *arg)
{
	(void)loop;
	(void)t;
	struct check *c = arg;
	char d[32];
	duration_format(check_timeout(c), d, sizeof d);
	check_finish(c, CHECK_FAIL, "timeout after %s", d);
}

/* Starts a run of c; it may finish before this returns. */
static void
check_start(struct check *c)
{
	struct checker *ck = c->ck;
	const struct target *t = c->target;
	c->running = 1;
	c->seq = ++ck->seq;
	c->started = loop_now();
	c->next_addr = 0;
	c->sent = 0;
	c->resp.status = 0;
	if (loop_timer_set(ck->loop, &c->timer, loop_after(check_timeout(c)), on_timeout, c) < 0) {
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

int
checker_set_freshness(struct checker *ck, int64_t cache_ms, int64_t interval_ms)
{
	ck->cache_ms = cache_ms;
	ck->interval_ms = interval_ms;
	if (!interval_ms)
		return 0;
	if (loop_timer_set(ck->loop, &ck->tick, loop_now(), on_tick, ck) < 0)
		return -1;
	return 0;
}

int
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
	return 0;
}
