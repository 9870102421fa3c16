/* routes.c: paths, query parameters, Accept headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "request.h"
#include "routes.h"

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
	    {"text/plain", 0},
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
	    cmocka_unit_test(test_query_params),
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
