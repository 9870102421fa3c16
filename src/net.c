#include "net.h"

#include "fmt.h"
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A lookup thread's stack: getaddrinfo needs a few KiB under musl; glibc's (in the test
 * builds) loads NSS modules and wants more. Stacks are virtual memory until touched, but
 * they count against an address-space limit. */
#ifdef __GLIBC__
#define LOOKUP_STACK (256 * 1024)
#else
#define LOOKUP_STACK (64 * 1024)
#endif

static int
parse_literal(const char *host, uint16_t port, union net_addr *a)
{
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		return 1;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		return 1;
	}
	return 0;
}

static socklen_t
addr_len(const union net_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof a->in6 : sizeof a->in;
}

int
net_listen(const char *addr, uint16_t port, int backlog)
{
	union net_addr a;
	if (addr) {
		if (!parse_literal(addr, port, &a)) {
			errno = EINVAL;
			return -1;
		}
	} else {
		memset(&a, 0, sizeof a);
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_addr = in6addr_any;
		a.in6.sin6_port = htons(port);
	}
	int fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && !addr && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
		/* A kernel without IPv6: fall back to IPv4 on every interface. */
		memset(&a, 0, sizeof a);
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -1;
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (a.sa.sa_family == AF_INET6 && !addr)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (bind(fd, &a.sa, addr_len(&a)) < 0 || listen(fd, backlog) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
connect_to(const struct sockaddr *sa, socklen_t len, int *fd)
{
	*fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	if (connect(*fd, sa, len) == 0)
		return 0;
	if (errno == EINPROGRESS)
		return 1;
	int saved = errno;
	close(*fd);
	*fd = -1;
	errno = saved;
	return -1;
}

int
net_connect(const union net_addr *a, uint16_t port, int *fd)
{
	union net_addr to = *a;
	if (to.sa.sa_family == AF_INET6)
		to.in6.sin6_port = htons(port);
	else
		to.in.sin_port = htons(port);
	return connect_to(&to.sa, addr_len(&to), fd);
}

int
net_connect_unix(const char *path, int *fd)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof un.sun_path) {
		*fd = -1;
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(un.sun_path, path, n + 1);
	/* A unix socket connects at once or fails (EAGAIN: its backlog is full). */
	return connect_to((struct sockaddr *)&un, sizeof un, fd);
}

int
net_addr_is_loopback(const union net_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ntohl(a->in.sin_addr.s_addr) >> 24) == 127;
	const uint8_t *b = a->in6.sin6_addr.s6_addr;
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return IN6_IS_ADDR_LOOPBACK(&a->in6.sin6_addr) ||
	       (memcmp(b, v4mapped, 12) == 0 && b[12] == 127);
}

int
net_socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

const char *
net_strerror(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection reset";
	case EPIPE:
		return "connection closed";
	case ETIMEDOUT:
		return "connection timed out";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case EADDRNOTAVAIL:
		return "address not available";
	case EMFILE:
	case ENFILE:
		return "too many open files";
	case ENOMEM:
	case ENOBUFS:
		return "out of memory";
	case EAGAIN:
		return "resource temporarily unavailable";
	case EADDRINUSE:
		return "address in use";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EAFNOSUPPORT:
		return "address family not supported";
	case ENOENT:
		return "no such socket";
	case ENOTSOCK:
	case ENOTDIR:
		return "not a socket";
	case ENAMETOOLONG:
		return "socket path too long";
	default:
		return "connection failed";
	}
}

static int
is_localhost(const char *host)
{
	size_t n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--; /* a fully qualified "localhost." */
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	return n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0;
}

int
net_addrs_static(const char *host, struct net_addrs *out)
{
	out->n = 0;
	if (parse_literal(host, 0, &out->a[0])) {
		out->n = 1;
		return 1;
	}
	if (!is_localhost(host))
		return 0;
	/* IPv4 first, like /etc/hosts on Debian and kubelet's Go resolver. */
	parse_literal("127.0.0.1", 0, &out->a[0]);
	parse_literal("::1", 0, &out->a[1]);
	out->n = 2;
	return 1;
}

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
		fcntl(r->pipe[0], F_SETFL, O_NONBLOCK);
		if (loop_io_add(r->loop, &r->io, r->pipe[0], EPOLLIN, resolver_readable, r) < 0)
			return NULL;
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
