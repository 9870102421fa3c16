/* certname.c on any bytes: the first byte says how long the name is (the rest of the input
 * is the certificate's DER), so names and certificates vary together. */
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
	enum certname_result r = certname_check(data + 1 + n, size - 1 - n, name);
	if (r != CERTNAME_OK && r != CERTNAME_MISMATCH && r != CERTNAME_LEGACY_CN &&
	    r != CERTNAME_MALFORMED)
		__builtin_trap();
	return 0;
}
