/* duration.c: parsing and formatting durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "config.h"
#include "duration.h"

static void
test_duration_valid(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int64_t ms;
	} cases[] = {
	    {"3", 3000},       {"1", 1000},          {"2.5", 2500},       {"0.5", 500},
	    {"500ms", 500},    {"3s", 3000},         {"1m", 60000},       {"1.5m", 90000},
	    {"1h", 3600000},   {"0.001", 1},         {"1ms", 1},          {"2.5005s", 2500},
	    {".5", 500},       {"1m30s", 90000},     {"59m30s", 3570000}, {"2s500ms", 2500},
	    {"8m21s", 501000}, {"10.000000", 10000}, {"3600", 3600000},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -1;
		char err[128] = "";
		int rc = duration_parse(cases[i].in, MAX_TIMEOUT_MS, &ms, err, sizeof err);
		if (rc != 0)
			fail_msg("'%s' refused: %s", cases[i].in, err);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_duration_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *why;
	} cases[] = {
	    {"0", "must be greater than zero"},
	    {"0s", "must be greater than zero"},
	    {"0.0", "must be greater than zero"},
	    {"-1", "must be positive"},
	    {"-0.5s", "must be positive"},
	    {"", "is not a duration"},
	    {"abc", "is not a duration"},
	    {"s", "is not a duration"},
	    {"1.", "is not a duration"},
	    {".", "is not a duration"},
	    {"3 s", "has an unknown unit"},
	    {"1m30", "has an unknown unit"},
	    {"1m-3s", "is not a duration"},
	    {"3sec", "has an unknown unit"},
	    {"1e3", "has an unknown unit"},
	    {"3d", "has an unknown unit"},
	    {"0.0001s", "is shorter than 1ms"},
	    {"3601", "is longer than the maximum, 1h"},
	    {"61m", "is longer than the maximum, 1h"},
	    {"9999999999", "is too large"},
	    {"1.1234567", "has too many decimals"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -1;
		char err[128] = "";
		int rc = duration_parse(cases[i].in, MAX_TIMEOUT_MS, &ms, err, sizeof err);
		if (rc != -1)
			fail_msg("'%s' accepted as %lld", cases[i].in, (long long)ms);
		if (strncmp(err, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("'%s': got '%s', want '%s'", cases[i].in, err, cases[i].why);
		assert_int_equal(ms, -1);
	}
}

static void
test_duration_format(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *out;
	} cases[] = {
	    {1, "1ms"},
	    {500, "500ms"},
	    {1000, "1s"},
	    {2500, "2.5s"},
	    {1250, "1.25s"},
	    {1001, "1.001s"},
	    {3000, "3s"},
	    {60000, "1m"},
	    {90000, "1m30s"},
	    {215200, "3m35.2s"},
	    {60500, "1m0.5s"},
	    {5400000, "1h30m"},
	    {3601001, "1h1.001s"},
	    {3600000, "1h"},
	    {59999, "59.999s"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[32];
		duration_format(cases[i].ms, out, sizeof out);
		assert_string_equal(out, cases[i].out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_valid),
	    cmocka_unit_test(test_duration_invalid),
	    cmocka_unit_test(test_duration_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
