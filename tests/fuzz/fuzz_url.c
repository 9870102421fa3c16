/* Location headers resolved against a request's URL, as a redirect does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct url base = {
	    .scheme = "http", .hostname = "h", .port = 80, .authority = "h", .target = "/a/b?q"};
	struct url u;
	char err[96];
	if (url_resolve(&base, (const char *)data, size, &u, err, sizeof err) == 0) {
		if (!u.authority || !u.target || u.target[0] != '/')
			__builtin_trap();
		/* No control character ever reaches a request line, nor a fragment. */
		for (const char *p = u.target; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '#')
				__builtin_trap();
		url_free(&u);
	}
	return 0;
}
