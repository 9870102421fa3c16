/* request.c: a request head read whole, byte by byte and pipelined; its limits and the
 * status each broken rule answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "request.h"

static void
count_begin(void *arg)
{
	if (arg)
		++*(int *)arg;
}

/* A reader that counts the requests begun in *begun (when not NULL). */
static struct request_reader *
reader(int *begun)
{
	struct request_reader *r = aligned_alloc(16, (request_reader_size() + 15) / 16 * 16);
	assert_non_null(r);
	memset(r, 0xa5, request_reader_size()); /* the owner's bytes need not be zero */
	request_init(r, count_begin, begun);
	return r;
}

/* Feeds s in pieces of step bytes; returns the result of the last feed and the bytes used
 * in all. */
static enum request_result
feed(struct request_reader *r, const char *s, size_t step, size_t *used)
{
	size_t len = strlen(s), at = 0;
	enum request_result res = REQUEST_MORE;
	while (at < len && res == REQUEST_MORE) {
		size_t n = len - at < step ? len - at : step, u = 0;
		res = request_feed(r, s + at, n, &u);
		at += u;
	}
	*used = at;
	return res;
}

static void
test_a_head_whole_and_byte_by_byte(void **state)
{
	(void)state;
	static const char head[] = "GET /all/db?verbose&exclude=x HTTP/1.1\r\nHost: a\r\n"
				   "Accept: application/json\r\n\r\n";
	for (size_t step = 1; step <= sizeof head; step += sizeof head - 2) {
		int begun = 0;
		struct request_reader *r = reader(&begun);
		size_t used;
		assert_int_equal(feed(r, head, step, &used), REQUEST_COMPLETE);
		assert_int_equal(used, strlen(head));
		assert_int_equal(begun, 1);
		struct request q;
		request_get(r, &q);
		assert_int_equal(q.method, REQUEST_GET);
		assert_memory_equal(q.path, "/all/db", q.path_len);
		assert_int_equal(q.path_len, 7);
		assert_non_null(q.query);
		assert_memory_equal(q.query, "verbose&exclude=x", q.query_len);
		assert_string_equal(q.accept, "application/json");
		assert_true(q.keep_alive);
		assert_false(q.http10);
		request_done(r);
		free(r);
	}
}

static void
test_pipelined_requests_stop_after_each(void **state)
{
	(void)state;
	static const char two[] = "HEAD /self HTTP/1.1\r\nHost: a\r\n\r\n"
				  "GET /metrics HTTP/1.0\r\n\r\n";
	size_t first = strlen("HEAD /self HTTP/1.1\r\nHost: a\r\n\r\n"), used = 0;
	struct request_reader *r = reader(NULL);
	assert_int_equal(request_feed(r, two, strlen(two), &used), REQUEST_COMPLETE);
	assert_int_equal(used, first);
	struct request q;
	request_get(r, &q);
	assert_int_equal(q.method, REQUEST_HEAD);
	assert_null(q.query);
	assert_string_equal(q.accept, "");
	request_done(r);
	assert_int_equal(request_feed(r, two + first, strlen(two) - first, &used),
			 REQUEST_COMPLETE);
	request_get(r, &q);
	assert_int_equal(q.method, REQUEST_GET);
	assert_memory_equal(q.path, "/metrics", q.path_len);
	assert_true(q.http10);
	assert_false(q.keep_alive); /* HTTP/1.0 without keep-alive */
	request_done(r);
	free(r);
}

static char *
repeat(const char *before, char c, size_t n, const char *after)
{
	size_t b = strlen(before), a = strlen(after);
	char *s = malloc(b + n + a + 1);
	assert_non_null(s);
	memcpy(s, before, b);
	memset(s + b, c, n);
	memcpy(s + b + n, after, a + 1);
	return s;
}

static void
test_limits_and_malformed_heads(void **state)
{
	(void)state;
	struct {
		char *head;
		int status;
	} cases[] = {
	    {repeat("GET /", 'a', REQUEST_URL_MAX, " HTTP/1.1\r\n\r\n"), 414},
	    {repeat("GET / HTTP/1.1\r\nX: ", 'b', REQUEST_HEAD_MAX, "\r\n\r\n"), 431},
	    {repeat("GET / HTTP/1.1\r\nAccept: ", 'c', REQUEST_ACCEPT_MAX * 4, "\r\n\r\n"), 0},
	    {repeat("GET / HTTP/1.1\r\nContent-Length: x", ' ', 0, "\r\n\r\n"), 400},
	    {repeat("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1", ' ', 0,
		    "\r\n\r\n"),
	     400},
	    {repeat("GET / HTTP/9.9", ' ', 0, "\r\n\r\n"), 400},
	    {repeat("\x01GET /", ' ', 0, " HTTP/1.1\r\n\r\n"), 400},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct request_reader *r = reader(NULL);
		size_t used;
		enum request_result res = feed(r, cases[i].head, 1000, &used);
		if (cases[i].status) {
			assert_int_equal(res, REQUEST_ERROR);
			assert_int_equal(request_error_status(r), cases[i].status);
		} else {
			/* Accept is kept up to its limit, the rest dropped. */
			assert_int_equal(res, REQUEST_COMPLETE);
			struct request q;
			request_get(r, &q);
			assert_true(strlen(q.accept) < REQUEST_ACCEPT_MAX);
			assert_true(strlen(q.accept) > 0 && q.accept[0] == 'c');
		}
		request_done(r); /* after an error too: the owner lets go of the reader */
		free(r);
		free(cases[i].head);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_head_whole_and_byte_by_byte),
	    cmocka_unit_test(test_pipelined_requests_stop_after_each),
	    cmocka_unit_test(test_limits_and_malformed_heads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
