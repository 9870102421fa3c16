#include "net.h"

#include "fmt.h"
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Lookups in flight at once; past this a check fails at once rather than piling up
 * threads behind a resolver that does not answer. */
#define MAX_LOOKUPS 32

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

int
net_connect(const union net_addr *a, int *fd)
{
	*fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	if (connect(*fd, &a->sa, addr_len(a)) == 0)
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
net_addrs_static(const char *host, uint16_t port, struct net_addrs *out)
{
	out->n = 0;
	if (parse_literal(host, port, &out->a[0])) {
		out->n = 1;
		return 1;
	}
	if (!is_localhost(host))
		return 0;
	/* IPv4 first, like /etc/hosts on Debian and kubelet's Go resolver. */
	parse_literal("127.0.0.1", port, &out->a[0]);
	parse_literal("::1", port, &out->a[1]);
	out->n = 2;
	return 1;
}

struct resolver {
	struct loop *loop;
	struct io io;
	int pipe[2];
	int inflight;
};

struct resolve_req {
	int wfd;       /* the pipe the thread hands req back through */
	resolve_cb cb; /* loop thread only; NULL once cancelled */
	void *arg;
	uint16_t port;
	char host[256];
	const char *err; /* written by the thread before it hands req back */
	struct net_addrs addrs;
};

static void
resolver_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	struct resolver *r = arg;
	struct resolve_req *reqs[64];
	ssize_t n;
	/* The pipe carries pointers; writes of a pointer are atomic (PIPE_BUF). */
	while ((n = read(fd, reqs, sizeof reqs)) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof reqs[0]; i++) {
			struct resolve_req *req = reqs[i];
			r->inflight--;
			if (req->cb)
				req->cb(req->arg, req->err, &req->addrs);
			free(req);
		}
	}
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
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (!r)
		return;
	loop_io_del(r->loop, &r->io);
	/* The pipe stays open: a thread still in getaddrinfo() writes to it when done, and a
	 * closed read end would raise SIGPIPE, a closed write end a write to a reused fd.
	 * Only the exit that follows this call closes it. */
	free(r);
}

static void *
resolve_thread(void *p)
{
	struct resolve_req *req = p;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(req->host, NULL, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_NODATA)
		req->err = "no such host";
	else if (rc == EAI_AGAIN)
		req->err = "DNS lookup failed (temporary)";
	else if (rc != 0)
		req->err = "DNS lookup failed";
	for (struct addrinfo *ai = res; ai && req->addrs.n < NET_MAX_ADDRS; ai = ai->ai_next) {
		union net_addr *a = &req->addrs.a[req->addrs.n];
		if (ai->ai_family == AF_INET && ai->ai_addrlen <= sizeof a->in) {
			memcpy(&a->in, ai->ai_addr, ai->ai_addrlen);
			a->in.sin_port = htons(req->port);
		} else if (ai->ai_family == AF_INET6 && ai->ai_addrlen <= sizeof a->in6) {
			memcpy(&a->in6, ai->ai_addr, ai->ai_addrlen);
			a->in6.sin6_port = htons(req->port);
		} else {
			continue;
		}
		req->addrs.n++;
	}
	if (res)
		freeaddrinfo(res);
	if (!req->err && req->addrs.n == 0)
		req->err = "no such host";
	int fd = req->wfd;
	ssize_t n;
	do
		n = write(fd, &req, sizeof req);
	while (n < 0 && errno == EINTR);
	return NULL;
}

struct resolve_req *
resolver_lookup(struct resolver *r, const char *host, uint16_t port, resolve_cb cb, void *arg)
{
	if (r->inflight >= MAX_LOOKUPS) {
		errno = EAGAIN;
		return NULL;
	}
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
	req->wfd = r->pipe[1];
	req->cb = cb;
	req->arg = arg;
	req->port = port;
	fmt_format(req->host, sizeof req->host, "%s", host);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Stacks are virtual memory until touched; getaddrinfo needs well under this. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t tid;
	int rc = pthread_create(&tid, &attr, resolve_thread, req);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(req);
		errno = rc;
		return NULL;
	}
	r->inflight++;
	return req;
}

void
resolver_cancel(struct resolve_req *req)
{
	if (req)
		req->cb = NULL;
}
