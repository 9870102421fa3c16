/* Check specifications: positional [NAME=]URL and --check key=value lists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_impl.h"
#include "target.h"

/* t's first HTTP request renders, and ends its head. */
static void
renders(const struct target *t)
{
	struct buf b = {0};
	check_http_first_request(t, &b);
	if (!b.failed && (b.len < 4 || memcmp(b.data + b.len - 4, "\r\n\r\n", 4) != 0))
		__builtin_trap();
	buf_free(&b);
}

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
		if (!t.name || !t.text || !t.path)
			__builtin_trap();
		if (t.kind == TARGET_HTTP)
			renders(&t);
		target_free(&t);
	}
	if (target_parse_spec(s, &t, err, sizeof err) == 0) {
		if (target_set_call(&t, "POST", err, sizeof err) == 0)
			renders(&t);
		target_free(&t);
	}
	free(s);
	return 0;
}
