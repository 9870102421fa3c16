/* Check specifications: positional [NAME=]URL and --check key=value lists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct target t;
	char err[256];
	if (target_parse(s, &t, err, sizeof err) == 0) {
		if (!t.name || !t.text || (t.kind == TARGET_HTTP && !t.request))
			__builtin_trap();
		target_free(&t);
	}
	if (target_parse_spec(s, &t, err, sizeof err) == 0) {
		if (target_set_call(&t, "POST", err, sizeof err) == 0 && !t.request)
			__builtin_trap();
		target_free(&t);
	}
	free(s);
	return 0;
}
