/* Output encodings and request inputs: JSON strings, Prometheus labels, RFC 3339 times,
 * query parameters, Accept headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fmt.h"
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
	/* '+' stays '+' (names hold no spaces, so it never stands for one). */
	static const char *const want[][2] = {{"verbose", ""},    {"exclude", "a:b"},
					      {"exclude", "c+d"}, {"format", "json"},
					      {"x", "%zz"},       {"trail", "%4"}};
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(routes_next_param(&q, &len, k, v, sizeof k), 1);
		assert_string_equal(k, want[i][0]);
		assert_string_equal(v, want[i][1]);
	}
	assert_int_equal(routes_next_param(&q, &len, k, v, sizeof k), 0);

	/* Values longer than the buffer are dropped, never overflowed or cut into another
	 * name. */
	q = "exclude=0123456789abcdef0123456789";
	len = strlen(q);
	char small[8];
	assert_int_equal(routes_next_param(&q, &len, k, small, sizeof small), 1);
	assert_string_equal(small, "");
}

static void
test_accepts_json(void **state)
{
	(void)state;
	assert_true(routes_accepts_json("application/health+json"));
	assert_true(routes_accepts_json("text/html, application/json;q=0.9"));
	assert_false(routes_accepts_json("text/plain, application/json;q=0.9"));
	assert_true(routes_accepts_json("Application/JSON"));
	assert_false(routes_accepts_json(""));
	assert_false(routes_accepts_json("*/*"));
	assert_false(routes_accepts_json("text/plain"));
}

/* Each row is checked against the C library's snprintf, the reference. */
#define SAME(fmtstr, ...)                                                                          \
	do {                                                                                       \
		char want[128], got[128];                                                          \
		int wn = snprintf(want, sizeof want, fmtstr, __VA_ARGS__);                         \
		int gn = fmt_format(got, sizeof got, fmtstr, __VA_ARGS__);                         \
		assert_string_equal(got, want);                                                    \
		assert_int_equal(gn, wn);                                                          \
	} while (0)

static void
test_fmt_matches_snprintf(void **state)
{
	(void)state;
	SAME("%s|%s", "plain", "");
	SAME("%.3s|%.40s|%.*s|%.*s", "abcdef", "short", 2, "xyz", 0, "gone");
	SAME("%d %d %d %i", 0, -1, INT_MAX, INT_MIN);
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%lld %lld %lld", 0LL, LLONG_MAX, LLONG_MIN);
	SAME("%llu %zu %lu", ULLONG_MAX, (size_t)12345, 7UL);
	SAME("%02d:%02d %03d %04d %03lld", 5, 59, 7, 2026, 42LL);
	SAME("%04x %x", 0x1fu, 0xdeadbeefu);
	SAME("%c%c 100%%", 'o', 'k');
	SAME("%5d|%05d|%-4d|%-5s|%6s|%3c|%-3c|", 42, -42, 3, "ab", "cd", 'x', 'y');
	SAME("%-5d|%08x|%2s|%-lld", -7, 0xabu, "longer", -9LL);
	SAME("%s", "tail text");
}

static void
test_fmt_truncates_like_snprintf(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(fmt_format(buf, sizeof buf, "%s-%d", "abcdef", 12345), 12);
	assert_string_equal(buf, "abcdef-");
	assert_int_equal(fmt_format(NULL, 0, "%s", "count me"), 8);
	char one[1] = {'x'};
	assert_int_equal(fmt_format(one, 1, "abc"), 3);
	assert_int_equal(one[0], '\0');
	char err[64];
	assert_int_equal(fmt_error(err, sizeof err, "bad '%s'", "x"), -1);
	assert_string_equal(err, "bad 'x'");
}

static void
test_percent_byte(void **state)
{
	(void)state;
	assert_int_equal(fmt_percent_byte("%41", 3), 'A');
	assert_int_equal(fmt_percent_byte("%2f/", 4), '/');
	assert_int_equal(fmt_percent_byte("%FF", 3), 0xff);
	assert_int_equal(fmt_percent_byte("%00", 3), 0);
	assert_int_equal(fmt_percent_byte("%4", 2), -1);  /* cut short */
	assert_int_equal(fmt_percent_byte("%41", 2), -1); /* only two bytes available */
	assert_int_equal(fmt_percent_byte("%zz", 3), -1); /* not hex */
	assert_int_equal(fmt_percent_byte("%4g", 3), -1);
	assert_int_equal(fmt_percent_byte("A41", 3), -1); /* not an escape */
	assert_int_equal(fmt_percent_byte("%+1", 3), -1); /* no sign, unlike strtol */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_string),
	    cmocka_unit_test(test_prom_label),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_query_params),
	    cmocka_unit_test(test_accepts_json),
	    cmocka_unit_test(test_fmt_matches_snprintf),
	    cmocka_unit_test(test_fmt_truncates_like_snprintf),
	    cmocka_unit_test(test_percent_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
