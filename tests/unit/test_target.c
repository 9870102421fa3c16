/* Endpoint parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "target.h"
#include "version.h"

static void
test_target_valid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *host;
		unsigned port;
		const char *path, *host_header;
	} cases[] = {
	    {"http://localhost:15020/healthz/ready", "localhost", 15020, "/healthz/ready",
	     "localhost:15020"},
	    {"http://localhost:8080/healthz", "localhost", 8080, "/healthz", "localhost:8080"},
	    {"http://example.com", "example.com", 80, "/", "example.com"},
	    {"http://example.com/", "example.com", 80, "/", "example.com"},
	    {"HTTP://Example.COM:80/x", "Example.COM", 80, "/x", "Example.COM"},
	    {"http://10.0.0.1:9090/metrics?x=1&y=2", "10.0.0.1", 9090, "/metrics?x=1&y=2",
	     "10.0.0.1:9090"},
	    {"http://h?ready", "h", 80, "/?ready", "h"},
	    {"http://h:1/a#frag", "h", 1, "/a", "h:1"},
	    {"http://[::1]:8080/healthz", "::1", 8080, "/healthz", "[::1]:8080"},
	    {"http://[::1]/", "::1", 80, "/", "[::1]"},
	    {"http://[fe80::1:2]:65535", "fe80::1:2", 65535, "/", "[fe80::1:2]:65535"},
	    {"http://svc-name.ns.svc.cluster.local:15021/healthz/ready",
	     "svc-name.ns.svc.cluster.local", 15021, "/healthz/ready",
	     "svc-name.ns.svc.cluster.local:15021"},
	    {"http://under_score:1/", "under_score", 1, "/", "under_score:1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct target t;
		char err[128] = "";
		if (target_parse(cases[i].in, &t, err, sizeof err) != 0)
			fail_msg("'%s' refused: %s", cases[i].in, err);
		assert_string_equal(t.host, cases[i].host);
		assert_int_equal(t.port, cases[i].port);
		assert_string_equal(t.path, cases[i].path);
		assert_string_equal(t.text, cases[i].in);
		char want[512];
		snprintf(want, sizeof want,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: podhealth/%s\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n",
			 cases[i].path, cases[i].host_header, PODHEALTH_VERSION);
		assert_string_equal(t.request, want);
		assert_int_equal(t.request_len, strlen(want));
		target_free(&t);
	}
}

static void
test_target_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *err;
	} cases[] = {
	    {"", "not a URL (want http://host[:port][/path] or tcp://host:port)"},
	    {"localhost:8080", "not a URL (want http://host[:port][/path] or tcp://host:port)"},
	    {"ftp://a/", "unsupported scheme 'ftp' (want http:// or tcp://)"},
	    {"https://a/", "unsupported scheme 'https' (want http:// or tcp://)"},
	    {"httpx://a/", "unsupported scheme 'httpx' (want http:// or tcp://)"},
	    {"http:///path", "missing host"},
	    {"http://:80/", "missing host"},
	    {"http://a:0/", "invalid port (want 1-65535)"},
	    {"http://a:65536/", "invalid port (want 1-65535)"},
	    {"http://a:123456/", "invalid port (want 1-65535)"},
	    {"http://a:/", "invalid port (want 1-65535)"},
	    {"http://a:8o/", "invalid port (want 1-65535)"},
	    {"http://a b/", "contains a space or control character"},
	    {"http://a/b c", "contains a space or control character"},
	    {"http://a/\tb", "contains a space or control character"},
	    {"http://user:pw@a/", "user information in URLs is not supported"},
	    {"http://[::1/", "malformed IPv6 address"},
	    {"http://[zz::1]/", "malformed IPv6 address"},
	    {"http://[]/", "malformed IPv6 address"},
	    {"http://::1/", "IPv6 addresses must be in brackets, e.g. http://[::1]:8080/"},
	    {"http://::1:8080/", "IPv6 addresses must be in brackets, e.g. http://[::1]:8080/"},
	    {"http://a!b/", "invalid host name"},
	    {"http://999.1.1.1/", "invalid IPv4 address"},
	    {"http://1.2.3/", "invalid IPv4 address"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct target t;
		char err[128] = "";
		if (target_parse(cases[i].in, &t, err, sizeof err) != -1)
			fail_msg("'%s' accepted", cases[i].in);
		assert_string_equal(err, cases[i].err);
		assert_null(t.text);
		assert_null(t.request);
	}
}

static void
test_ip_literal(void **state)
{
	(void)state;
	assert_int_equal(target_ip_literal("127.0.0.1"), 0);
	assert_int_equal(target_ip_literal("::"), 0);
	assert_int_equal(target_ip_literal("::1"), 0);
	assert_int_equal(target_ip_literal("[::1]"), -1);
	assert_int_equal(target_ip_literal("localhost"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_valid),
	    cmocka_unit_test(test_target_invalid),
	    cmocka_unit_test(test_ip_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
