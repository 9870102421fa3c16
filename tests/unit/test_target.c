/* Endpoint parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check_impl.h"
#include "target.h"
#include "version.h"
#include "url_forms.h"

/* Host names of 253 and 254 bytes, of labels of at most 63. */
#define LABEL_63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LABEL_61 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NAME_253 LABEL_63 "." LABEL_63 "." LABEL_63 "." LABEL_61
#define NAME_254 NAME_253 "a"

/* The first request the HTTP check t sends (check_http.c renders it). Valid until the
 * next call. */
static const char *
request_of(const struct target *t)
{
	static struct buf b;
	buf_free(&b);
	assert_int_equal(t->kind, TARGET_HTTP);
	check_http_first_request(t, &b);
	assert_false(b.failed);
	return b.data;
}

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
	    /* Host as the URL writes it, as Go's client sends it. */
	    {"HTTP://Example.COM:80/x", "Example.COM", 80, "/x", "Example.COM:80"},
	    {"https://h/x", "h", 443, "/x", "h"},
	    {"https://h:8443", "h", 8443, "/", "h:8443"},
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
		assert_string_equal(request_of(&t), want);
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
	    {"", "not a URL " FORMS},
	    {"localhost:8080", "not a URL " FORMS},
	    {"ftp://a/", "unsupported scheme 'ftp' " FORMS},
	    {"httpx://a/", "unsupported scheme 'httpx' " FORMS},
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
	    {"tcp://user:pw@a:1", "tcp:// takes no user@"},
	    {"redis://u@a", "redis:// takes no user@"},
	    {"postgres://u:secret@a/db",
	     "postgres:// takes a user name, never a password (readiness needs none)"},
	    {"mysql://:x@a", "mysql:// takes a user name, never a password (readiness needs none)"},
	    {"mysql://@a", "mysql:// user: want 1-63 characters, no % or @"},
	    {"postgres://a%40b@a", "postgres:// user: want 1-63 characters, no % or @"},
	    {"postgres://"
	     "0123456789012345678901234567890123456789012345678901234567890123@a",
	     "postgres:// user: want 1-63 characters, no % or @"},
	    {"postgres://a/db?sslmode=require", "postgres:// takes no query"},
	    {"mysql://a/db", "mysql:// takes no path"},
	    {"grpc://a:1/x?y", "grpc:// takes no query"},
	    {"grpcs://a:1/x?y", "grpcs:// takes no query"},
	    {"grpcs://a/", "grpcs:// needs a port"},
	    {"unix:///a?b", "unix:// takes a path only"},
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
		assert_null(t.path);
	}
}

static void
test_target_kinds(void **state)
{
	(void)state;
	struct target t;
	char err[128];
	/* user:password@ becomes Basic authorization, as Go sends it; logs show xxxxx. */
	assert_int_equal(target_parse("http://us%40er:p%3Ass@h:8/x", &t, err, sizeof err), 0);
	assert_string_equal(t.authorization, "Basic dXNAZXI6cDpzcw==");
	assert_string_equal(t.text, "http://us%40er:xxxxx@h:8/x");
	assert_string_equal(t.authority, "h:8");
	assert_string_equal(t.name, "h:8/x");
	assert_non_null(strstr(request_of(&t), "\r\nAuthorization: Basic dXNAZXI6cDpzcw==\r\n"));
	target_free(&t);
	assert_int_equal(target_parse("http://u@h/", &t, err, sizeof err), 0);
	assert_string_equal(t.authorization, "Basic dTo=");
	assert_string_equal(t.text, "http://u@h/");
	target_free(&t);

	assert_int_equal(target_parse("grpcs://svc:50051/pkg.Svc", &t, err, sizeof err), 0);
	assert_int_equal(t.kind, TARGET_GRPC);
	assert_true(t.tls);
	assert_string_equal(t.path, "pkg.Svc");
	assert_string_equal(t.name, "svc:50051/pkg.Svc");
	assert_string_equal(target_tls_name(&t), "svc");
	target_free(&t);
	assert_int_equal(target_parse("grpc://127.0.0.1:50051", &t, err, sizeof err), 0);
	assert_string_equal(t.path, "");
	assert_string_equal(target_tls_name(&t), "127.0.0.1"); /* verified; tls.c sends no SNI */
	target_free(&t);

	/* The databases: a default port each, user@ a name only, the database a name. */
	assert_int_equal(target_parse("postgresql://migrate@db:6543/orders", &t, err, sizeof err),
			 0);
	assert_int_equal(t.kind, TARGET_POSTGRES);
	assert_string_equal(t.user, "migrate");
	assert_null(t.authorization);
	assert_string_equal(t.path, "orders");
	assert_string_equal(t.name, "db:6543/orders");
	target_free(&t);
	assert_int_equal(target_parse("postgres://db", &t, err, sizeof err), 0);
	assert_int_equal(t.port, 5432);
	assert_null(t.user);
	assert_string_equal(t.path, "");
	target_free(&t);
	assert_int_equal(target_parse("mysql://db/", &t, err, sizeof err), 0);
	assert_int_equal(t.kind, TARGET_MYSQL);
	assert_int_equal(t.port, 3306);
	target_free(&t);
	assert_int_equal(target_parse("rediss://cache", &t, err, sizeof err), 0);
	assert_int_equal(t.kind, TARGET_REDIS);
	assert_true(t.tls);
	assert_int_equal(t.port, 6379);
	target_free(&t);

	assert_int_equal(target_parse("unix:///run/app.sock", &t, err, sizeof err), 0);
	assert_int_equal(t.kind, TARGET_UNIX);
	assert_string_equal(t.socket_path, "/run/app.sock");
	assert_string_equal(t.name, "unix:/run/app.sock");
	target_free(&t);
}

