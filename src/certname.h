/* The name checks of a verified TLS connection (ca=), as Go's crypto/x509 makes them: the
 * server name (Certificate.VerifyHostname): an IP address against the leaf certificate's
 * iPAddress subjectAltNames, a host name against its dNSName ones, never against the
 * Common Name (Go 1.15 and later); and the name constraints of the CAs above it. It reads
 * the names Mbed TLS parsed from the certificate (one parser of the server's DER, the
 * library's), and the constraints' DER from the CA's extensions. */
#ifndef PODHEALTH_CERTNAME_H
#define PODHEALTH_CERTNAME_H

#include <mbedtls/oid.h> /* MBEDTLS_X509_EXT_* */
#include <mbedtls/x509_crt.h>

enum certname_result {
	CERTNAME_OK,              /* a subjectAltName matches */
	CERTNAME_MISMATCH,        /* none does */
	CERTNAME_LEGACY_CN,       /* no subjectAltName extension: Go refuses the Common Name */
	CERTNAME_NOT_PERMITTED,   /* a CA's name constraints exclude a name, or permit none */
	CERTNAME_BAD_CONSTRAINTS, /* a CA's name constraints do not parse, or cannot be applied */
};

/* Checks name (a host name, or an IPv4 or IPv6 address without brackets) against the
 * subjectAltNames of certificate crt. */
enum certname_result certname_check(const mbedtls_x509_crt *crt, const char *name);

/* Checks the subjectAltNames of certificate leaf against the name constraints of ca (a CA
 * above it in a verified chain, marked MBEDTLS_X509_EXT_NAME_CONSTRAINTS: Mbed TLS marks
 * them, tools/mbedtls-name-constraints.patch, and leaves them to this), as Go's
 * crypto/x509 does for DNS names and IP addresses: CERTNAME_OK, CERTNAME_NOT_PERMITTED,
 * or CERTNAME_BAD_CONSTRAINTS (malformed; a kind Go leaves unhandled in a critical
 * extension; email or URI constraints that a leaf name of their kind would meet). */
enum certname_result certname_constrained(const mbedtls_x509_crt *ca, const mbedtls_x509_crt *leaf);

/* Returns 1 when every uniformResourceIdentifier subjectAltName of crt parses as
 * crypto/x509's parseSANExtension takes it, verified or not: url.Parse, then
 * domainToReverseLabels on its host, if it has one; else 0 (Go refuses the certificate). */
int certname_uris_parse(const mbedtls_x509_crt *crt);

#endif
