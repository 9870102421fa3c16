/* Upstream responses as a check reads them, and request routing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <llhttp.h>
#include <stdlib.h>
#include <string.h>

#include "check_http.h"
#include "routes.h"

static const struct {
	const char *in;
	int want; /* status, -1 malformed, -2 incomplete */
} responses[] = {
    {"HTTP/1.1 200 OK\r\n\r\n", 200},
    {"HTTP/1.0 204 No Content\r\nServer: x\r\n\r\n", 204},
    {"HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", 301},
    {"HTTP/1.1 399 Whatever\r\n\r\n", 399},
    {"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", 404},
    {"HTTP/1.1 500 Internal Server Error\r\n\r\n", 500},
    {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\npartial", 503},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", 200},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 200},
    {"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 503 Nope\r\n\r\n", 503},
    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", 101},
    {"HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", 200},
    {"HTTP/1.1 200 OK\r\n", -2},
    {"HTTP/1.1 200", -2},
    {"", -2},
    {"HTTP/1.1 200 OK\r\nContent-", -2},
    {"garbage\r\n\r\n", -1},
    {"SSH-2.0-OpenSSH_9.2\r\n", -1},
    {"HTTP/2 200\r\n\r\n", -1},
    {"HTTP/2.0 200 OK\r\n\r\n", -1},
    {"HTTP/1.1 abc OK\r\n\r\n", -1},
    {"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", -1},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", -1},
};

static void
test_response_whole(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++) {
		struct http_resp r = {0};
		http_resp_init(&r);
		int got = http_resp_feed(&r, responses[i].in, strlen(responses[i].in));
		if (got != responses[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, responses[i].want);
	}
}

static void
test_response_byte_at_a_time(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++) {
		struct http_resp r = {0};
		http_resp_init(&r);
		int got = -2;
		size_t len = strlen(responses[i].in);
		for (size_t j = 0; j < len && got == -2; j++)
			got = http_resp_feed(&r, responses[i].in + j, 1);
		if (got != responses[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, responses[i].want);
	}
}

static void
test_response_head_limit(void **state)
{
	(void)state;
	/* A status line or header that never ends is cut off at the limit. */
	size_t len = HTTP_RESP_HEAD_MAX + 100;
	char *big = malloc(len);
	assert_non_null(big);
	memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
	memset(big + 24, 'a', len - 24);
	struct http_resp r = {0};
	http_resp_init(&r);
	assert_int_equal(http_resp_feed(&r, big, len), -1);

	/* The same in small pieces: incomplete until the limit, then malformed. */
	http_resp_init(&r);
	int got = -2;
	size_t off = 0;
	while (got == -2 && off < len) {
		size_t n = len - off < 1000 ? len - off : 1000;
		got = http_resp_feed(&r, big + off, n);
		off += n;
	}
	assert_int_equal(got, -1);
	assert_true(off > HTTP_RESP_HEAD_MAX);

	/* A head just under the limit still parses. */
	size_t ok_len = HTTP_RESP_HEAD_MAX - 4;
	memcpy(big + ok_len - 4, "\r\n\r\n", 4);
	http_resp_init(&r);
	assert_int_equal(http_resp_feed(&r, big, ok_len), 200);
	free(big);
}

static void
test_routes(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		enum route want;
	} cases[] = {
	    {"/self", ROUTE_SELF},       {"/all", ROUTE_ALL},        {"/", ROUTE_NOT_FOUND},
	    {"/self/", ROUTE_NOT_FOUND}, {"/alll", ROUTE_NOT_FOUND}, {"/SELF", ROUTE_NOT_FOUND},
	    {"", ROUTE_NOT_FOUND},       {"/al", ROUTE_NOT_FOUND},   {"//all", ROUTE_NOT_FOUND},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *name = NULL;
		size_t len = 0;
		assert_int_equal(routes_match(cases[i].path, strlen(cases[i].path), &name, &len),
				 cases[i].want);
	}
	assert_true(routes_method_allowed(HTTP_GET));
	assert_true(routes_method_allowed(HTTP_HEAD));
	assert_false(routes_method_allowed(HTTP_POST));
	assert_false(routes_method_allowed(HTTP_OPTIONS));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_response_whole),
	    cmocka_unit_test(test_response_byte_at_a_time),
	    cmocka_unit_test(test_response_head_limit),
	    cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