static void
test_ip_literal(void **state)
{
	(void)state;
	assert_true(target_ip_literal("127.0.0.1"));
	assert_true(target_ip_literal("::"));
	assert_true(target_ip_literal("::1"));
	assert_false(target_ip_literal("[::1]"));
	assert_false(target_ip_literal("localhost"));
}

static void
test_names(void **state)
{
	(void)state;
	static const struct {
		const char *in, *name;
		int kind;
	} cases[] = {
	    {"http://localhost:15020/healthz/ready", "localhost:15020/healthz/ready", TARGET_HTTP},
	    {"http://localhost/", "localhost:80", TARGET_HTTP},
	    {"http://localhost", "localhost:80", TARGET_HTTP},
	    {"http://h:1/a?x=1", "h:1/a", TARGET_HTTP},
	    {"http://[::1]:8080/healthz", "[::1]:8080/healthz", TARGET_HTTP},
	    {"envoy=http://localhost:15020/healthz/ready", "envoy", TARGET_HTTP},
	    {"db=tcp://127.0.0.1:5432", "db", TARGET_TCP},
	    {"tcp://db.ns.svc:5432", "db.ns.svc:5432", TARGET_TCP},
	    {"tcp://db:5432/", "db:5432", TARGET_TCP},
	    {"a.b-c_d:1/x=http://h/", "a.b-c_d:1/x", TARGET_HTTP},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct target t;
		char err[128] = "";
		if (target_parse(cases[i].in, &t, err, sizeof err) != 0)
			fail_msg("'%s' refused: %s", cases[i].in, err);
		assert_string_equal(t.name, cases[i].name);
		assert_int_equal(t.kind, cases[i].kind);
		/* An HTTP target's request asks for its path, the query too. */
		if (t.kind == TARGET_HTTP)
			assert_true(strncmp(request_of(&t), "GET ", 4) == 0 &&
				    strstr(request_of(&t), t.path) != NULL);
		target_free(&t);
	}
	static const struct {
		const char *in, *err;
	} bad[] = {
	    {"=http://h/", "invalid check name '' (want 1-128 printable characters, none of space "
			   "? & # = , \" \\ %)"},
	    {"a&b=http://h/", "invalid check name 'a&b' (want 1-128 printable characters, none of "
			      "space ? & # = , \" \\ %)"},
	    {"tcp://h", "tcp:// needs a port"},
	    {"tcp://h:1/path", "tcp:// takes no path"},
	    {"n=ftp://h/", "unsupported scheme 'ftp' " FORMS},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct target t;
		char err[256] = "";
		if (target_parse(bad[i].in, &t, err, sizeof err) != -1)
			fail_msg("'%s' accepted", bad[i].in);
		assert_string_equal(err, bad[i].err);
		assert_null(t.name);
	}
}

