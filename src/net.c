#include "net.h"

#include "fmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	/* Dual-stack unless IPv6 is off (socket() fell back to IPv4): a failure here would
	 * leave half the addresses unserved, so it fails the listen. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (a.sa.sa_family == AF_INET6 && !addr &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0) ||
	    bind(fd, &a.sa, addr_len(&a)) < 0 || listen(fd, backlog) < 0) {
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
	/* Nagle's algorithm off, as Go's net.Dialer sets it on every TCP connection (newTCPConn:
	 * setNoDelay, its error ignored): a TLS 1.2 flight written as several records would
	 * otherwise wait ~40 ms for the server's delayed ACK. */
	static const int one = 1;
	if (sa->sa_family != AF_UNIX)
		(void)setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
	case ENOENT:
		return "no such socket";
	case ENOTSOCK:
	case ENOTDIR:
		return "not a socket";
	case ENAMETOOLONG:
		return "socket path too long";
	case EPIPE:
		return "connection closed";
	default:
		return fmt_strerror(err);
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
