/* Output encodings and request inputs: JSON strings, Prometheus labels, RFC 3339 times,
 * query parameters, Accept headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "routes.h"

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

static void
test_query_params(void **state)
{
	(void)state;
	const char *q = "verbose&exclude=a%3Ab&&exclude=c+d&format=json&x=%zz&trail=%4";
	size_t len = strlen(q);
	char k[32], v[32];
	static const char *const want[][2] = {{"verbose", ""},    {"exclude", "a:b"},
					      {"exclude", "c d"}, {"format", "json"},
					      {"x", "%zz"},       {"trail", "%4"}};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(routes_next_param(&q, &len, k, v, sizeof k), 1);
		assert_string_equal(k, want[i][0]);
		assert_string_equal(v, want[i][1]);
	}
	assert_int_equal(routes_next_param(&q, &len, k, v, sizeof k), 0);

	/* Values longer than the buffer are truncated, never overflowed. */
	q = "exclude=0123456789abcdef0123456789";
	len = strlen(q);
	char small[8];
	assert_int_equal(routes_next_param(&q, &len, k, small, sizeof small), 1);
	assert_string_equal(small, "0123456");
}

static void
test_accepts_json(void **state)
{
	(void)state;
	assert_true(routes_accepts_json("application/health+json"));
	assert_true(routes_accepts_json("text/plain, application/json;q=0.9"));
	assert_true(routes_accepts_json("Application/JSON"));
	assert_false(routes_accepts_json(""));
	assert_false(routes_accepts_json("*/*"));
	assert_false(routes_accepts_json("text/plain"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_string),  cmocka_unit_test(test_prom_label),
	    cmocka_unit_test(test_rfc3339),      cmocka_unit_test(test_query_params),
	    cmocka_unit_test(test_accepts_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
