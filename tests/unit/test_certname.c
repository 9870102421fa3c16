/* certname.c: the server name against a certificate's subjectAltNames, as Go's
 * VerifyHostname: DNS names with one leftmost wildcard label, IP addresses (IPv4 and its
 * IPv6-mapped form alike), no Common Name fallback, and malformed DER refused. The
 * certificates are built here, field by field: only the path to the extension is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "certname.h"

/* Appends a TLV (short or two-byte long length). */
static void
tlv(struct buf *b, unsigned char tag, const void *p, size_t n)
{
	unsigned char head[4] = {tag};
	size_t h = 2;
	if (n < 128) {
		head[1] = (unsigned char)n;
	} else {
		head[1] = 0x82;
		head[2] = (unsigned char)(n >> 8);
		head[3] = (unsigned char)n;
		h = 4;
	}
	buf_append(b, head, h);
	buf_append(b, p, n);
}

/* A certificate whose subjectAltName holds names: "dns:NAME" or "ip:" and the address
 * bytes' count then the bytes; san 0: no such extension. */
static struct buf
certificate(const char *const *names, size_t n, int san, int critical)
{
	struct buf gns = {0}, gn_seq = {0}, octets = {0}, ext = {0}, exts = {0}, tagged = {0},
		   tbs = {0}, cert = {0};
	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], "dns:", 4) == 0)
			tlv(&gns, 0x82, names[i] + 4, strlen(names[i] + 4));
		else
			tlv(&gns, 0x87, names[i] + 4, (size_t)names[i][3]);
	}
	tlv(&gn_seq, 0x30, gns.data, gns.len);
	tlv(&ext, 0x06, san ? "\x55\x1d\x11" : "\x55\x1d\x13", 3);
	if (critical)
		tlv(&ext, 0x01, "\xff", 1);
	tlv(&ext, 0x04, gn_seq.data, gn_seq.len);
	tlv(&exts, 0x30, ext.data, ext.len);
	struct buf seq = {0};
	tlv(&seq, 0x30, exts.data, exts.len);
	tlv(&tagged, 0xa3, seq.data, seq.len);
	tlv(&tbs, 0xa0, "\x02\x01\x02", 3); /* [0] version 3 */
	tlv(&tbs, 0x02, "\x01", 1);         /* serial */
	for (int i = 0; i < 5; i++)         /* signature, issuer, validity, subject, key */
		tlv(&tbs, 0x30, "", 0);
	buf_append(&tbs, tagged.data, tagged.len);
	struct buf tbs_seq = {0};
	tlv(&tbs_seq, 0x30, tbs.data, tbs.len);
	tlv(&cert, 0x30, tbs_seq.data, tbs_seq.len);
	struct buf *all[] = {&gns, &gn_seq, &octets, &ext, &exts, &tagged, &tbs, &seq, &tbs_seq};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		buf_free(all[i]);
	assert_false(cert.failed);
	return cert;
}

static void
test_names(void **state)
{
	(void)state;
	static const char *const sans[] = {
	    "dns:localhost", "dns:*.svc.example.", "dns:API.Example", "ip:\x04\x7f\x00\x00\x01",
	    "ip:\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"};
	static const struct {
		const char *name, *host;
		enum certname_result want;
	} rows[] = {
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
	struct buf cert = certificate(sans, 5, 1, 0);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum certname_result got =
		    certname_check((const unsigned char *)cert.data, cert.len, rows[i].host);
		if (got != rows[i].want)
			fail_msg("%s: %d, want %d", rows[i].name, got, rows[i].want);
	}
	buf_free(&cert);
	/* IPv4 in a 16-byte SAN (::ffff:10.0.0.1) is the same address, as in Go. */
	static const char *const mapped[] = {
	    "ip:\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x0a\x00\x00\x01"};
	cert = certificate(mapped, 1, 1, 1);
	assert_int_equal(certname_check((const unsigned char *)cert.data, cert.len, "10.0.0.1"),
			 CERTNAME_OK);
	buf_free(&cert);
}

static void
test_no_san_and_malformed(void **state)
{
	(void)state;
	static const char *const none[] = {"dns:localhost"};
	struct buf cert = certificate(none, 1, 0, 0); /* basicConstraints, no SAN */
	assert_int_equal(certname_check((const unsigned char *)cert.data, cert.len, "localhost"),
			 CERTNAME_LEGACY_CN);
	buf_free(&cert);
	cert = certificate(none, 1, 1, 0);
	/* Every cut short of the whole is malformed, never read past its end. */
	for (size_t n = 0; n < cert.len; n++)
		if (certname_check((const unsigned char *)cert.data, n, "localhost") !=
		    CERTNAME_MALFORMED)
			fail_msg("cut at %zu of %zu: not refused", n, cert.len);
	assert_int_equal(certname_check((const unsigned char *)cert.data, cert.len, "localhost"),
			 CERTNAME_OK);
	buf_free(&cert);
	assert_int_equal(certname_check(NULL, 0, "localhost"), CERTNAME_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_no_san_and_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
