#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct loop {
	int epfd;
	int stopping;
	struct timer *timers; /* the root of the pairing heap: the earliest deadline */
	void **later;         /* frees deferred to the end of the batch */
	size_t nlater, caplater;
};

int64_t
loop_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
loop_after(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000 + ms;
}

struct loop *
loop_new(void)
{
	struct loop *loop = calloc(1, sizeof *loop);
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

static void
run_later(struct loop *loop)
{
	for (size_t i = 0; i < loop->nlater; i++)
		free(loop->later[i]);
	loop->nlater = 0;
}

void
loop_free(struct loop *loop)
{
	if (!loop)
		return;
	run_later(loop);
	close(loop->epfd);
	free(loop->later);
	free(loop);
}

int
loop_io_add(struct loop *loop, struct io *io, int fd, uint32_t events, io_cb cb, void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		io->fd = -1;
		return -1;
	}
	return 0;
}

int
loop_io_mod(struct loop *loop, struct io *io, uint32_t events)
{
	if (events == io->events)
		return 0; /* a system call saved per check and connection */
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -1;
	io->events = events;
	return 0;
}

void
loop_io_del(struct loop *loop, struct io *io)
{
	if (io->fd < 0)
		return;
	int saved = errno;
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL); /* fails only if never added */
	errno = saved;
	io->fd = -1;
}

void
loop_io_close(struct loop *loop, struct io *io)
{
	(void)loop;
	int fd = io->fd;
	if (fd < 0)
		return;
	/* close() ends the epoll registration by itself, since no descriptor podhealth
	 * watches is ever duplicated or inherited (all are close-on-exec): no EPOLL_CTL_DEL. */
	io->fd = -1;
	int saved = errno;
	close(fd);
	errno = saved;
}

/* Timers form a pairing heap (Fredman et al., 1986): insertion and melding are O(1),
 * removing the earliest O(log n) amortised, and nothing is allocated, so arming a timer
 * cannot fail. A node's prev is its parent when it is the first child, else its left
 * sibling. */
static struct timer *
meld(struct timer *a, struct timer *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (b->deadline < a->deadline) {
		struct timer *t = a;
		a = b;
		b = t;
	}
	b->prev = a;
	b->next = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	return a;
}

/* The standard two passes: meld siblings in pairs left to right, then the pairs right to
 * left. Returns the new root of the list starting at first. */
static struct timer *
merge_pairs(struct timer *first)
{
	struct timer *pairs = NULL; /* melded pairs, rightmost first */
	while (first) {
		struct timer *a = first, *b = first->next;
		first = b ? b->next : NULL;
		a->next = a->prev = NULL;
		if (b)
			b->next = b->prev = NULL;
		struct timer *m = meld(a, b);
		m->next = pairs;
		pairs = m;
	}
	struct timer *root = NULL;
	while (pairs) {
		struct timer *next = pairs->next;
		pairs->next = NULL;
		root = meld(root, pairs);
		pairs = next;
	}
	return root;
}

int
loop_timer_armed(const struct timer *t)
{
	return t->armed;
}

void
loop_timer_cancel(struct loop *loop, struct timer *t)
{
	if (!t->armed)
		return;
	t->armed = 0;
	struct timer *sub = merge_pairs(t->child);
	t->child = NULL;
	if (t == loop->timers) {
		loop->timers = sub;
		if (sub)
			sub->prev = NULL;
		return;
	}
	/* Unlink t from its parent's child list. */
	if (t->prev->child == t)
		t->prev->child = t->next;
	else
		t->prev->next = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
	loop->timers = meld(loop->timers, sub);
}

void
loop_timer_set(struct loop *loop, struct timer *t, int64_t deadline, timer_cb cb, void *arg)
{
	loop_timer_cancel(loop, t);
	t->deadline = deadline;
	t->cb = cb;
	t->arg = arg;
	t->child = t->next = t->prev = NULL;
	t->armed = 1;
	loop->timers = meld(loop->timers, t);
}

void
loop_free_later(struct loop *loop, void *p)
{
	if (!p)
		return;
	if (loop->nlater == loop->caplater) {
		size_t cap = loop->caplater ? loop->caplater * 2 : 16;
		void **later = realloc(loop->later, cap * sizeof *later);
		if (!later) {
			/* Out of memory: leaking is safer than a use-after-free. */
			return;
		}
		loop->later = later;
		loop->caplater = cap;
	}
	loop->later[loop->nlater++] = p;
}

void
loop_stop(struct loop *loop)
{
	loop->stopping = 1;
}

static int
next_timeout(struct loop *loop)
{
	if (!loop->timers)
		return -1; /* idle: sleep until an fd is ready */
	int64_t wait = loop->timers->deadline - loop_now();
	if (wait <= 0)
		return 0;
	/* At most a minute per wait: the timers' deadlines are CLOCK_MONOTONIC, epoll's timeout
	 * is relative, and a bounded wait keeps any drift between the two (a suspended VM, a
	 * clock step) from postponing a deadline by more than that. */
	return wait > 60000 ? 60000 : (int)wait;
}

static void
run_timers(struct loop *loop)
{
	int64_t now = loop_now();
	while (loop->timers && loop->timers->deadline <= now) {
		struct timer *t = loop->timers;
		loop_timer_cancel(loop, t);
		t->cb(loop, t, t->arg);
	}
}

int
loop_run_once(struct loop *loop, int max_wait_ms)
{
	struct epoll_event events[MAX_EVENTS];
	int wait = next_timeout(loop);
	if (max_wait_ms >= 0 && (wait < 0 || wait > max_wait_ms))
		wait = max_wait_ms;
	int n = epoll_wait(loop->epfd, events, MAX_EVENTS, wait);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct io *io = events[i].data.ptr;
		if (io->fd >= 0)
			io->cb(loop, io->fd, events[i].events, io->arg);
	}
	run_later(loop);
	run_timers(loop);
	run_later(loop);
	return 0;
}

int
loop_run(struct loop *loop)
{
	/* A loop_stop() before the first wait counts: work that finished synchronously may
	 * already have asked to stop. */
	while (!loop->stopping)
		if (loop_run_once(loop, -1) < 0)
			return -1;
	loop->stopping = 0;
	return 0;
}

int
loop_signalfd(const sigset_t *set, sigset_t *old)
{
	if (sigprocmask(SIG_BLOCK, set, old) < 0)
		return -1;
	return signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
}
