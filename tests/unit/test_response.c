/* response.c: upstream responses as a check reads them, with Go's client's rules. The
 * verdicts themselves are asserted end to end against Go's net/http in
 * tests/e2e/test_kubelet_diff.py; these pin the reader's details. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "response.h"

#include "url.h"

/* want: the final status, or 0 with a reason starting with why. */
static const struct {
	const char *name;
	const char *in;
	int head; /* the request was HEAD */
	int status;
	const char *why;
	const char *body;     /* the body read (up to 10 KiB), when given */
	const char *location; /* the first Location, when given */
} responses[] = {
    {.name = "CRLF and a Content-Length",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "bare LF",
     .in = "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
     .status = 200,
     .body = "ok"},
    {.name = "HTTP/1.0 204 without a length",
     .in = "HTTP/1.0 204 No Content\r\nServer: x\r\n\r\n",
     .status = 204,
     .body = ""},
    {.name = "two Locations: the first counts",
     .in = "HTTP/1.1 301 Moved\r\nLocation: /x\r\nLocation: /y\r\nContent-Length: 0\r\n\r\n",
     .status = 301,
     .body = "",
     .location = "/x"},
    {.name = "a Location folded over lines",
     .in = "HTTP/1.1 302 F\r\nLocation:\r\n  /a  \r\n\t b \r\n\r\n",
     .status = 302,
     .body = "",
     .location = "/a b"},
    {.name = "obsolete line folding",
     .in = "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "the same Content-Length twice",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "conflicting Content-Lengths",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
     .why = "invalid HTTP response: conflicting Content-Length"},
    {.name = "chunked wins over Content-Length",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
	   "9\r\n\r\n2\r\nok\r\n0\r\n"
	   "\r\n",
     .status = 200,
     .body = "ok"},
    {.name = "gzip Transfer-Encoding on 1.1",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
     .why = "invalid HTTP response: unsupported Transfer-Encoding"},
    {.name = "Transfer-Encoding ignored on 1.0",
     .in = "HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "Transfer-Encoding twice",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
     .why = "invalid HTTP response: more than one"},
    /* Header names and values as Go 1.24's textproto reads them (Go 1.19 kept them). */
    {.name = "a space in a header name, kept as Go keeps it",
     .in = "HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "a control byte in a header name",
     .in = "HTTP/1.1 200 OK\r\nX\001: y\r\nContent-Length: 2\r\n\r\nok",
     .why = "invalid HTTP response: malformed header line"},
    {.name = "an empty header name",
     .in = "HTTP/1.1 200 OK\r\n: e\r\nContent-Length: 2\r\n\r\nok",
     .why = "invalid HTTP response: malformed header line"},
    {.name = "a control byte in a header value",
     .in = "HTTP/1.1 200 OK\r\nX: a\001b\r\nContent-Length: 2\r\n\r\nok",
     .why = "invalid HTTP response: malformed header line"},
    {.name = "HTAB and obs-text in a header value",
     .in = "HTTP/1.1 200 OK\r\nX: a\tb\xe9\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "a header line without a colon",
     .in = "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
     .why = "invalid HTTP response: header line"},
    {.name = "a head starting with a blank",
     .in = "HTTP/1.1 200 OK\r\n\tX: y\r\n\r\n",
     .why = "invalid HTTP response: header block"},
    {.name = "HTTP/2.0 in text",
     .in = "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
     .status = 200,
     .body = "ok"},
    {.name = "HTTP/2 without a minor version",
     .in = "HTTP/2 200 OK\r\n\r\n",
     .why = "invalid HTTP response: malformed HTTP version"},
    {.name = "status 099",
     .in = "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n",
     .status = 99,
     .body = ""},
    {.name = "a four-digit status",
     .in = "HTTP/1.1 2000 X\r\n\r\n",
     .why = "invalid HTTP response: malformed status code"},
    {.name = "two spaces before the status",
     .in = "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
     .status = 200,
     .body = ""},
    {.name = "a garbage status line",
     .in = "garbage\r\n\r\n",
     .why = "invalid HTTP response: malformed status line"},
    {.name = "a TLS record",
     .in = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
     .why = "invalid HTTP response (truncated)"},
    {.name = "100 Continue, then the answer",
     .in = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
     .status = 200,
     .body = ""},
    {.name = "six 1xx (Go 1.24 takes any number; Go 1.19 stopped at five)",
     .in =
	 "HTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\n"
	 "HTTP/1.1 100 C\r\n\r\nHTTP/1.1 100 C\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
     .status = 200,
     .body = ""},
    /* A 1xx answer's framing headers are checked too (Go's readTransfer). */
    {.name = "a 1xx with a bad Content-Length",
     .in =
	 "HTTP/1.1 100 C\r\nContent-Length: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
     .why = "invalid HTTP response: bad Content-Length"},
    {.name = "a 1xx with Transfer-Encoding: gzip",
     .in = "HTTP/1.1 103 E\r\nTransfer-Encoding: gzip\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
	   "0\r\n\r\n",
     .why = "invalid HTTP response: unsupported Transfer-Encoding"},
    {.name = "101 without a switch",
     .in = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
     .status = 101,
     .body = ""},
    {.name = "a body shorter than its length",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok",
     .why = "body shorter"},
    {.name = "a body until the close",
     .in = "HTTP/1.1 200 OK\r\n\r\nuntil the end",
     .status = 200,
     .body = "until the end"},
    {.name = "HEAD with a length",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
     .head = 1,
     .status = 200,
     .body = ""},
    {.name = "HEAD with a bad Content-Length",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
     .head = 1,
     .why = "invalid HTTP response: bad Content"},
    /* Go 1.22 and later check a Content-Length before anything decides if it counts. */
    {.name = "204 with a bad Content-Length",
     .in = "HTTP/1.1 204 OK\r\nContent-Length: x\r\n\r\n",
     .why = "invalid HTTP response: bad Content-Length"},
    {.name = "an empty Content-Length",
     .in = "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok",
     .why = "invalid HTTP response: bad Content-Length"},
    {.name = "chunked with a bad Content-Length",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: "
	   "x\r\n\r\n2\r\nok\r\n0\r\n\r\n",
     .why = "invalid HTTP response: bad Content-Length"},
    {.name = "chunk extensions and a trailer",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n2;a=b\r\n!!\r\n0\r\n"
	   "T: x\r\n\r\n",
     .status = 200,
     .body = "ok!!"},
    /* A chunk line ends in CR LF alone (Go 1.24's readChunkLine). */
    {.name = "a chunk size line with a bare LF",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n",
     .why = "malformed chunked body: chunked line ends with bare LF"},
    {.name = "a CR inside a chunk size line",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r;x\r\nok\r\n0\r\n\r\n",
     .why = "malformed chunked body: invalid CR in chunked line"},
    {.name = "a space, then an extension, in a chunk size",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ;x\r\nok\r\n0\r\n\r\n",
     .why = "malformed chunked body: invalid byte"},
    {.name = "chunk data without CR LF",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
     .why = "malformed chunked body: no CR LF"},
    {.name = "a trailer without a colon",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nbad\r\n\r\n",
     .why = "malformed chunked body: malformed trailer"},
    {.name = "a trailer ending in a bare LF",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nT: x\n\r\n",
     .why = "malformed chunked body: malformed trailer"},
    {.name = "chunked, cut short",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n",
     .why = "malformed chunked body: unexpected end"},
    {.name = "a chunk size too large",
     .in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
     .why = "malformed chunked body: chunk length too large"},
    {.name = "an empty stream", .in = "", .why = "connection closed without a response"},
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
					fail_msg("%s, step %zu: got %d (%s), want error %s",
						 responses[i].name, steps[s], ev,
						 ev == RESPONSE_ERROR ? r.error : "-",
						 responses[i].why);
				continue;
			}
			if (ev != RESPONSE_DONE || r.status != responses[i].status)
				fail_msg("%s, step %zu: got %d status %d (%s)", responses[i].name,
					 steps[s], ev, r.status,
					 ev == RESPONSE_ERROR ? r.error : "-");
			if (responses[i].body && (r.kept_len != strlen(responses[i].body) ||
						  memcmp(r.kept, responses[i].body, r.kept_len)))
				fail_msg("%s, step %zu: body '%.*s'", responses[i].name, steps[s],
					 (int)r.kept_len, r.kept);
			if (responses[i].location &&
			    (!r.location || strcmp(r.location, responses[i].location)))
				fail_msg("%s: location '%s'", responses[i].name,
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_responses),
	    cmocka_unit_test(test_response_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
