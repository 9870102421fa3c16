/* httpd.c: a client on a socket pair, byte streams in, answers out: keep-alive, pipelined
 * requests answered in order, HEAD without a body, a deferred answer, and the 4xx of a
 * malformed or oversized request, after which the connection closes. The whole daemon
 * meets real clients in tests/e2e. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "loop.h"
#include "request.h"

static struct conn *deferred;
static int ended;

static void
on_end(void *arg)
{
	(void)arg;
	ended++;
}

/* Answers with the path, or later for /later. */
static void
handle(void *ctx, struct conn *c, const struct request *req)
{
	(void)ctx;
	if (req->path_len == 6 && memcmp(req->path, "/later", 6) == 0) {
		deferred = c;
		httpd_defer(c, on_end, NULL);
		return;
	}
	httpd_respond(c, HTTP_OK, "text/plain", "", req->path, req->path_len);
}

struct fixture {
	struct loop *loop;
	struct httpd *httpd;
	int client;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int sv[2], lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	f->loop = loop_new();
	assert_non_null(f->loop);
	f->httpd = httpd_new(f->loop, lfd, 16, handle, NULL);
	assert_non_null(f->httpd);
	assert_int_equal(httpd_adopt(f->httpd, sv[0]), 0);
	f->client = sv[1];
	deferred = NULL;
	ended = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	httpd_free(f->httpd);
	loop_free(f->loop);
	close(f->client);
	free(f);
	return 0;
}

/* Sends in and reads what comes back until want has arrived whole, or the server closed
 * (then *closed is set). Returns the bytes read (static). */
static const char *
exchange(struct fixture *f, const char *in, size_t want_len, int *closed)
{
	static char got[65536];
	size_t n = 0;
	*closed = 0;
	if (in)
		assert_int_equal(write(f->client, in, strlen(in)), (ssize_t)strlen(in));
	for (int i = 0; i < 2000 && n < want_len && !*closed; i++) {
		assert_int_equal(loop_run_once(f->loop, 10), 0);
		for (;;) {
			ssize_t r = read(f->client, got + n, sizeof got - 1 - n);
			if (r == 0)
				*closed = 1;
			if (r <= 0)
				break;
			n += (size_t)r;
		}
	}
	got[n] = '\0';
	return got;
}

static int
count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void
test_keep_alive_and_pipelining(void **state)
{
	struct fixture *f = *state;
	int closed;
	const char *got = exchange(f, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 40, &closed);
	assert_false(closed);
	assert_true(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(got, "\r\n\r\n/a"));
	/* Three in one write: three answers, in order, on the same connection. */
	got = exchange(f,
		       "GET /one HTTP/1.1\r\nHost: x\r\n\r\nHEAD /two HTTP/1.1\r\nHost: x\r\n\r\n"
		       "GET /three HTTP/1.1\r\nHost: x\r\n\r\n",
		       400, &closed);
	assert_int_equal(count(got, "HTTP/1.1 200 OK\r\n"), 3);
	const char *one = strstr(got, "\r\n\r\n/one"), *three = strstr(got, "\r\n\r\n/three");
	assert_non_null(one);
	assert_non_null(three);
	assert_true(one < three);
	assert_null(strstr(got, "/two"));                         /* HEAD: the length, no body */
	assert_int_equal(count(got, "Content-Length: 4\r\n"), 2); /* /one and /two */
	assert_false(closed);
	assert_int_equal(httpd_connections(f->httpd), 1);
}

static void
test_a_deferred_answer(void **state)
{
	struct fixture *f = *state;
	int closed;
	const char *got = exchange(f, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n", 1, &closed);
	assert_string_equal(got, ""); /* nothing yet */
	assert_non_null(deferred);
	httpd_respond(deferred, HTTP_SERVICE_UNAVAILABLE, "text/plain", "", "no\n", 3);
	got = exchange(f, NULL, 40, &closed);
	assert_true(strncmp(got, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
	assert_int_equal(ended, 1);
}

static void
test_bad_requests_get_a_4xx_and_a_close(void **state)
{
	(void)state;
	char long_url[2100] = "GET /", big_head[9300] = "GET / HTTP/1.1\r\nX: ";
	memset(long_url + 5, 'a', 1100);
	strcpy(long_url + 1105, " HTTP/1.1\r\n\r\n");
	memset(big_head + 19, 'b', 9000);
	strcpy(big_head + 9019, "\r\n\r\n");
	static const struct {
		const char *name, *status;
	} rows[] = {
	    {"malformed", "HTTP/1.1 400 Bad Request\r\n"},
	    {"a target over 1024 bytes", "HTTP/1.1 414 URI Too Long\r\n"},
	    {"a head over 8 KiB", "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
	    {"HTTP/1.0 without keep-alive", "HTTP/1.1 200 OK\r\n"},
	};
	const char *in[] = {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", long_url, big_head,
			    "GET /old HTTP/1.0\r\n\r\n"};
	for (size_t i = 0; i < 4; i++) {
		void *s = NULL;
		setup(&s);
		struct fixture *f = s;
		int closed;
		const char *got = exchange(f, in[i], sizeof "never", &closed);
		for (int n = 0; n < 100 && !closed; n++)
			got = exchange(f, NULL, sizeof "never" + strlen(got), &closed);
		if (strncmp(got, rows[i].status, strlen(rows[i].status)) != 0 || !closed)
			fail_msg("%s: closed %d, got \"%.60s\"", rows[i].name, closed, got);
		teardown(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keep_alive_and_pipelining, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_deferred_answer, setup, teardown),
	    cmocka_unit_test(test_bad_requests_get_a_4xx_and_a_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
