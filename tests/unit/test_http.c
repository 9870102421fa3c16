/* Upstream responses as a check reads them (Go's rules), redirect targets as Go resolves
 * them, and request routing. The Go verdicts themselves are asserted end to end against
 * Go's net/http in tests/e2e/test_kubelet_diff.py; these pin the reader's details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <llhttp.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "response.h"
#include "routes.h"
#include "url.h"

/* want: the final status, or 0 with a reason starting with why. */
static const struct {
	const char *in;
	int head; /* the request was HEAD */
	int status;
	const char *why;
	const char *body;     /* the body read (up to 10 KiB), when given */
	const char *location; /* the first Location, when given */
} responses[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 200, NULL, "ok", NULL},
    {"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 200, NULL, "ok", NULL}, /* bare LF */
    {"HTTP/1.0 204 No Content\r\nServer: x\r\n\r\n", 0, 204, NULL, "", NULL},
    {"HTTP/1.1 301 Moved\r\nLocation: /x\r\nLocation: /y\r\nContent-Length: 0\r\n\r\n", 0, 301,
     NULL, "", "/x"},
    {"HTTP/1.1 302 F\r\nLocation:\r\n  /a  \r\n\t b \r\n\r\n", 0, 302, NULL, "", "/a b"},
    {"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok", 0, 200, NULL, "ok", NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 0, 200, NULL, "ok",
     NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", 0, 0,
     "invalid HTTP response: conflicting Content-Length", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n"
     "\r\n",
     0, 200, NULL, "ok", NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", 0, 0,
     "invalid HTTP response: unsupported Transfer-Encoding", NULL, NULL},
    {"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", 0, 200, NULL, "ok", NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0,
     "invalid HTTP response: more than one", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nX\001: y\r\n: e\r\nX : y\r\nContent-Length: 2\r\n\r\nok", 0, 200, NULL,
     "ok", NULL},
    {"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", 0, 0, "invalid HTTP response: header line", NULL,
     NULL},
    {"HTTP/1.1 200 OK\r\n\tX: y\r\n\r\n", 0, 0, "invalid HTTP response: header block", NULL, NULL},
    {"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 200, NULL, "ok", NULL},
    {"HTTP/2 200 OK\r\n\r\n", 0, 0, "invalid HTTP response: malformed HTTP version", NULL, NULL},
    {"HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", 0, 99, NULL, "", NULL},
    {"HTTP/1.1 2000 X\r\n\r\n", 0, 0, "invalid HTTP response: malformed status code", NULL, NULL},
    {"HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, NULL, "", NULL},
    {"garbage\r\n\r\n", 0, 0, "invalid HTTP response: malformed status line", NULL, NULL},
    {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 0, 0, "invalid HTTP response (truncated)",
     NULL, NULL},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 200, NULL, "",
     NULL},
    {"HTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\n"
     "HTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
     0, 0, "invalid HTTP response: too many 1xx", NULL, NULL},
    {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 0, 101, NULL, "", NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", 0, 0, "body shorter", NULL, NULL},
    {"HTTP/1.1 200 OK\r\n\r\nuntil the end", 0, 200, NULL, "until the end", NULL},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1, 200, NULL, "", NULL}, /* HEAD */
    {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 1, 0, "invalid HTTP response: bad Content",
     NULL, NULL},
    {"HTTP/1.1 204 OK\r\nContent-Length: x\r\n\r\n", 0, 204, NULL, "", NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n2;a=b\r\n!!\r\n0\r\n"
     "T: x\r\n\r\n",
     0, 200, NULL, "ok!!", NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n", 0, 200, NULL, "ok",
     NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ;x\r\nok\r\n0\r\n\r\n", 0, 0,
     "malformed chunked body: invalid byte", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n", 0, 0,
     "malformed chunked body: no CR LF", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nbad\r\n\r\n", 0, 0,
     "malformed chunked body: malformed trailer", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nT: x\n\r\n", 0, 0,
     "malformed chunked body: malformed trailer", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", 0, 0,
     "malformed chunked body: unexpected end", NULL, NULL},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", 0, 0,
     "malformed chunked body: chunk length too large", NULL, NULL},
    {"", 0, 0, "connection closed without a response", NULL, NULL},
};

/* Feeds in pieces of step bytes (0: whole), then the end of the stream. */
static int
run(size_t i, size_t step, struct response *r)
{
	const char *in = responses[i].in;
	size_t n = strlen(in), off = 0;
	int ev = RESPONSE_MORE;
	response_init(r, responses[i].head);
	assert_int_equal(response_keep(r, 64), 0);
	while (off < n && (ev == RESPONSE_MORE || ev == RESPONSE_HEAD)) {
		size_t take = step && n - off > step ? step : n - off, used = 0;
		ev = response_feed(r, in + off, take, &used);
		off += used;
		if (ev == RESPONSE_HEAD)
			ev = response_body(r, 10240);
	}
	if (ev == RESPONSE_MORE) {
		ev = response_eof(r);
		if (ev == RESPONSE_HEAD && (ev = response_body(r, 10240)) == RESPONSE_MORE)
			ev = response_eof(r);
	}
	return ev;
}

