/* What podhealth feeds Mbed TLS and reads back: any bytes parsed as a server's
 * certificate (the DER it receives), then certname.c over the names the library kept,
 * and over its name constraints, applied to its own names. The first byte says how long
 * the name is (the rest of the input is the certificate), so names and certificates vary
 * together. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "certname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = data[0] % 64;
	if (n > size - 1)
		n = size - 1;
	char name[65];
	memcpy(name, data + 1, n);
	name[n] = '\0';
	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, data + 1 + n, size - 1 - n) == 0) {
		enum certname_result r = certname_check(&crt, name);
		if (r != CERTNAME_OK && r != CERTNAME_MISMATCH && r != CERTNAME_LEGACY_CN)
			__builtin_trap();
		if (mbedtls_x509_crt_has_ext_type(&crt, MBEDTLS_X509_EXT_NAME_CONSTRAINTS)) {
			r = certname_constrained(&crt, &crt);
			if (r != CERTNAME_OK && r != CERTNAME_NOT_PERMITTED &&
			    r != CERTNAME_BAD_CONSTRAINTS)
				__builtin_trap();
		}
	}
	mbedtls_x509_crt_free(&crt);
	return 0;
}
