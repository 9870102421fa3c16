/* tls.c: SHA-1's compression function of its own (MBEDTLS_SHA1_PROCESS_ALT), through Mbed
 * TLS's SHA-1 and HMAC as the TLS 1.2 CBC-SHA suites call it; and X25519 as Mbed TLS is
 * built for podhealth (tools/mbedtls-x25519-everest.patch), through the ECDH calls TLS 1.2's
 * handshake makes and the PSA calls TLS 1.3's makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/sha1.h>
#include <psa/crypto.h>
#include <stdio.h>
#include <string.h>

static void
hex(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sscanf(s + 2 * i, "%2hhx", &out[i]), 1);
}

/* Not random: Mbed TLS asks for a generator to blind its own ladders' coordinates; none of
 * these results depends on it. */
static int
counter_rng(void *state, unsigned char *out, size_t n)
{
	unsigned char *c = state;
	for (size_t i = 0; i < n; i++)
		out[i] = (*c)++;
	return 0;
}

/* X25519(k, u) as RFC 7748 defines it, through the calls TLS 1.2's handshake makes: the
 * private key read as Mbed TLS reads one (clamped), the point as a peer's key share (bit 255
 * cleared), their product's x written out. Returns Mbed TLS's error, 0 on success. */
static int
x25519(const unsigned char k[32], const unsigned char u[32], unsigned char out[32])
{
	mbedtls_ecp_keypair key;
	mbedtls_ecp_point peer;
	mbedtls_mpi z;
	unsigned char seed = 1;
	mbedtls_ecp_keypair_init(&key);
	mbedtls_ecp_point_init(&peer);
	mbedtls_mpi_init(&z);
	int ret = mbedtls_ecp_read_key(MBEDTLS_ECP_DP_CURVE25519, &key, k, 32);
	if (ret == 0)
		ret = mbedtls_ecp_point_read_binary(&key.MBEDTLS_PRIVATE(grp), &peer, u, 32);
	if (ret == 0)
		ret = mbedtls_ecdh_compute_shared(&key.MBEDTLS_PRIVATE(grp), &z, &peer,
						  &key.MBEDTLS_PRIVATE(d), counter_rng, &seed);
	if (ret == 0)
		ret = mbedtls_mpi_write_binary_le(&z, out, 32);
	mbedtls_mpi_free(&z);
	mbedtls_ecp_point_free(&peer);
	mbedtls_ecp_keypair_free(&key);
	return ret;
}

/* RFC 7748 section 6.1's keys and shared secret */
static const char *ALICE_PRIV = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char *ALICE_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char *BOB_PRIV = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char *BOB_PUB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char *SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

/* RFC 7748 section 5.2's iterated vector (k = u = 9; each round k = X25519(k, u), u = the
 * old k) after 1 and 1,000 rounds, and section 6.1's exchange from Bob's side: his public
 * key made from his private key (d*G) and the secret from Alice's public key. */
static void
test_x25519_as_rfc_7748(void **state)
{
	(void)state;
	unsigned char k[32] = {9}, u[32] = {9}, out[32];
	char got[65];
	for (int round = 1; round <= 1000; round++) {
		assert_int_equal(x25519(k, u, out), 0);
		memcpy(u, k, 32);
		memcpy(k, out, 32);
		hex(k, 32, got);
		if (round == 1)
			assert_string_equal(got, "422c8e7a6227d7bca1350b3e2bb7279f"
						 "7897b87bb6854b783c60e80311ae3079");
	}
	assert_string_equal(got, "684cf59ba83309552800ef566f2f4d3c"
				 "1c3887c49360e3875f2eb94d99532c51");

	unsigned char priv[32], base[32] = {9}, pub[32];
	unhex(BOB_PRIV, priv, 32);
	assert_int_equal(x25519(priv, base, out), 0);
	hex(out, 32, got);
	assert_string_equal(got, BOB_PUB);
	unhex(ALICE_PUB, pub, 32);
	assert_int_equal(x25519(priv, pub, out), 0);
	hex(out, 32, got);
	assert_string_equal(got, SHARED);
}

/* Section 6.1's exchange from Alice's side, through PSA as TLS 1.3's handshake makes it: her
 * key pair imported, its public half exported (computed from the private one), and the
 * secret agreed with Bob's public key. */
