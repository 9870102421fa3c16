/* fmt.c: the small printf (against the C library's), and its parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"

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

/* %.*s reads no byte past its precision: the string need not end in NUL (a server's
 * bytes at the end of a buffer; the ASan build sees a byte too far). */
static void
test_precision_reads_no_further(void **state)
{
	(void)state;
	char out[16];
	char *s = malloc(3);
	assert_non_null(s);
	memcpy(s, "-bc", 3);
	fmt_format(out, sizeof out, "%.*s", 3, s);
	assert_string_equal(out, "-bc");
	fmt_format(out, sizeof out, "[%.*s]", 0, s + 3);
	assert_string_equal(out, "[]");
	free(s);
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
	    cmocka_unit_test(test_fmt_matches_snprintf),
	    cmocka_unit_test(test_fmt_truncates_like_snprintf),
	    cmocka_unit_test(test_percent_byte),
	    cmocka_unit_test(test_precision_reads_no_further),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
