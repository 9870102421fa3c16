/* h2.c: the HTTP/2 client framing for one stream, frame by frame and byte by byte. The
 * same code meets real servers (grpc-go, grpcio, nginx) in tests/e2e. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "h2.h"

enum {
	DATA = 0,
	HEADERS = 1,
	RST_STREAM = 3,
	SETTINGS = 4,
	PUSH_PROMISE = 5,
	PING = 6,
	GOAWAY = 7,
	CONTINUATION = 9
};
enum { END_STREAM = 1, ACK = 1, END_HEADERS = 4, PADDED = 8 };

static void
frame(struct buf *b, int type, int flags, uint32_t stream, const void *p, size_t n)
{
	unsigned char head[9] = {(unsigned char)(n >> 16),
				 (unsigned char)(n >> 8),
				 (unsigned char)n,
				 (unsigned char)type,
				 (unsigned char)flags,
				 (unsigned char)(stream >> 24),
				 (unsigned char)(stream >> 16),
				 (unsigned char)(stream >> 8),
				 (unsigned char)stream};
	buf_append(b, head, 9);
	buf_append(b, p, n);
}

/* A header block of fields, as a server would send it. */
static void
headers(struct buf *b, int flags, const struct h2_field *f, size_t n)
{
	struct buf block = {0};
	assert_int_equal(h2_encode_headers(f, n, &block), 0);
	frame(b, HEADERS, flags | END_HEADERS, 1, block.data, block.len);
	buf_free(&block);
}

/* What the handler saw. */
static struct {
	char fields[1024];
	char data[64];
	size_t data_len;
	int trailer_fields, blocks, last_end_stream;
} seen;

static void
on_field(void *arg, const struct h2_field *f, int trailers)
{
	(void)arg;
	size_t n = strlen(seen.fields);
	snprintf(seen.fields + n, sizeof seen.fields - n, "%.*s=%.*s;", (int)f->name_len, f->name,
		 (int)f->value_len, f->value);
	seen.trailer_fields += trailers;
}

static int
on_data(void *arg, const char *p, size_t n)
{
	(void)arg;
	if (seen.data_len + n > sizeof seen.data)
		return -1;
	memcpy(seen.data + seen.data_len, p, n);
	seen.data_len += n;
	return 0;
}

static const char *
on_block_end(void *arg, int end_stream)
{
	(void)arg;
	seen.blocks++;
	seen.last_end_stream = end_stream;
	return NULL;
}

static const struct h2_handler handler = {
    .field = on_field, .data = on_data, .block_end = on_block_end};

static struct h2 *
client(void)
{
	memset(&seen, 0, sizeof seen);
	struct h2 *h = h2_new(&handler, "\x82", 1, "body", 4);
	assert_non_null(h);
	return h;
}

/* Everything the client has queued, taken. */
static void
drain(struct h2 *h, struct buf *out)
{
	size_t len;
	const char *p;
	while ((p = h2_output(h, &len))) {
		buf_append(out, p, len);
		h2_sent(h, len);
	}
}

/* Feeds in, in pieces of step bytes (0: at once). Returns the last event. */
static int
feed(struct h2 *h, const struct buf *in, size_t step)
{
	int ev = H2_MORE;
	for (size_t off = 0; off < in->len && ev == H2_MORE;) {
		size_t n = step && in->len - off > step ? step : in->len - off;
		ev = h2_feed(h, in->data + off, n);
		off += n;
	}
	return ev;
}

