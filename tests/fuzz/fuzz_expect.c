/* expect= lists: ranges stay within 100-599 and ordered. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], err[128];
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct status_range r[TARGET_MAX_RANGES];
	int n = target_parse_expect(s, r, err, sizeof err);
	if (n > TARGET_MAX_RANGES)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (r[i].lo < 100 || r[i].hi > 599 || r[i].lo > r[i].hi)
			__builtin_trap();
	return 0;
}
