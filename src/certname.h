/* The server name check of a verified TLS connection (ca=), as Go's crypto/x509 makes it
 * (Certificate.VerifyHostname): an IP address against the leaf certificate's iPAddress
 * subjectAltNames, a host name against its dNSName ones, never against the Common Name
 * (Go 1.15 and later). It reads the names Mbed TLS parsed from the certificate (one
 * parser of the server's DER, the library's). */
#ifndef PODHEALTH_CERTNAME_H
#define PODHEALTH_CERTNAME_H

#include <mbedtls/oid.h> /* MBEDTLS_X509_EXT_* */
#include <mbedtls/x509_crt.h>

enum certname_result {
	CERTNAME_OK,        /* a subjectAltName matches */
	CERTNAME_MISMATCH,  /* none does */
	CERTNAME_LEGACY_CN, /* no subjectAltName extension: Go refuses the Common Name */
};

/* Checks name (a host name, or an IPv4 or IPv6 address without brackets) against the
 * subjectAltNames of certificate crt. */
enum certname_result certname_check(const mbedtls_x509_crt *crt, const char *name);

#endif
