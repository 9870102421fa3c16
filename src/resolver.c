#include "resolver.h"

#include "fmt.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A lookup thread's stack: getaddrinfo needs a few KiB under musl; glibc's (in the test
 * builds) loads NSS modules and wants more. Stacks are virtual memory until touched, but
 * they count against an address-space limit. */
#ifdef __GLIBC__
#define LOOKUP_STACK (256 * 1024)
#else
#define LOOKUP_STACK (64 * 1024)
#endif

/* Name resolution: getaddrinfo() in a thread per lookup, at most RESOLVER_THREADS at once;
 * more wait in line. Requests for a name already being looked up (or waiting) join that
 * lookup, so the checks of one host share one lookup. A thread hands its lookup back
 * through a pipe; everything else happens on the loop thread. */
struct lookup {
	struct lookup *next; /* the resolver's lookups, in order */
	struct resolver *r;
	int wfd; /* the pipe the thread hands the lookup back through */
	int running;
	atomic_int handoff;       /* LOOKUP_BUSY, then LOOKUP_DONE (thread) or LOOKUP_ORPHANED */
	struct resolve_req *reqs; /* who waits for it (loop thread only) */
	char host[256];
	const char *err; /* written by the thread before it hands the lookup back */
	struct net_addrs addrs;
};

/* Who frees a running lookup: the loop thread once the lookup thread has handed it back
 * (DONE), or the lookup thread itself when the resolver was freed first (ORPHANED). */
enum { LOOKUP_BUSY, LOOKUP_DONE, LOOKUP_ORPHANED };

struct resolve_req {
	struct resolve_req *next, *prev;
	struct lookup *lookup;
	resolve_cb cb;
	void *arg;
};

struct resolver {
	struct loop *loop;
	struct io io;
	int pipe[2];
	unsigned running;
	struct lookup *head, **tail;
};

static void
lookup_unlink(struct resolver *r, struct lookup *lk)
{
	for (struct lookup **p = &r->head; *p; p = &(*p)->next)
		if (*p == lk) {
			*p = lk->next;
			if (r->tail == &lk->next)
				r->tail = p;
			return;
		}
}

/* Runs cb for every request of lk (already unlinked) and frees them and lk. */
static void
lookup_deliver(struct lookup *lk, const char *err)
{
	while (lk->reqs) {
		struct resolve_req *req = lk->reqs;
		lk->reqs = req->next;
		req->cb(req->arg, err, &lk->addrs);
		free(req);
	}
	free(lk);
}

static void *resolve_thread(void *p);

/* Returns 0 when a thread now runs lk, else pthread_create's error. */
static int
lookup_start(struct resolver *r, struct lookup *lk)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, LOOKUP_STACK);
	pthread_t tid;
	lk->wfd = r->pipe[1];
	int rc = pthread_create(&tid, &attr, resolve_thread, lk);
	pthread_attr_destroy(&attr);
	if (rc == 0) {
		lk->running = 1;
		r->running++;
	}
	return rc;
}

/* Starts waiting lookups, in order, while there is room. Waiting lookups exist only while
 * some thread runs: one that cannot start waits for a running one to end, unless none
 * runs, and then it fails. */
static void
resolver_pump(struct resolver *r)
{
	struct lookup *lk = r->head;
	while (lk && r->running < RESOLVER_THREADS) {
		if (lk->running) {
			lk = lk->next;
			continue;
		}
		if (lookup_start(r, lk) == 0) {
			lk = lk->next;
			continue;
		}
		if (r->running > 0)
			return;
		lookup_unlink(r, lk);
		lookup_deliver(lk, "cannot start a DNS lookup thread (out of memory?)");
		lk = r->head; /* the callbacks may have changed the list */
	}
}

static void
resolver_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	struct resolver *r = arg;
	struct lookup *done[64];
	ssize_t n;
	/* The pipe carries pointers; writes of a pointer are atomic (PIPE_BUF). */
	while ((n = read(fd, done, sizeof done)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof done[0]; i++) {
			struct lookup *lk = done[i];
			r->running--;
			lookup_unlink(r, lk);
			lookup_deliver(lk, lk->err);
		}
	}
	resolver_pump(r);
}