static void
test_responses(void **state)
{
	(void)state;
	static struct response r;
	static const size_t steps[] = {0, 1, 2, 3, 7};
	for (size_t i = 0; i < sizeof responses / sizeof responses[0]; i++) {
		for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
			int ev = run(i, steps[s], &r);
			if (responses[i].why) {
				if (ev != RESPONSE_ERROR || strncmp(r.error, responses[i].why,
								    strlen(responses[i].why)) != 0)
					fail_msg("case %zu step %zu: got %d (%s), want error %s", i,
						 steps[s], ev, ev == RESPONSE_ERROR ? r.error : "-",
						 responses[i].why);
				continue;
			}
			if (ev != RESPONSE_DONE || r.status != responses[i].status)
				fail_msg("case %zu step %zu: got %d status %d (%s)", i, steps[s],
					 ev, r.status, ev == RESPONSE_ERROR ? r.error : "-");
			if (responses[i].body && (r.kept_len != strlen(responses[i].body) ||
						  memcmp(r.kept, responses[i].body, r.kept_len)))
				fail_msg("case %zu step %zu: body '%.*s'", i, steps[s],
					 (int)r.kept_len, r.kept);
			if (responses[i].location &&
			    (!r.location || strcmp(r.location, responses[i].location)))
				fail_msg("case %zu: location '%s'", i,
					 r.location ? r.location : "-");
		}
	}
	response_free(&r);
}

static void
test_response_limits(void **state)
{
	(void)state;
	/* A 64 KiB head streams through in small pieces; nothing of it is kept. */
	struct buf b = {0};
	buf_printf(&b, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 64; i++) {
		buf_printf(&b, "X-%d: ", i);
		for (int j = 0; j < 1000; j++)
			buf_append(&b, "a", 1);
		buf_append(&b, "\r\n", 2);
	}
	buf_printf(&b, "Content-Length: 2\r\n\r\nok");
	struct response r = {0};
	response_init(&r, 0);
	size_t off = 0, used;
	int ev = RESPONSE_MORE;
	while (ev == RESPONSE_MORE && off < b.len) {
		size_t take = b.len - off < 1500 ? b.len - off : 1500;
		ev = response_feed(&r, b.data + off, take, &used);
		off += used;
	}
	assert_int_equal(ev, RESPONSE_HEAD);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.length, 2);
	assert_true(sizeof r < 600); /* the whole state of a response being read */

	/* A body is read up to the limit asked for, then no further. */
	response_init(&r, 0);
	const char *big = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
	ev = response_feed(&r, big, strlen(big), &used);
	assert_int_equal(ev, RESPONSE_HEAD);
	assert_int_equal(response_body(&r, 4), RESPONSE_MORE);
	ev = response_feed(&r, big + used, strlen(big) - used, &used);
	assert_int_equal(ev, RESPONSE_DONE);
	assert_int_equal(used, 4);

	/* A head past 10 MiB fails. */
	response_init(&r, 0);
	char chunk[4096];
	memset(chunk, 'a', sizeof chunk);
	ev = response_feed(&r, "HTTP/1.1 200 OK\r\nX: ", 20, &used);
	for (size_t total = 0; ev == RESPONSE_MORE && total < 11 * 1024 * 1024;
	     total += sizeof chunk)
		ev = response_feed(&r, chunk, sizeof chunk, &used);
	assert_int_equal(ev, RESPONSE_ERROR);
	response_free(&r);
	buf_free(&b);
}

