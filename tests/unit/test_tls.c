/* tls.c: SHA-1's compression function of its own (MBEDTLS_SHA1_PROCESS_ALT), through Mbed
 * TLS's SHA-1 and HMAC as the TLS 1.2 CBC-SHA suites call it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/md.h>
#include <mbedtls/sha1.h>
#include <stdio.h>
#include <string.h>

static void
hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* FIPS 180-4's examples (one block, two blocks) and a million 'a's (15,625 blocks, each
 * word of the schedule wrapped many times), fed in uneven pieces. */
static void
test_sha1_as_fips_180_4(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t repeat;
		const char *digest;
	} cases[] = {
	    {"", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	    {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	    {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mbedtls_sha1_context ctx;
		unsigned char out[20];
		char got[41];
		mbedtls_sha1_init(&ctx);
		assert_int_equal(mbedtls_sha1_starts(&ctx), 0);
		size_t n = strlen(cases[i].in);
		unsigned char chunk[1000];
		if (cases[i].repeat > 1) {
			memset(chunk, cases[i].in[0], sizeof chunk);
			for (size_t left = cases[i].repeat; left;) {
				size_t take =
				    left < 997 ? left : 997; /* never a whole block's edge */
				assert_int_equal(mbedtls_sha1_update(&ctx, chunk, take), 0);
				left -= take;
			}
		} else {
			assert_int_equal(
			    mbedtls_sha1_update(&ctx, (const unsigned char *)cases[i].in, n), 0);
		}
		assert_int_equal(mbedtls_sha1_finish(&ctx, out), 0);
		mbedtls_sha1_free(&ctx);
		hex(out, sizeof out, got);
		assert_string_equal(got, cases[i].digest);
	}
}

/* HMAC-SHA1, what the CBC-SHA suites' records carry: RFC 2202's test cases 1 and 6 (a key
 * longer than a block, hashed first). */
static void
test_hmac_sha1_as_rfc_2202(void **state)
{
	(void)state;
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
	assert_non_null(md);
	unsigned char key1[20], key6[80], out[20];
	char got[41];
	memset(key1, 0x0b, sizeof key1);
	memset(key6, 0xaa, sizeof key6);
	assert_int_equal(
	    mbedtls_md_hmac(md, key1, sizeof key1, (const unsigned char *)"Hi There", 8, out), 0);
	hex(out, sizeof out, got);
	assert_string_equal(got, "b617318655057264e28bc0b6fb378c8ef146be00");
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	assert_int_equal(
	    mbedtls_md_hmac(md, key6, sizeof key6, (const unsigned char *)m6, strlen(m6), out), 0);
	hex(out, sizeof out, got);
	assert_string_equal(got, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha1_as_fips_180_4),
	    cmocka_unit_test(test_hmac_sha1_as_rfc_2202),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
