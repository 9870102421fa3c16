/* net.c: addresses without DNS, loopback, a listener and a connect on loopback, unix
 * socket errors said as such. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static void
test_static_addresses(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		int done;
		size_t n;
		const char *first;
	} cases[] = {
	    {"10.1.2.3", 1, 1, "10.1.2.3"},
	    {"::1", 1, 1, "::1"},
	    {"localhost", 1, 2, "127.0.0.1"}, /* IPv4 first, then ::1 */
	    {"LOCALHOST.", 1, 2, "127.0.0.1"},
	    {"db.localhost", 1, 2, "127.0.0.1"}, /* RFC 6761 6.3: every name under it */
	    {"notlocalhost", 0, 0, NULL},
	    {".localhost", 0, 0, NULL},
	    {"db.internal", 0, 0, NULL},
	    {"10.1.2", 0, 0, NULL}, /* not a literal: a name for DNS */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct net_addrs a;
		assert_int_equal(net_addrs_static(cases[i].host, &a), cases[i].done);
		assert_int_equal(a.n, cases[i].n);
		if (!cases[i].first)
			continue;
		char text[INET6_ADDRSTRLEN];
		const void *raw = a.a[0].sa.sa_family == AF_INET
				      ? (const void *)&a.a[0].in.sin_addr
				      : (const void *)&a.a[0].in6.sin6_addr;
		assert_non_null(inet_ntop(a.a[0].sa.sa_family, raw, text, sizeof text));
		assert_string_equal(text, cases[i].first);
		if (a.n == 2)
			assert_int_equal(a.a[1].sa.sa_family, AF_INET6);
	}
}

static void
test_loopback(void **state)
{
	(void)state;
	static const struct {
		const char *host;
		int loopback;
	} cases[] = {
	    {"127.0.0.1", 1},        {"127.255.0.9", 1},     {"128.0.0.1", 0}, {"::1", 1},
	    {"::ffff:127.0.0.2", 1}, {"::ffff:10.0.0.1", 0}, {"::2", 0},       {"10.0.0.1", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct net_addrs a;
		assert_int_equal(net_addrs_static(cases[i].host, &a), 1);
		assert_int_equal(net_addr_is_loopback(&a.a[0]), cases[i].loopback);
	}
}

static void
test_listen_and_connect_on_loopback(void **state)
{
	(void)state;
	int l = net_listen("127.0.0.1", 0, 4);
	assert_true(l >= 0);
	assert_true(fcntl(l, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(l, F_GETFD) & FD_CLOEXEC);
	struct sockaddr_in at;
	socklen_t len = sizeof at;
	assert_int_equal(getsockname(l, (struct sockaddr *)&at, &len), 0);

	struct net_addrs a;
	assert_int_equal(net_addrs_static("127.0.0.1", &a), 1);
	int fd = -1;
	int r = net_connect(&a.a[0], ntohs(at.sin_port), &fd);
	assert_true(r == 0 || r == 1);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(net_socket_error(fd), 0);
	/* TCP_NODELAY, as Go's net.Dialer sets it on every TCP connection. */
	int nodelay = 0;
	len = sizeof nodelay;
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
	assert_true(nodelay);
	close(fd);

	/* A port bound but not listening (held, so no other process takes it meanwhile)
	 * refuses: the error is the socket's. */
	close(l);
	int held = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(held, (struct sockaddr *)&any, sizeof any), 0);
	len = sizeof at;
	assert_int_equal(getsockname(held, (struct sockaddr *)&at, &len), 0);
	r = net_connect(&a.a[0], ntohs(at.sin_port), &fd);
	if (r == 1) {
		p = (struct pollfd){.fd = fd, .events = POLLOUT};
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(net_socket_error(fd), ECONNREFUSED);
		close(fd);
	} else {
		assert_int_equal(r, -1);
		assert_int_equal(errno, ECONNREFUSED);
	}
	close(held);
}

static void
test_unix_socket_errors(void **state)
{
	(void)state;
	int fd;
	assert_int_equal(net_connect_unix("/nonexistent/podhealth.sock", &fd), -1);
	assert_string_equal(net_strerror(errno), "no such socket");
	char longer[200];
	memset(longer, 'a', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(net_connect_unix(longer, &fd), -1);
	assert_int_equal(fd, -1);
	assert_string_equal(net_strerror(errno), "socket path too long");
	assert_int_equal(net_connect_unix("/", &fd), -1); /* a directory: Linux refuses it */
	assert_string_equal(net_strerror(errno), "connection refused");
	assert_string_equal(net_strerror(ENOTSOCK), "not a socket");
	assert_string_equal(net_strerror(EPIPE), "connection closed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_static_addresses),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_listen_and_connect_on_loopback),
	    cmocka_unit_test(test_unix_socket_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