static void
test_redirect_targets(void **state)
{
	(void)state;
	struct url base = {.scheme = "http",
			   .hostname = "app",
			   .port = 8080,
			   .authority = "app:8080",
			   .target = "/a/b/c?x=1"};
	static const struct {
		const char *ref, *scheme, *hostname;
		int port;
		const char *authority, *target, *why;
	} cases[] = {
	    {"/x", "http", "app", 8080, "app:8080", "/x", NULL},
	    {"d", "http", "app", 8080, "app:8080", "/a/b/d", NULL},
	    {"../d?y", "http", "app", 8080, "app:8080", "/a/d?y", NULL},
	    {"", "http", "app", 8080, "app:8080", "/a/b/c?x=1", NULL},
	    {"?q", "http", "app", 8080, "app:8080", "/a/b/c?q", NULL},
	    {".", "http", "app", 8080, "app:8080", "/a/b/", NULL},
	    {"../../../../x", "http", "app", 8080, "app:8080", "/x", NULL},
	    {"//other/x", "http", "other", 80, "other", "/x", NULL},
	    {"//", "http", "", 80, "", "/", NULL}, /* found by fuzz_url */
	    {"https://app/", "https", "app", 443, "app", "/", NULL},
	    {"HTTPS://app:9443", "https", "app", 9443, "app:9443", "/", NULL},
	    {"http://[::1]:81/p", "http", "::1", 81, "[::1]:81", "/p", NULL},
	    {"http://App/", "http", "App", 80, "App", "/", NULL},
	    {"/a b", "http", "app", 8080, "app:8080", "/a%20b", NULL},
	    {"/%41", "http", "app", 8080, "app:8080", "/%41", NULL},
	    {"/x#frag", "http", "app", 8080, "app:8080", "/x", NULL},
	    {"ftp://app/x", "ftp", "app", 0, "app", "/x", NULL},
	    {"mailto:x@y", "mailto", "", 0, "", "/", NULL},
	    {"/%zz", NULL, NULL, 0, NULL, NULL, "invalid URL escape"},
	    {"/a\tb", NULL, NULL, 0, NULL, NULL, "invalid control character"},
	    {":x", NULL, NULL, 0, NULL, NULL, "missing protocol scheme"},
	    {"a:b/c", "a", "", 0, "", "/", NULL},
	    {"http://app:x/", NULL, NULL, 0, NULL, NULL, "invalid port"},
	    {"http://[::1/", NULL, NULL, 0, NULL, NULL, "missing ']'"},
	    {"http://a b/", NULL, NULL, 0, NULL, NULL, "invalid character in host"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct url u;
		char err[80];
		int rc =
		    url_resolve(&base, cases[i].ref, strlen(cases[i].ref), &u, err, sizeof err);
		if (cases[i].why) {
			if (rc == 0 || !strstr(err, cases[i].why))
				fail_msg("case %zu '%s': want error %s", i, cases[i].ref,
					 cases[i].why);
			continue;
		}
		if (rc < 0)
			fail_msg("case %zu '%s': %s", i, cases[i].ref, err);
		if (strcmp(u.scheme, cases[i].scheme) || strcmp(u.hostname, cases[i].hostname) ||
		    u.port != cases[i].port || strcmp(u.authority, cases[i].authority) ||
		    strcmp(u.target, cases[i].target))
			fail_msg("case %zu '%s': got %s %s %u %s %s", i, cases[i].ref, u.scheme,
				 u.hostname, u.port, u.authority, u.target);
		url_free(&u);
	}
}

static void
test_accept(void **state)
{
	(void)state;
	static const struct {
		const char *accept;
		int json;
	} cases[] = {
	    {"", 0},
	    {"*/*", 0},
	    {"application/json", 1},
	    {"application/health+json", 1},
	    {"Application/JSON", 1},
	    {"application/jsonl", 0},
	    {"application/json;q=0", 0},
	    {"application/json; q=0.000", 0},
	    {"application/json;q=0.001", 1},
	    {"text/html, application/json;q=0.9", 1},
	    {"text/plain, application/json;q=0.9", 0},
	    {"text/plain;q=0.5, application/json;q=0.9", 1},
	    {"text/*;q=0.9, application/json;q=0.9", 1},
	    {"application/json, */*;q=0.1", 1},
	    {"application/xml", 0},
	    {"x/application/json", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (routes_accepts_json(cases[i].accept) != cases[i].json)
			fail_msg("'%s': want %d", cases[i].accept, cases[i].json);
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
	    {"/all/a+b", ROUTE_ONE},     {"/readyz/x", ROUTE_ONE},   {"/metrics", ROUTE_METRICS},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *name = NULL;
		size_t len = 0;
		assert_int_equal(routes_match(cases[i].path, strlen(cases[i].path), &name, &len),
				 cases[i].want);
	}
	assert_true(routes_method_allowed(REQUEST_GET));
	assert_true(routes_method_allowed(REQUEST_HEAD));
	assert_false(routes_method_allowed(REQUEST_CONNECT));
	assert_false(routes_method_allowed(REQUEST_OTHER));

	/* '+' is a '+' in a query too; a value too long for the buffer is emptied. */
	const char *q = "exclude=a+b&x=%2B&&verbose&long=0123456789";
	size_t len = strlen(q);
	char key[8], val[8];
	assert_int_equal(routes_next_param(&q, &len, key, val, sizeof key), 1);
	assert_string_equal(key, "exclude");
	assert_string_equal(val, "a+b");
	assert_int_equal(routes_next_param(&q, &len, key, val, sizeof key), 1);
	assert_string_equal(val, "+");
	assert_int_equal(routes_next_param(&q, &len, key, val, sizeof key), 1);
	assert_string_equal(key, "verbose");
	assert_int_equal(routes_next_param(&q, &len, key, val, sizeof key), 1);
	assert_string_equal(val, "");
	assert_int_equal(routes_next_param(&q, &len, key, val, sizeof key), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_responses),        cmocka_unit_test(test_response_limits),
	    cmocka_unit_test(test_redirect_targets), cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
