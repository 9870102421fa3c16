/* json.c: the strict reader behind the Istio status annotation, as Go's encoding/json
 * reads the same text: escapes decoded before comparing, the last of repeated members,
 * anything RFC 8259 refuses refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json.h"

static void
test_json_array_has(void **state)
{
	(void)state;
	static const struct {
		const char *name, *text;
		int want;
	} rows[] = {
	    {.name = "present", .text = "{\"c\":[\"a\",\"istio-proxy\"]}", .want = 1},
	    {.name = "absent", .text = "{\"c\":[\"a\"]}", .want = 0},
	    {.name = "another key", .text = "{\"d\":[\"istio-proxy\"]}", .want = 0},
	    {.name = "null", .text = "{\"c\":null}", .want = 0},
	    {.name = "escaped", .text = "{\"\\u0063\":[\"istio\\u002dproxy\"]}", .want = 1},
	    {.name = "the last member counts",
	     .text = "{\"c\":[\"istio-proxy\"],\"c\":[]}",
	     .want = 0},
	    {.name = "nested values skipped",
	     .text = " {\"x\":{\"y\":[1,2.5e3,true,false,null,{}]},\"c\":[\"istio-proxy\"]} ",
	     .want = 1},
	    {.name = "not an object", .text = "[\"istio-proxy\"]", .want = 0},
	    {.name = "trailing comma", .text = "{\"c\":[\"istio-proxy\",]}", .want = -1},
	    {.name = "single quotes", .text = "{'c':['istio-proxy']}", .want = -1},
	    {.name = "two values", .text = "{} {}", .want = -1},
	    {.name = "a control character", .text = "{\"c\":[\"a\tb\"]}", .want = -1},
	    {.name = "a bad escape", .text = "{\"c\":[\"\\x\"]}", .want = -1},
	    {.name = "leading zero", .text = "{\"x\":01}", .want = -1},
	    {.name = "cut short", .text = "{\"c\":[\"istio-proxy\"", .want = -1},
	    {.name = "empty", .text = "", .want = -1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = json_array_has(rows[i].text, strlen(rows[i].text), "c", "istio-proxy");
		if (got != rows[i].want)
			fail_msg("%s: %d, want %d", rows[i].name, got, rows[i].want);
	}
}

static void
test_json_nesting_is_bounded(void **state)
{
	(void)state;
	char deep[300];
	size_t n = 0;
	deep[n++] = '{';
	deep[n++] = '"';
	deep[n++] = 'x';
	deep[n++] = '"';
	deep[n++] = ':';
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	for (int i = 0; i < 100; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	assert_int_equal(json_array_has(deep, n, "c", "istio-proxy"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_array_has),
	    cmocka_unit_test(test_json_nesting_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
