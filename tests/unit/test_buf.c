/* buf.c: growable buffers and the encodings built on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"

static void
test_json_string(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
	    {"plain", 5, "\"plain\""},
	    {"q\"b\\s", 5, "\"q\\\"b\\\\s\""},
	    {"nl\ntab\t", 7, "\"nl\\u000atab\\u0009\""},
	    {"nul\0x", 5, "\"nul\\u0000x\""},
	    {"del\x7f", 4, "\"del\\u007f\""},
	    {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
	    {"\xe2\x82\xac \xf0\x9f\x98\x80", 8, "\"\xe2\x82\xac \xf0\x9f\x98\x80\""},
	    {"bad\xff", 4, "\"bad\xef\xbf\xbd\""},
	    {"trunc\xe2\x82", 7, "\"trunc\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"overlong\xc0\xaf", 10, "\"overlong\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"surrogate\xed\xa0\x80", 12, "\"surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"", 0, "\"\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		buf_json_string(&b, cases[i].in, cases[i].len);
		assert_string_equal(b.data, cases[i].out);
		buf_free(&b);
	}
}

static void
test_prom_label(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_prom_label(&b, "a\\b\"c\nd");
	assert_string_equal(b.data, "a\\\\b\\\"c\\nd");
	buf_free(&b);
}

static void
test_rfc3339(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_rfc3339(&b, 1795453200123LL);
	assert_string_equal(b.data, "2026-11-23T17:00:00.123Z");
	buf_free(&b);
	buf_rfc3339(&b, 0);
	assert_string_equal(b.data, "1970-01-01T00:00:00.000Z");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_string),
	    cmocka_unit_test(test_prom_label),
	    cmocka_unit_test(test_rfc3339),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
