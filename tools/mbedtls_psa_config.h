/* The PSA crypto mechanisms Mbed TLS's TLS 1.3 client uses (MBEDTLS_PSA_CRYPTO_CONFIG_FILE;
 * without MBEDTLS_USE_PSA_CRYPTO the rest of TLS uses the classic modules of
 * mbedtls_config.h): the key schedule (HKDF, HMAC, SHA-256/384) and the ECDHE key exchange
 * (X25519, P-256, P-384). Everything else PSA could do stays out of the binary. */
#ifndef PODHEALTH_MBEDTLS_PSA_CONFIG_H
#define PODHEALTH_MBEDTLS_PSA_CONFIG_H

#define PSA_WANT_ALG_HKDF 1
#define PSA_WANT_ALG_HKDF_EXTRACT 1
#define PSA_WANT_ALG_HKDF_EXPAND 1
#define PSA_WANT_ALG_HMAC 1
#define PSA_WANT_ALG_SHA_256 1
#define PSA_WANT_ALG_SHA_384 1
#define PSA_WANT_ALG_ECDH 1
#define PSA_WANT_ECC_MONTGOMERY_255 1
#define PSA_WANT_ECC_SECP_R1_256 1
#define PSA_WANT_ECC_SECP_R1_384 1
#define PSA_WANT_KEY_TYPE_DERIVE 1
#define PSA_WANT_KEY_TYPE_HMAC 1
#define PSA_WANT_KEY_TYPE_ECC_PUBLIC_KEY 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_BASIC 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_IMPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_EXPORT 1
#define PSA_WANT_KEY_TYPE_ECC_KEY_PAIR_GENERATE 1

#endif
