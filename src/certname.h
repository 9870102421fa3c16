/* The server name check of a verified TLS connection (ca=), as Go's crypto/x509 makes it
 * (Certificate.VerifyHostname): an IP address against the leaf certificate's iPAddress
 * subjectAltNames, a host name against its dNSName ones, never against the Common Name
 * (Go 1.15 and later). Pure: reads the certificate's DER, untrusted input. */
#ifndef PODHEALTH_CERTNAME_H
#define PODHEALTH_CERTNAME_H

#include <stddef.h>

enum certname_result {
	CERTNAME_OK,        /* a subjectAltName matches */
	CERTNAME_MISMATCH,  /* none does */
	CERTNAME_LEGACY_CN, /* no subjectAltName at all: Go refuses the Common Name */
	CERTNAME_MALFORMED, /* the certificate's DER cannot be read */
};

/* Checks name (a host name, or an IPv4 or IPv6 address without brackets) against the
 * subjectAltNames of certificate der (len bytes). */
enum certname_result certname_check(const unsigned char *der, size_t len, const char *name);

#endif
