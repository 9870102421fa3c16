/* Mbed TLS, as podhealth compiles it (MBEDTLS_CONFIG_FILE): a TLS 1.2 and 1.3 client and
 * nothing else. What a Go client (kubelet's) offers and accepts, less what no health check
 * needs: key exchange X25519, P-256, P-384 and P-521; AES-GCM, ChaCha20-Poly1305 and, in
 * TLS 1.2, the ECDHE AES-CBC-SHA suites Go still offers (tls.c names the suites, in Go's
 * order); certificates signed with ECDSA or RSA (PKCS#1 v1.5 and PSS, any size up to 8192
 * bits); SNI, ALPN, session tickets (resumption). No server, no TLS 1.0/1.1, no RSA key
 * exchange, no files, no threads, no renegotiation (Go refuses it too). Randomness comes from the
 * kernel (getrandom, in tls.c) through PSA's external RNG: no entropy pool, no DRBG. */
#ifndef PODHEALTH_MBEDTLS_CONFIG_H
#define PODHEALTH_MBEDTLS_CONFIG_H

/* System */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
#define MBEDTLS_DEPRECATED_REMOVED
/* mbedtls_snprintf is podhealth's own formatter (src/fmt.c): the C library's snprintf
 * would link its whole printf, about 10 KB, for the few texts Mbed TLS formats (object
 * identifiers and names, which podhealth never reads). */
#include <stddef.h>
int fmt_format(char *out, size_t cap, const char *fmt, ...);
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO fmt_format
/* Every allocation through tls.c's, which holds each connection to a budget: a peer's
 * certificate decides how many allocations its parse makes. */
void *tls_calloc(size_t n, size_t size);
void tls_free(void *p);
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO tls_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO tls_free

/* Crypto */
#define MBEDTLS_PSA_CRYPTO_C
/* Key slots on the heap, as many as there are handshakes at once: the default, 32 fixed
 * slots, fails the 17th concurrent one or so. */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC
#define MBEDTLS_PSA_CRYPTO_CONFIG /* tools/mbedtls_psa_config.h */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_AES_ROM_TABLES /* its 1.3 KB of tables shared read-only, not made in bss */
#define MBEDTLS_CIPHER_MODE_CBC /* the ECDHE AES-CBC-SHA suites Go still offers */
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_SHA1_C /* HMAC-SHA1 of those suites' records; no SHA-1 signature */
#define MBEDTLS_SHA1_PROCESS_ALT /* tls.c's: a loop, 4.4 KB less than Mbed TLS's */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_HKDF_C /* TLS 1.3's key schedule */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_SECP521R1_ENABLED /* 3.3 KB: Go takes P-521 certificates and groups */
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
/* Every multiplication on Curve25519 through Project Everest's verified X25519, in Mbed
 * TLS's tree (tools/mbedtls-x25519-everest.patch): about a fifth of the CPU of Mbed TLS's
 * generic ladder, two of them in each full handshake on X25519, the group offered first
 * (doc/footprint.md, the table of choices). */
#define MBEDTLS_ECP_X25519_EVEREST
/* Fast reduction modulo the NIST primes: 3.4 KB that take a full handshake with a P-256
 * certificate from 2.4x Go's CPU to 1.1-1.2x (exec probe, measured beside Go's client). */
#define MBEDTLS_ECP_NIST_OPTIM
/* A precomputed table of P-256's base point alone (tools/mbedtls-fixed-point-p256.patch;
 * P-384's and P-521's would cost 14 KB more): 2.2 KB that take about 15% off a full P-256
 * handshake's CPU (the ECDHE key and half of the ECDSA verification multiply the base
 * point; doc/footprint.md, the table of choices). */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 1
#define MBEDTLS_ECP_FIXED_POINT_P256_ONLY
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_MPI_MAX_SIZE 1024 /* bytes: RSA keys up to 8192 bits */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* Certificates */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* RSA certificates under TLS 1.3 */
#define MBEDTLS_X509_REMOVE_INFO        /* no text descriptions of certificates */

/* TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE /* TLS 1.3 requires it */
/* Records: a server may send 16 KiB ones; podhealth sends a request, a few hundred bytes,
 * so its own records stay small (the ClientHello included). */
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096
/* Go accepts chains of any length its verifier can build; Mbed TLS's default is 8. */
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 16

#endif