static void
test_client_first_bytes(void **state)
{
	(void)state;
	struct h2 *h = client();
	struct buf out = {0};
	drain(h, &out);
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	assert_true(out.len > 24 + 9);
	assert_memory_equal(out.data, preface, 24);
	/* Then frames: SETTINGS on stream 0, HEADERS on 1 (not ending it), DATA ending it. */
	const unsigned char *p = (const unsigned char *)out.data + 24;
	size_t left = out.len - 24;
	static const struct {
		int type, flags;
		uint32_t stream;
	} want[] = {{SETTINGS, 0, 0}, {HEADERS, END_HEADERS, 1}, {DATA, END_STREAM, 1}};
	for (size_t i = 0; i < 3; i++) {
		assert_true(left >= 9);
		size_t n = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
		uint32_t stream = (uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | p[7] << 8 | p[8];
		if (p[3] != want[i].type || p[4] != want[i].flags || stream != want[i].stream)
			fail_msg("frame %zu: type %d flags %d stream %u", i, p[3], p[4], stream);
		if (p[3] == DATA)
			assert_memory_equal(p + 9, "body", 4);
		p += 9 + n;
		left -= 9 + n;
	}
	assert_int_equal(left, 0);
	assert_false(h2_established(h));
	buf_free(&out);
	h2_free(h);
}

static void
test_settings_and_ping_are_acknowledged(void **state)
{
	(void)state;
	struct h2 *h = client();
	struct buf junk = {0}, in = {0}, out = {0};
	drain(h, &junk);
	frame(&in, SETTINGS, 0, 0, "", 0);
	frame(&in, PING, 0, 0, "12345678", 8);
	frame(&in, SETTINGS, ACK, 0, "", 0);
	assert_int_equal(feed(h, &in, 0), H2_MORE);
	assert_true(h2_established(h));
	drain(h, &out);
	struct buf want = {0};
	frame(&want, SETTINGS, ACK, 0, "", 0);
	frame(&want, PING, ACK, 0, "12345678", 8);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	buf_free(&junk);
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
	h2_free(h);
}

/* A gRPC answer: HEADERS, DATA (padded), trailers ending the stream; whole or a byte at
 * a time, the handler sees the same. */
static void
test_a_whole_answer(void **state)
{
	(void)state;
	static const struct h2_field head[] = {H2_FIELD(":status", "200"),
					       H2_FIELD("content-type", "application/grpc")};
	static const struct h2_field trailers[] = {H2_FIELD("grpc-status", "0")};
	struct buf in = {0};
	frame(&in, SETTINGS, 0, 0, "", 0);
	headers(&in, 0, head, 2);
	frame(&in, DATA, PADDED, 1, "\x03okay\0\0\0", 8); /* 3 bytes of padding */
	headers(&in, END_STREAM, trailers, 1);
	static const size_t steps[] = {0, 1, 5};
	for (size_t s = 0; s < 3; s++) {
		struct h2 *h = client();
		if (feed(h, &in, steps[s]) != H2_END)
			fail_msg("step %zu: %s", steps[s], h2_error(h));
		assert_string_equal(seen.fields,
				    ":status=200;content-type=application/grpc;grpc-status=0;");
		assert_int_equal(seen.trailer_fields, 1);
		assert_int_equal(seen.data_len, 4);
		assert_memory_equal(seen.data, "okay", 4);
		assert_int_equal(seen.blocks, 2);
		assert_true(seen.last_end_stream);
		h2_free(h);
	}
	buf_free(&in);
}

/* Request fields: names go out in lower case (RFC 9113 section 8.2.1), a "Name: value"
 * line splits at its colon without the blanks after it. */
static void
test_request_fields(void **state)
{
	(void)state;
	struct h2_field h = h2_header("X-Token: \t a b ");
	assert_int_equal(h.name_len, 7);
	assert_memory_equal(h.name, "X-Token", 7);
	assert_string_equal(h.value, "a b ");
	static const struct h2_field fields[] = {H2_FIELD(":status", "200"),
						 H2_FIELD("X-Upper", "Value")};
	struct buf in = {0};
	frame(&in, SETTINGS, 0, 0, "", 0);
	headers(&in, END_STREAM, fields, 2);
	struct h2 *c = client();
	assert_int_equal(feed(c, &in, 0), H2_END);
	assert_string_equal(seen.fields, ":status=200;x-upper=Value;");
	buf_free(&in);
	h2_free(c);
	/* The block itself: each field a literal without indexing, lengths as HPACK
	 * integers with a 7-bit prefix, the name in lower case. */
	struct buf block = {0};
	assert_int_equal(h2_encode_headers(&fields[1], 1, &block), 0);
	assert_int_equal(block.len, 15);
	assert_memory_equal(block.data, "\x00\x07x-upper\x05Value", 15);
	buf_free(&block);
	/* Lengths at and past the prefix's 127, as nghttp2's decoder reads them back. */
	static char values[3][301];
	static const size_t lens[3] = {126, 127, 300};
	struct h2_field longer[4] = {H2_FIELD(":status", "200")};
	for (size_t i = 0; i < 3; i++) {
		memset(values[i], 'a' + (int)i, lens[i]);
		longer[i + 1] = (struct h2_field){"v", values[i], 1, lens[i]};
	}
	frame(&in, SETTINGS, 0, 0, "", 0);
	headers(&in, END_STREAM, longer, 4);
	c = client();
	assert_int_equal(feed(c, &in, 0), H2_END);
	char want[1024];
	snprintf(want, sizeof want, ":status=200;v=%s;v=%s;v=%s;", values[0], values[1], values[2]);
	assert_string_equal(seen.fields, want);
	buf_free(&in);
	h2_free(c);
}

static void
test_refusals(void **state)
{
	(void)state;
	static const char big[16385];
	static const struct {
		const char *name;
		int type, flags;
		uint32_t stream;
		const char *payload;
		size_t len;
		int settings_first;
		const char *why;
	} rows[] = {
	    {.name = "HTTP/1.x instead",
	     .payload = NULL,
	     .why = "not an HTTP/2 server: it answered HTTP/1.x"},
	    {.name = "not SETTINGS first",
	     .type = PING,
	     .payload = "12345678",
	     .len = 8,
	     .why = "not an HTTP/2 server: no SETTINGS frame first"},
	    {.name = "a frame over 16384 bytes",
	     .type = DATA,
	     .stream = 1,
	     .payload = big,
	     .len = sizeof big,
	     .settings_first = 1,
	     .why = "HTTP/2: frame larger than 16384 bytes (FRAME_SIZE_ERROR)"},
	    {.name = "PUSH_PROMISE",
	     .type = PUSH_PROMISE,
	     .flags = END_HEADERS,
	     .stream = 1,
	     .payload = "\0\0\0\2",
	     .len = 4,
	     .settings_first = 1,
	     .why = "HTTP/2: PUSH_PROMISE though push was disabled (PROTOCOL_ERROR)"},
	    {.name = "CONTINUATION alone",
	     .type = CONTINUATION,
	     .flags = END_HEADERS,
	     .stream = 1,
	     .payload = "",
	     .settings_first = 1,
	     .why = "HTTP/2: CONTINUATION without HEADERS (PROTOCOL_ERROR)"},
	    {.name = "RST_STREAM",
	     .type = RST_STREAM,
	     .stream = 1,
	     .payload = "\0\0\0\x07",
	     .len = 4,
	     .settings_first = 1,
	     .why = "HTTP/2: the server reset the stream (REFUSED_STREAM)"},
	    {.name = "GOAWAY before stream 1",
	     .type = GOAWAY,
	     .payload = "\0\0\0\0\0\0\0\x0b",
	     .len = 8,
	     .settings_first = 1,
	     .why = "HTTP/2: the server went away (GOAWAY ENHANCE_YOUR_CALM)"},
	    {.name = "a PRIORITY of 4 bytes",
	     .type = 2,
	     .stream = 1,
	     .payload = "\0\0\0\0",
	     .len = 4,
	     .settings_first = 1,
	     .why = "HTTP/2: malformed PRIORITY frame"},
	    {.name = "a PRIORITY_UPDATE on a stream",
	     .type = 0x10,
	     .stream = 1,
	     .payload = "\0\0\0\1",
	     .len = 4,
	     .settings_first = 1,
	     .why = "HTTP/2: malformed PRIORITY_UPDATE frame"},
	    {.name = "a PRIORITY_UPDATE of 3 bytes",
	     .type = 0x10,
	     .payload = "\0\0\1",
	     .len = 3,
	     .settings_first = 1,
	     .why = "HTTP/2: malformed PRIORITY_UPDATE frame"},
	    {.name = "a PRIORITY_UPDATE of stream 0",
	     .type = 0x10,
	     .payload = "\x80\0\0\0u=1",
	     .len = 7,
	     .settings_first = 1,
	     .why = "HTTP/2: PRIORITY_UPDATE of stream 0 (PROTOCOL_ERROR)"},
	    {.name = "a malformed PING",
	     .type = PING,
	     .payload = "1234",
	     .len = 4,
	     .settings_first = 1,
	     .why = "HTTP/2: malformed PING frame"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct h2 *h = client();
		struct buf in = {0};
		if (rows[i].settings_first)
			frame(&in, SETTINGS, 0, 0, "", 0);
		if (rows[i].payload)
			frame(&in, rows[i].type, rows[i].flags, rows[i].stream, rows[i].payload,
			      rows[i].len);
		else
			buf_append(&in, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
		if (feed(h, &in, 0) != H2_ERROR || strcmp(h2_error(h), rows[i].why) != 0)
			fail_msg("%s: got \"%s\"", rows[i].name, h2_error(h));
		buf_free(&in);
		h2_free(h);
	}
}

/* SETTINGS values, each read as its six bytes complete, in pieces of any size: out of
 * range fails with checks_settings (the HTTP kind, as x/net's Transport), passes without
 * (gRPC, as grpc-go); in range passes either way. */
static void
test_settings_values(void **state)
{
	(void)state;
	static const unsigned char in_range[] = {
	    0,    2,    0, 0, 0, 1, 0, 5, 0, 0xff, 0xff, 0xff, 0,    4,   0x7f, 0xff,
	    0xff, 0xff, 0, 8, 0, 0, 0, 0, 1, 5,    0xff, 0xff, 0xff, 0xff /* unknown: any value */};
	static const unsigned char *bad[] = {
	    (const unsigned char *)"\0\2\0\0\0\2", (const unsigned char *)"\0\5\0\0\x3f\xff",
	    (const unsigned char *)"\0\5\1\0\0\0", (const unsigned char *)"\0\4\x80\0\0\0",
	    (const unsigned char *)"\0\x08\0\0\0\x02"};
	static const size_t steps[] = {0, 1, 4, 7};
	for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
		for (size_t b = 0; b <= sizeof bad / sizeof bad[0]; b++)
			for (int checks = 0; checks <= 1; checks++) {
				struct h2_handler hd = handler;
				hd.checks_settings = checks;
				memset(&seen, 0, sizeof seen);
				struct h2 *h = h2_new(&hd, "\x82", 1, NULL, 0);
				struct buf in = {0}, payload = {0};
				buf_append(&payload, in_range, sizeof in_range);
				if (b < sizeof bad / sizeof bad[0])
					buf_append(&payload, bad[b], 6);
				frame(&in, SETTINGS, 0, 0, payload.data, payload.len);
				int ev = feed(h, &in, steps[s]);
				int refused = checks && b < sizeof bad / sizeof bad[0];
				if (refused
					? ev != H2_ERROR ||
					      strcmp(h2_error(h),
						     "HTTP/2: a SETTINGS value out of range") != 0
					: ev != H2_MORE)
					fail_msg("step %zu, bad %zu, checks %d: event %d", steps[s],
						 b, checks, ev);
				buf_free(&payload);
				buf_free(&in);
				h2_free(h);
			}
}

/* Go's framer refuses a SETTINGS frame's first INITIAL_WINDOW_SIZE over 2^31-1 under both
 * clients; x/net's Transport alone refuses a second acknowledgement of its SETTINGS. */
static void
test_settings_under_both_clients(void **state)
{
	(void)state;
	for (int checks = 0; checks <= 1; checks++) {
		struct h2_handler hd = handler;
		hd.checks_settings = checks;
		struct h2 *h = h2_new(&hd, "\x82", 1, NULL, 0);
		struct buf in = {0};
		frame(&in, SETTINGS, 0, 0, "\0\4\x80\0\0\0", 6);
		assert_int_equal(feed(h, &in, 1), H2_ERROR);
		assert_string_equal(h2_error(h), "HTTP/2: a SETTINGS value out of range");
		h2_free(h);
		buf_free(&in);
		h = h2_new(&hd, "\x82", 1, NULL, 0);
		frame(&in, SETTINGS, 0, 0, "", 0);
		frame(&in, SETTINGS, ACK, 0, "", 0);
		assert_int_equal(feed(h, &in, 0), H2_MORE);
		buf_free(&in);
		frame(&in, SETTINGS, ACK, 0, "", 0);
		assert_int_equal(feed(h, &in, 0), checks ? H2_ERROR : H2_MORE);
		h2_free(h);
		buf_free(&in);
	}
}

/* A stream refused unprocessed, which the kinds ask again: REFUSED_STREAM or a GOAWAY below
 * stream 1 (told apart from one after a GOAWAY with an error code, which only gRPC asks
 * again), before the head; not another reset, nor either after the head. */
static void
test_unprocessed(void **state)
{
	(void)state;
	static const struct h2_field status = H2_FIELD(":status", "200");
	static const struct {
		int type, after_head;
		const char *payload;
		int unprocessed;
	} rows[] = {
	    {RST_STREAM, 0, "\0\0\0\x07", H2_REFUSED},
	    {RST_STREAM, 0, "\0\0\0\x02", 0},
	    {GOAWAY, 0, "\0\0\0\0\0\0\0\0", H2_GOAWAY},
	    {RST_STREAM, 1, "\0\0\0\x07", 0},
	    {GOAWAY, 1, "\0\0\0\0\0\0\0\0", 0},
	    /* x/net asks again only after a GOAWAY without an error code; grpc-go whatever. */
	    {GOAWAY, 0, "\0\0\0\0\0\0\0\x0b", H2_GOAWAY_ERROR},
	    /* The last stream's reserved bit is not part of it. */
	    {GOAWAY, 0, "\x80\0\0\0\0\0\0\0", H2_GOAWAY},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct h2 *h = client();
		struct buf in = {0};
		frame(&in, SETTINGS, 0, 0, "", 0);
		if (rows[i].after_head)
			headers(&in, 0, &status, 1);
		frame(&in, rows[i].type, 0, rows[i].type == GOAWAY ? 0 : 1, rows[i].payload,
		      rows[i].type == GOAWAY ? 8 : 4);
		assert_int_equal(feed(h, &in, 0), H2_ERROR);
		if (h2_unprocessed(h) != rows[i].unprocessed)
			fail_msg("row %zu: %s", i, h2_error(h));
		buf_free(&in);
		h2_free(h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_first_bytes),
	    cmocka_unit_test(test_settings_and_ping_are_acknowledged),
	    cmocka_unit_test(test_a_whole_answer),
	    cmocka_unit_test(test_request_fields),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_settings_values),
	    cmocka_unit_test(test_unprocessed),
	    cmocka_unit_test(test_settings_under_both_clients),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
