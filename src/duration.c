#include "duration.h"
#include "fmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

int
duration_parse(const char *s, int64_t max_ms, int64_t *ms, char *err, size_t errlen)
{
	const char *p = s;
	int64_t whole = 0, frac = 0, scale = 1;
	int digits = 0;
	if (*p == '-')
		return fmt_error(err, errlen, "must be positive");
	while (isdigit((unsigned char)*p)) {
		if (++digits > 9)
			return fmt_error(err, errlen, "is too large");
		whole = whole * 10 + (*p++ - '0');
	}
	if (*p == '.') {
		p++;
		int fdigits = 0;
		while (isdigit((unsigned char)*p)) {
			if (++fdigits > 6)
				return fmt_error(err, errlen, "has too many decimals");
			frac = frac * 10 + (*p++ - '0');
			scale *= 10;
		}
		if (fdigits == 0)
			return fmt_error(err, errlen,
					 "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	}
	if (digits == 0 && scale == 1)
		return fmt_error(err, errlen, "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	int64_t unit_us;
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit_us = 1000000;
	else if (strcmp(p, "ms") == 0)
		unit_us = 1000;
	else if (strcmp(p, "m") == 0)
		unit_us = 60 * 1000000LL;
	else if (strcmp(p, "h") == 0)
		unit_us = 3600 * 1000000LL;
	else
		return fmt_error(err, errlen, "has an unknown unit (want ms, s, m or h)");
	int64_t us = whole * unit_us + frac * unit_us / scale;
	if (us == 0)
		return fmt_error(err, errlen, "must be greater than zero");
	if (us < 1000)
		return fmt_error(err, errlen, "is shorter than 1ms");
	if (us / 1000 > max_ms) {
		char max[32];
		duration_format(max_ms, max, sizeof max);
		return fmt_error(err, errlen, "is longer than the maximum, %s", max);
	}
	*ms = us / 1000;
	return 0;
}

void
duration_format(int64_t ms, char *out, size_t len)
{
	if (ms < 1000)
		fmt_format(out, len, "%lldms", (long long)ms);
	else if (ms % 1000 == 0 && ms < 60000)
		fmt_format(out, len, "%llds", (long long)(ms / 1000));
	else if (ms < 60000)
		fmt_format(out, len, "%lld.%03llds", (long long)(ms / 1000),
			   (long long)(ms % 1000));
	else if (ms % 3600000 == 0)
		fmt_format(out, len, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		fmt_format(out, len, "%lldm", (long long)(ms / 60000));
	else
		fmt_format(out, len, "%lldm%llds", (long long)(ms / 60000),
			   (long long)(ms % 60000 / 1000));
	/* "2.500s" reads better as "2.5s". */
	char *dot = strchr(out, '.');
	if (dot) {
		char *end = dot + strlen(dot) - 1; /* the 's' */
		while (end[-1] == '0')
			memmove(end - 1, end, 2), end--;
	}
}
