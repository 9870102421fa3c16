/* certname.c: the server name against a certificate's subjectAltNames, as Go's
 * VerifyHostname: DNS names with one leftmost wildcard label, IP addresses (IPv4 and its
 * IPv6-mapped form alike), no Common Name fallback. The certificates are Mbed TLS's
 * parsed form, built here: the names list as the library leaves it. (Real certificates
 * meet the same code in tests/e2e, and any DER does in fuzz_certname.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "certname.h"

enum { MAX_SANS = 8 };

/* A certificate whose subjectAltName extension holds names: "dns:NAME", or "ip:" and the
 * address bytes' count then the bytes; san 0: no such extension. */
struct cert {
	mbedtls_x509_crt crt;
	mbedtls_x509_sequence more[MAX_SANS];
};

static void
certificate(struct cert *c, const char *const *names, size_t n, int san)
{
	assert_true(n >= 1 && n <= MAX_SANS);
	memset(c, 0, sizeof *c);
	if (san)
		c->crt.MBEDTLS_PRIVATE(ext_types) = MBEDTLS_X509_EXT_SUBJECT_ALT_NAME;
	mbedtls_x509_sequence *s = &c->crt.subject_alt_names;
	for (size_t i = 0; i < n; i++) {
		int dns = strncmp(names[i], "dns:", 4) == 0;
		s->buf.tag = dns ? 0x82 : 0x87;
		s->buf.p = (unsigned char *)(uintptr_t)(names[i] + 4);
		s->buf.len = dns ? strlen(names[i] + 4) : (size_t)names[i][3];
		s->next = i + 1 < n ? &c->more[i] : NULL;
		s = s->next;
	}
}

struct name_row {
	const char *name, *host;
	enum certname_result want;
};

/* Checks each row's host against certificate crt. */
static void
check_rows(const mbedtls_x509_crt *crt, const struct name_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum certname_result got = certname_check(crt, rows[i].host);
		if (got != rows[i].want)
			fail_msg("%s: %d, want %d", rows[i].name, got, rows[i].want);
	}
}

static void
test_names(void **state)
{
	(void)state;
	static const char *const sans[] = {
	    "dns:localhost", "dns:*.svc.example", "dns:API.Example", "ip:\x04\x7f\x00\x00\x01",
	    "ip:\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"};
	static const struct name_row rows[] = {
	    {.name = "exact", .host = "localhost", .want = CERTNAME_OK},
	    {.name = "a final dot", .host = "localhost.", .want = CERTNAME_OK},
	    {.name = "case", .host = "api.example", .want = CERTNAME_OK},
	    {.name = "wildcard, one label", .host = "a.svc.example", .want = CERTNAME_OK},
	    {.name = "wildcard, two labels", .host = "a.b.svc.example", .want = CERTNAME_MISMATCH},
	    {.name = "wildcard, no label", .host = "svc.example", .want = CERTNAME_MISMATCH},
	    {.name = "another name", .host = "localhost2", .want = CERTNAME_MISMATCH},
	    {.name = "a prefix", .host = "local", .want = CERTNAME_MISMATCH},
	    {.name = "IPv4", .host = "127.0.0.1", .want = CERTNAME_OK},
	    {.name = "IPv4, another", .host = "127.0.0.2", .want = CERTNAME_MISMATCH},
	    {.name = "IPv6", .host = "::1", .want = CERTNAME_OK},
	    {.name = "an address is no DNS name", .host = "::2", .want = CERTNAME_MISMATCH},
	    {.name = "a DNS name is no address", .host = "7f00:1::", .want = CERTNAME_MISMATCH},
	};
	struct cert c;
	certificate(&c, sans, 5, 1);
	check_rows(&c.crt, rows, sizeof rows / sizeof rows[0]);
	/* IPv4 in a 16-byte SAN (::ffff:10.0.0.1) is the same address, as in Go. */
	static const char *const mapped[] = {
	    "ip:\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x0a\x00\x00\x01"};
	certificate(&c, mapped, 1, 1);
	assert_int_equal(certname_check(&c.crt, "10.0.0.1"), CERTNAME_OK);
	/* Patterns Go's validHostname refuses match only a name the same but for case
	 * (matchExactly), never as patterns (the third review's item 7). */
	static const char *const odd[] = {
	    "dns:*",    "dns:localhost.",    "dns:*.svc.example.",     "dns:foo*.example",
	    "dns:a..b", "dns:-lead.example", "dns:Under_Score.example"};
	static const struct name_row odd_rows[] = {
	    {.name = "a bare wildcard is no pattern",
	     .host = "localhost2",
	     .want = CERTNAME_MISMATCH},
	    {.name = "a bare wildcard, the same", .host = "*", .want = CERTNAME_OK},
	    {.name = "a pattern's final dot", .host = "localhost", .want = CERTNAME_MISMATCH},
	    {.name = "a pattern's final dot, the same", .host = "LOCALHOST.", .want = CERTNAME_OK},
	    {.name = "a wildcard with a final dot",
	     .host = "a.svc.example",
	     .want = CERTNAME_MISMATCH},
	    {.name = "a partial wildcard", .host = "foo1.example", .want = CERTNAME_MISMATCH},
	    {.name = "a partial wildcard, the same", .host = "foo*.example", .want = CERTNAME_OK},
	    {.name = "an empty label", .host = "a.b", .want = CERTNAME_MISMATCH},
	    {.name = "an empty label, the same", .host = "a..b", .want = CERTNAME_OK},
	    {.name = "a leading hyphen, the same", .host = "-lead.example", .want = CERTNAME_OK},
	    {.name = "an underscore is valid", .host = "under_score.example.", .want = CERTNAME_OK},
	    {.name = "nothing", .host = "", .want = CERTNAME_MISMATCH},
	    {.name = "a dot", .host = ".", .want = CERTNAME_MISMATCH},
	};
	certificate(&c, odd, sizeof odd / sizeof odd[0], 1);
	check_rows(&c.crt, odd_rows, sizeof odd_rows / sizeof odd_rows[0]);
	/* Another kind of GeneralName (a URI, [6]) with the same text names nothing. */
	certificate(&c, (const char *const[]){"dns:localhost"}, 1, 1);
	c.crt.subject_alt_names.buf.tag = 0x86;
	assert_int_equal(certname_check(&c.crt, "localhost"), CERTNAME_MISMATCH);
}

static void
test_no_san(void **state)
{
	(void)state;
	static const char *const one[] = {"dns:localhost"};
	struct cert c;
	certificate(&c, one, 1, 0); /* no subjectAltName extension: the Common Name era */
	assert_int_equal(certname_check(&c.crt, "localhost"), CERTNAME_LEGACY_CN);
	assert_int_equal(certname_check(&c.crt, "127.0.0.1"), CERTNAME_LEGACY_CN);
	certificate(&c, one, 1, 1);
	c.crt.subject_alt_names.buf.p = NULL; /* the extension, with no name Mbed TLS kept */
	assert_int_equal(certname_check(&c.crt, "localhost"), CERTNAME_MISMATCH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_no_san),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
