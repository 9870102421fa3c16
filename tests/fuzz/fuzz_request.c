/* Whole byte streams through the real connection handling of podhealth serve: one end of
 * a socketpair is adopted by the server exactly as an accepted client would be. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "resolver.h"
#include "routes.h"
#include "httpd.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct loop *loop;
static struct httpd *srv;

static void
setup(void)
{
	static struct target t[2];
	static struct routes routes;
	char err[128];
	log_verbosity = LOG_ERROR;
	/* Port 1 on loopback refuses at once: /all completes without waiting. */
	if (target_parse("a=http://127.0.0.1:1/", &t[0], err, sizeof err) < 0 ||
	    target_parse("tcp://127.0.0.1:1", &t[1], err, sizeof err) < 0)
		abort();
	loop = loop_new();
	struct resolver *res = resolver_new(loop);
	routes.ck = checker_new(loop, res, t, 2, 1000, err, sizeof err);
	int lfd = net_listen("127.0.0.1", 0, 16);
	srv = httpd_new(loop, lfd, 64, routes_handle, &routes);
	if (!srv)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv)
		setup();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if (httpd_adopt(srv, sv[0]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	/* Write the input (while the server reads), then half-close like a client that is
	 * done; read and drop whatever comes back. */
	size_t off = 0;
	char sink[65536];
	for (int i = 0; i < 10000 && httpd_connections(srv) > 0; i++) {
		if (off < size) {
			ssize_t n = write(sv[1], data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = size;
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		while (read(sv[1], sink, sizeof sink) > 0)
			;
		loop_run_once(loop, 10);
	}
	close(sv[1]);
	/* Anything still open (a stuck connection would be a bug: fail loudly). */
	if (httpd_connections(srv) > 0)
		abort();
	return 0;
}