struct resolver *
resolver_new(struct loop *loop)
{
	struct resolver *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->loop = loop;
	r->io.fd = -1;
	r->pipe[0] = r->pipe[1] = -1;
	r->tail = &r->head;
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (!r)
		return;
	loop_io_del(r->loop, &r->io);
	/* The pipe stays open: a thread that has just finished may still write to it, and a
	 * closed read end would raise SIGPIPE, a closed write end a write to a reused fd. Only
	 * the exit that follows this call closes it. A thread still in getaddrinfo() frees its
	 * own lookup when done; one already done has handed it over, and it is freed here,
	 * unread. Waiting lookups and every request are freed. */
	for (struct lookup *lk = r->head, *next; lk; lk = next) {
		next = lk->next;
		while (lk->reqs) {
			struct resolve_req *req = lk->reqs;
			lk->reqs = req->next;
			free(req);
		}
		if (!lk->running || atomic_exchange(&lk->handoff, LOOKUP_ORPHANED) == LOOKUP_DONE)
			free(lk);
	}
	free(r);
}

static void *
resolve_thread(void *p)
{
	struct lookup *lk = p;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(lk->host, NULL, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_NODATA)
		lk->err = "no such host";
	else if (rc == EAI_AGAIN)
		lk->err = "DNS lookup failed (temporary)";
	else if (rc != 0)
		lk->err = "DNS lookup failed";
	for (struct addrinfo *ai = res; ai && lk->addrs.n < NET_MAX_ADDRS; ai = ai->ai_next) {
		union net_addr *a = &lk->addrs.a[lk->addrs.n];
		if (ai->ai_family == AF_INET && ai->ai_addrlen <= sizeof a->in)
			memcpy(&a->in, ai->ai_addr, ai->ai_addrlen);
		else if (ai->ai_family == AF_INET6 && ai->ai_addrlen <= sizeof a->in6)
			memcpy(&a->in6, ai->ai_addr, ai->ai_addrlen);
		else
			continue;
		lk->addrs.n++;
	}
	if (res)
		freeaddrinfo(res);
	if (!lk->err && lk->addrs.n == 0)
		lk->err = "no such host";
	int fd = lk->wfd; /* not through lk->r: the resolver may be gone (resolver_free) */
	if (atomic_exchange(&lk->handoff, LOOKUP_DONE) == LOOKUP_ORPHANED) {
		free(lk);
		return NULL;
	}
	ssize_t n;
	do
		n = write(fd, &lk, sizeof lk);
	while (n < 0 && errno == EINTR);
	return NULL;
}

struct resolve_req *
resolver_lookup(struct resolver *r, const char *host, resolve_cb cb, void *arg)
{
	if (r->pipe[0] < 0) {
		/* Created on first use, so a daemon with only literal addresses holds no pipe. */
		if (pipe2(r->pipe, O_CLOEXEC) < 0)
			return NULL;
		/* The read end only: a lookup thread's write may block, never the loop. */
		if (fcntl(r->pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
		    loop_io_add(r->loop, &r->io, r->pipe[0], EPOLLIN, resolver_readable, r) < 0) {
			close(r->pipe[0]);
			close(r->pipe[1]);
			r->pipe[0] = r->pipe[1] = -1;
			return NULL;
		}
	}
	struct resolve_req *req = calloc(1, sizeof *req);
	if (!req)
		return NULL;
	req->cb = cb;
	req->arg = arg;
	struct lookup *lk;
	for (lk = r->head; lk; lk = lk->next)
		if (strcasecmp(lk->host, host) == 0)
			break;
	if (!lk) {
		lk = calloc(1, sizeof *lk);
		if (!lk) {
			free(req);
			return NULL;
		}
		lk->r = r;
		fmt_format(lk->host, sizeof lk->host, "%s", host);
		*r->tail = lk;
		r->tail = &lk->next;
	}
	if (!lk->running && r->running < RESOLVER_THREADS) {
		int rc = lookup_start(r, lk);
		if (rc != 0 && r->running == 0 && !lk->reqs) {
			/* Nothing runs that could retry it later: fail now. */
			lookup_unlink(r, lk);
			free(lk);
			free(req);
			errno = rc == EAGAIN ? ENOMEM : rc;
			return NULL;
		}
	}
	req->lookup = lk;
	req->next = lk->reqs;
	if (lk->reqs)
		lk->reqs->prev = req;
	lk->reqs = req;
	return req;
}

void
resolver_cancel(struct resolve_req *req)
{
	if (!req)
		return;
	struct lookup *lk = req->lookup;
	if (req->prev)
		req->prev->next = req->next;
	else
		lk->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	free(req);
	if (!lk->reqs && !lk->running) {
		lookup_unlink(lk->r, lk);
		free(lk);
	}
}