static void
test_expect(void **state)
{
	(void)state;
	struct status_range r[TARGET_MAX_RANGES];
	char err[128];
	assert_int_equal(target_parse_expect("200", r, err, sizeof err), 1);
	assert_int_equal(r[0].lo, 200);
	assert_int_equal(r[0].hi, 200);
	assert_int_equal(target_parse_expect("200,204,301-308", r, err, sizeof err), 3);
	assert_int_equal(r[2].lo, 301);
	assert_int_equal(r[2].hi, 308);
	static const struct {
		const char *in, *err;
	} bad[] = {
	    {"", "invalid status '' (want 100-599 or a range like 200-299)"},
	    {"99", "invalid status '99' (want 100-599 or a range like 200-299)"},
	    {"600", "invalid status '600' (want 100-599 or a range like 200-299)"},
	    {"2xx", "invalid status '2xx' (want 100-599 or a range like 200-299)"},
	    {"200,", "invalid status '' (want 100-599 or a range like 200-299)"},
	    {"200-", "invalid status '200-' (want 100-599 or a range like 200-299)"},
	    {"299-200", "empty range '299-200'"},
	    {"100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116",
	     "more than 16 status ranges"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(target_parse_expect(bad[i].in, r, err, sizeof err), -1);
		assert_string_equal(err, bad[i].err);
	}
}

static void
test_spec_valid(void **state)
{
	(void)state;
	struct target t;
	char err[256] = "";
	assert_int_equal(target_parse_spec("name=envoy,url=http://localhost:15020/healthz/ready,"
					   "timeout=1s,expect=200",
					   &t, err, sizeof err),
			 0);
	assert_string_equal(t.name, "envoy");
	assert_int_equal(t.timeout_ms, 1000);
	assert_int_equal(t.nexpect, 1);
	assert_true(target_expect_match(&t, 200));
	assert_false(target_expect_match(&t, 204));
	target_free(&t);

	/* A quote that does not start a field is an ordinary character. */
	assert_int_equal(target_parse_spec("name=s,url=http://h/,body=\"status\":\"green\"", &t,
					   err, sizeof err),
			 0);
	assert_string_equal(t.body, "\"status\":\"green\"");
	target_free(&t);
	assert_int_equal(target_parse_spec("url=http://h/,\"body=a,\"\"b\"\"\",redirects=off", &t,
					   err, sizeof err),
			 0);
	assert_string_equal(t.body, "a,\"b\"");
	assert_false(t.redirects);
	target_free(&t);
	assert_int_equal(target_parse_spec("url=https://h/,ca=/ca.pem,servername=api,socket=/s", &t,
					   err, sizeof err),
			 0);
	assert_string_equal(t.ca_file, "/ca.pem");
	assert_string_equal(target_tls_name(&t), "api");
	assert_string_equal(t.socket_path, "/s");
	target_free(&t);
	/* The longest DNS name, with and without its final dot. */
	assert_int_equal(
	    target_parse_spec("url=https://h/,servername=" NAME_253 ".", &t, err, sizeof err), 0);
	assert_int_equal(strlen(target_tls_name(&t)), 254);
	target_free(&t);

	/* Bare fields continue the previous value; quotes protect commas and '='. */
	assert_int_equal(target_parse_spec("url=http://h:8080/x,expect=200,204,301-308,"
					   "\"header=X-Token: a=b, c\",header=Accept: text/plain,"
					   "host=example.com,method=HEAD",
					   &t, err, sizeof err),
			 0);
	assert_int_equal(t.nexpect, 3);
	assert_true(target_expect_match(&t, 204));
	assert_true(target_expect_match(&t, 305));
	assert_false(target_expect_match(&t, 200 + 1));
	assert_string_equal(t.name, "h:8080/x");
	char want[512];
	snprintf(want, sizeof want,
		 "HEAD /x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: podhealth/%s\r\n"
		 "X-Token: a=b, c\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
		 PODHEALTH_VERSION);
	assert_string_equal(request_of(&t), want);
	target_free(&t);

	/* An empty Accept removes the default, as kubelet does. */
	assert_int_equal(target_parse_spec("url=http://h/,header=Accept:", &t, err, sizeof err), 0);
	assert_null(strstr(request_of(&t), "Accept"));
	target_free(&t);

	assert_int_equal(
	    target_parse_spec("url=http://h/,body=ready,header=User-Agent: kube-probe/1.31", &t,
			      err, sizeof err),
	    0);
	assert_string_equal(t.body, "ready");
	assert_string_equal(request_of(&t),
			    "GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n"
			    "User-Agent: kube-probe/1.31\r\nConnection: close\r\n\r\n");
	target_free(&t);

	assert_int_equal(
	    target_parse_spec("url=tcp://db:5432,name=db,timeout=250ms", &t, err, sizeof err), 0);
	assert_int_equal(t.kind, TARGET_TCP);
	assert_int_equal(t.timeout_ms, 250);
	target_free(&t);
}

static void
test_spec_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *in, *err;
	} cases[] = {
	    {"name=x", "missing url="},
	    {"", "missing url="},
	    {"url=http://h/,color=red",
	     "unknown key 'color' (want name, url, timeout, expect, header, host, method, body, "
	     "redirects, protocol, socket, ca or servername)"},
	    {"http://h/", "'http://h/' is not key=value"},
	    {"url=http://h/,url=http://i/", "url given twice"},
	    {"url=ftp://h/", "url 'ftp://h/': unsupported scheme 'ftp' " FORMS},
	    {"url=http://h/,timeout=0", "timeout '0': must be greater than zero"},
	    {"url=http://h/,expect=abc",
	     "expect: invalid status 'abc' (want 100-599 or a range like 200-299)"},
	    {"url=http://h/,header=NoColon", "header= wants 'Name: value'"},
	    {"url=http://h/,header=Bad Name: s3cret", "header= name 'Bad Name' is not a token"},
	    {"url=http://h/,header=Host: x", "set the Host header with host=, not header="},
	    {"url=http://h/,header=transfer-encoding: chunked",
	     "header Transfer-Encoding is podhealth's to set (it frames the request)"},
	    {"url=http://h/,method=POST", "method 'POST': want GET or HEAD"},
	    /* A name over 253 bytes (a final dot aside) is no DNS name (the third review's
	     * item 12: it was cut to 255 and verified as its prefix). */
	    {"url=https://h/,servername=" NAME_254, "servername: longer than 253 bytes"},
	    {"url=http://h/,method=HEAD,body=x",
	     "body= needs method GET (a HEAD response has no body)"},
	    {"url=http://h/,body=", "body: want 1-10240 bytes"},
	    {"url=http://h/,host=a b", "host: spaces or control characters"},
	    {"url=tcp://h:1,expect=200",
	     "expect, method, body, redirects and protocol are for http(s)://"},
	    {"url=grpc://h:1,redirects=off",
	     "expect, method, body, redirects and protocol are for http(s)://"},
	    {"url=grpc://h:1,protocol=http2",
	     "expect, method, body, redirects and protocol are for http(s)://"},
	    {"url=https://h/,protocol=http2", "protocol=http2 is for http:// (h2c), not https://"},
	    {"url=http://h/,protocol=http2,host=example.com", "protocol=http2 takes no host="},
	    {"url=http://h/,protocol=h2c", "protocol 'h2c': want http1 or http2"},
	    {"url=tcp://h:1,header=X: y", "header and host are for http(s):// and grpc(s)://"},
	    {"url=grpc://h:1,header=grpc-timeout: 1S",
	     "header grpc-timeout is not for gRPC metadata"},
	    {"url=grpcs://h:1,header=Content-Type: text/plain",
	     "header Content-Type is not for gRPC metadata"},
	    {"url=grpc://h:1,header=x-id-bin: AAEC", "header x-id-bin is not for gRPC metadata"},
	    {"url=grpc://h:1,header=:authority: x",
	     "header= cannot set a pseudo-header (use host=)"},
	    {"url=grpc://h:1,header=TE: trailers",
	     "header TE is podhealth's to set (it frames the request)"},
	    {"url=http://h/,socket=run/x", "socket: want an absolute path of at most 107 bytes"},
	    {"url=http://h/,\"name=x", "unterminated quote"},
	    {"url=http://h/,name=a b", "invalid check name 'a b' (want 1-128 printable characters, "
				       "none of space ? & # = , \" \\ %)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct target t;
		char err[256] = "";
		if (target_parse_spec(cases[i].in, &t, err, sizeof err) != -1)
			fail_msg("'%s' accepted", cases[i].in);
		assert_string_equal(err, cases[i].err);
		assert_null(t.name);
		assert_null(t.path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_valid), cmocka_unit_test(test_target_invalid),
	    cmocka_unit_test(test_target_kinds), cmocka_unit_test(test_ip_literal),
	    cmocka_unit_test(test_names),        cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_spec_valid),   cmocka_unit_test(test_spec_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
