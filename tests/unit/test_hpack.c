/* hpack.c: RFC 7541 Appendix C's examples (with and without Huffman code; requests, and
 * responses through a 256-byte table that evicts), each block fed whole and byte by byte;
 * refusals (COMPRESSION_ERROR) as rows; a value longer than HPACK_KEEP read and cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hpack.h"

/* Each field as "name: value\n". */
static void
collect(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct buf *out = arg;
	buf_append(out, name, nlen);
	buf_append(out, ": ", 2);
	buf_append(out, value, vlen);
	buf_append(out, "\n", 1);
}

static size_t
unhex(const char *h, unsigned char *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned b;
		assert_int_equal(sscanf(h, "%2x", &b), 1);
		out[n++] = (unsigned char)b;
	}
	return n;
}

/* Decodes hex with d, whole (one call) or a byte per call. Returns hpack_decode's. */
static int
decode(struct hpack *d, const char *hex, int bytewise, struct buf *out)
{
	unsigned char in[512];
	size_t n = unhex(hex, in);
	if (!bytewise)
		return hpack_decode(d, in, n, 1, collect, out);
	for (size_t i = 0; i < n; i++)
		if (hpack_decode(d, in + i, 1, i + 1 == n, collect, out) < 0)
			return -1;
	return n ? 0 : hpack_decode(d, in, 0, 1, collect, out);
}

#define REQUEST_1 ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
#define REQUEST_2 REQUEST_1 "cache-control: no-cache\n"
#define REQUEST_3                                                                                  \
	":method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\n"          \
	"custom-key: custom-value\n"
#define RESPONSE(status, second)                                                                   \
	":status: " status "\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:2" second       \
	" GMT\nlocation: https://www.example.com\n"
#define RESPONSE_3                                                                                 \
	RESPONSE("200", "2")                                                                       \
	"content-encoding: gzip\n"                                                                 \
	"set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n"
/* The responses' table is 256 bytes: a size update first says so. */
#define SIZE_256 "3fe101"

static const struct {
	const char *name, *blocks[3], *want[3];
} examples[] = {
    {"C.3 requests",
     {"828684410f7777772e6578616d706c652e636f6d", "828684be58086e6f2d6361636865",
      "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"},
     {REQUEST_1, REQUEST_2, REQUEST_3}},
    {"C.4 requests, Huffman",
     {"828684418cf1e3c2e5f23a6ba0ab90f4ff", "828684be5886a8eb10649cbf",
      "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"},
     {REQUEST_1, REQUEST_2, REQUEST_3}},
    {"C.5 responses",
     {SIZE_256 "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31"
	       "333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
      "4803333037c1c0bf",
      "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a6970"
      "7738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d616765"
      "3d333630303b2076657273696f6e3d31"},
     {RESPONSE("302", "1"), RESPONSE("307", "1"), RESPONSE_3}},
    {"C.6 responses, Huffman",
     {SIZE_256 "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d"
	       "29ad171863c78f0b97c8e9ae82ae43d3",
      "4883640effc1c0bf",
      "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b3"
      "35dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"},
     {RESPONSE("302", "1"), RESPONSE("307", "1"), RESPONSE_3}},
};

static void
test_rfc7541_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct hpack d;
			hpack_init(&d);
			for (int b = 0; b < 3; b++) {
				struct buf out = {0};
				if (decode(&d, examples[i].blocks[b], bytewise, &out) < 0)
					fail_msg("%s, block %d: refused", examples[i].name, b + 1);
				if (!out.data || strcmp(out.data, examples[i].want[b]) != 0)
					fail_msg("%s, block %d%s:\n%s", examples[i].name, b + 1,
						 bytewise ? ", byte by byte" : "",
						 out.data ? out.data : "(nothing)");
				buf_free(&out);
			}
			hpack_free(&d);
		}
}

static void
test_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *name, *hex;
		int want;
	} rows[] = {
	    {"index 0", "80", -1},
	    {"an index past the tables", "be", -1},
	    {"the last static entry", "bd", 0},
	    {"a size update to 4096", "3fe11f82", 0},
	    {"a size update over 4096", "3fe21f82", -1},
	    {"a size update after a field", "8220", -1},
	    {"two size updates first", "20208282", 0},
	    {"a block that ends in a field", "41", -1},
	    {"a block that ends in a string", "4105616263", -1},
	    {"a block that ends in an integer", "ff", -1},
	    {"EOS in a Huffman string", "4184ffffffff", -1},
	    {"padding over 7 bits", "41821fff", -1},
	    {"padding of zeros", "418118", -1},
	    {"the longest padding", "41821f", -1}, /* two bytes announced, one given */
	    {"an empty Huffman string", "4180", 0},
	    {"an integer past 2^28", "ffffffffffff0f", -1},
	    {"a literal name, never indexed", "1003616263017a", 0},
	    {"an empty literal name", "0000017a", 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		for (int bytewise = 0; bytewise < 2; bytewise++) {
			struct hpack d;
			struct buf out = {0};
			hpack_init(&d);
			int got = decode(&d, rows[i].hex, bytewise, &out);
			if (got != rows[i].want)
				fail_msg("%s%s: %d, want %d", rows[i].name,
					 bytewise ? " (byte by byte)" : "", got, rows[i].want);
			hpack_free(&d);
			buf_free(&out);
		}
}

/* A value longer than HPACK_KEEP is read to its end, cut, and never enters the table; the
 * next field decodes. */
static void
test_long_value(void **state)
{
	(void)state;
	size_t n = HPACK_KEEP * 2;
	unsigned char *in = malloc(n + 16);
	assert_non_null(in);
	size_t k = 0;
	in[k++] = 0x40; /* literal name, incremental indexing */
	in[k++] = 1;
	in[k++] = 'x';
	in[k++] = 0x7f; /* n as an HPACK integer: 127, then the rest 7 bits at a time */
	size_t rest = n - 127;
	for (; rest >= 128; rest >>= 7)
		in[k++] = (unsigned char)(0x80 | (rest & 0x7f));
	in[k++] = (unsigned char)rest;
	memset(in + k, 'v', n);
	k += n;
	in[k++] = 0x88; /* :status 200 */
	struct hpack d;
	struct buf out = {0};
	hpack_init(&d);
	assert_int_equal(hpack_decode(&d, in, k, 1, collect, &out), 0);
	assert_int_equal(out.len, 3 + HPACK_KEEP + 1 + strlen(":status: 200\n"));
	assert_memory_equal(out.data + out.len - 13, ":status: 200\n", 13);
	out.len = 0;
	assert_int_equal(hpack_decode(&d, (const unsigned char *)"\xbe", 1, 1, collect, &out), -1);
	hpack_free(&d);
	buf_free(&out);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc7541_examples),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_long_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