static void
test_x25519_through_psa_as_rfc_7748(void **state)
{
	(void)state;
	assert_int_equal(psa_crypto_init(), PSA_SUCCESS);
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY));
	psa_set_key_bits(&attr, 255);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_DERIVE);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDH);
	unsigned char priv[32], pub[32], out[32];
	char got[65];
	size_t n = 0;
	mbedtls_svc_key_id_t id;
	unhex(ALICE_PRIV, priv, 32);
	assert_int_equal(psa_import_key(&attr, priv, 32, &id), PSA_SUCCESS);
	assert_int_equal(psa_export_public_key(id, out, sizeof out, &n), PSA_SUCCESS);
	assert_int_equal(n, 32);
	hex(out, 32, got);
	assert_string_equal(got, ALICE_PUB);
	unhex(BOB_PUB, pub, 32);
	assert_int_equal(psa_raw_key_agreement(PSA_ALG_ECDH, id, pub, 32, out, sizeof out, &n),
			 PSA_SUCCESS);
	assert_int_equal(n, 32);
	hex(out, 32, got);
	assert_string_equal(got, SHARED);
	assert_int_equal(psa_destroy_key(id), PSA_SUCCESS);
}

/* A u-coordinate of p or more is taken as the same number less p (RFC 7748 section 5: "MUST
 * accept non-canonical values"), as Go does: p + 9 gives what 9, the base point, gives. */
static void
test_x25519_takes_non_canonical_u(void **state)
{
	(void)state;
	unsigned char k[32], nine[32] = {9}, p9[32], a[32], b[32];
	memset(k, 0x5a, sizeof k);
	unhex("f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", p9, 32);
	assert_int_equal(x25519(k, nine, a), 0);
	assert_int_equal(x25519(k, p9, b), 0);
	assert_memory_equal(a, b, 32);
}

/* A key share on a point of small order is refused by Mbed TLS's check of a public key,
 * before any multiplication, as Go's crypto/ecdh refuses it after one (the secret would be
 * all zero): 0, 1, the two points of order 8, p - 1, then p and p + 1 (0 and 1 not
 * reduced), and 0 and 1 with bit 255 set (cleared as the key share is read). */
static void
test_x25519_refuses_low_order_points(void **state)
{
	(void)state;
	static const char *points[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "0100000000000000000000000000000000000000000000000000000000000000",
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "0000000000000000000000000000000000000000000000000000000000000080",
	    "0100000000000000000000000000000000000000000000000000000000000080",
	};
	unsigned char k[32], u[32], out[32];
	memset(k, 0x5a, sizeof k);
	for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
		unhex(points[i], u, 32);
		assert_int_equal(x25519(k, u, out), MBEDTLS_ERR_ECP_INVALID_KEY);
	}
}

/* An x of more than 255 bits, which only a caller setting it directly can give, is refused:
 * Mbed TLS checks the number it is (2^255 + 9 is 28 modulo p) and Everest's X25519 would
 * read 255 bits of it (9), so the patch refuses it where Mbed TLS's own ladder took it. */
static void
test_x25519_refuses_an_x_of_256_bits(void **state)
{
	(void)state;
	mbedtls_ecp_keypair key;
	mbedtls_ecp_point peer, r;
	unsigned char k[32], seed = 1;
	memset(k, 0x5a, sizeof k);
	mbedtls_ecp_keypair_init(&key);
	mbedtls_ecp_point_init(&peer);
	mbedtls_ecp_point_init(&r);
	assert_int_equal(mbedtls_ecp_read_key(MBEDTLS_ECP_DP_CURVE25519, &key, k, 32), 0);
	assert_int_equal(mbedtls_mpi_lset(&peer.MBEDTLS_PRIVATE(X), 9), 0);
	assert_int_equal(mbedtls_mpi_lset(&peer.MBEDTLS_PRIVATE(Z), 1), 0);
	mbedtls_ecp_group *grp = &key.MBEDTLS_PRIVATE(grp);
	const mbedtls_mpi *d = &key.MBEDTLS_PRIVATE(d);
	assert_int_equal(mbedtls_ecp_mul(grp, &r, d, &peer, counter_rng, &seed), 0);
	assert_int_equal(mbedtls_mpi_set_bit(&peer.MBEDTLS_PRIVATE(X), 255, 1), 0);
	assert_int_equal(mbedtls_ecp_mul(grp, &r, d, &peer, counter_rng, &seed),
			 MBEDTLS_ERR_ECP_INVALID_KEY);
	mbedtls_ecp_point_free(&r);
	mbedtls_ecp_point_free(&peer);
	mbedtls_ecp_keypair_free(&key);
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
	    cmocka_unit_test(test_x25519_as_rfc_7748),
	    cmocka_unit_test(test_x25519_through_psa_as_rfc_7748),
	    cmocka_unit_test(test_x25519_takes_non_canonical_u),
	    cmocka_unit_test(test_x25519_refuses_low_order_points),
	    cmocka_unit_test(test_x25519_refuses_an_x_of_256_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
