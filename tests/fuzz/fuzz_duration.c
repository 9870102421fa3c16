/* Durations: whatever is accepted is in range and formats back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], err[128], out[32];
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t ms = 0;
	if (duration_parse(s, 3600 * 1000, &ms, err, sizeof err) == 0) {
		if (ms < 1 || ms > 3600 * 1000)
			__builtin_trap();
		duration_format(ms, out, sizeof out);
		int64_t again = 0;
		if (duration_parse(out, 3600 * 1000, &again, err, sizeof err) != 0 || again != ms)
			__builtin_trap();
	}
	return 0;
}
