/* Sockets: non-blocking listen and connect, addresses. */
#ifndef PODHEALTH_NET_H
#define PODHEALTH_NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

union net_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

#define NET_MAX_ADDRS 8

struct net_addrs {
	size_t n;
	union net_addr a[NET_MAX_ADDRS];
};

/* Returns a listening, non-blocking, close-on-exec socket on addr (an IP literal, or NULL
 * for every interface, dual-stack where the kernel allows it), or -1 with errno set. */
int net_listen(const char *addr, uint16_t port, int backlog);

/* Starts a non-blocking connect to a on port. Returns 1 (in progress: wait for EPOLLOUT,
 * then net_socket_error), 0 (connected) or -1 (errno set); *fd is the socket unless -1. */
int net_connect(const union net_addr *a, uint16_t port, int *fd);

/* The same for the unix socket at path. */
int net_connect_unix(const char *path, int *fd);

/* Returns 1 when a is a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x.x.x). */
int net_addr_is_loopback(const union net_addr *a);

/* Returns the pending SO_ERROR of fd (0 when none). */
int net_socket_error(int fd);

/* fmt_strerror for a connection: a unix socket's path errors said as such ("no such
 * socket"). Static storage. */
const char *net_strerror(int err);

/* Fills out without DNS when host is an IP literal or "localhost" (RFC 6761 section 6.3:
 * resolved locally, so it works in an image without /etc/hosts). Returns 1 when done,
 * 0 when host needs a DNS lookup. Ports are set at connect time. */
int net_addrs_static(const char *host, struct net_addrs *out);

#endif
