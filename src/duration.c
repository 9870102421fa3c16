#include "duration.h"

#include "fmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

/* Parses one "<number>[unit]" at *p into microseconds. Returns 0, or -1 with err set. */
static int
segment(const char **p, int need_unit, int64_t *us, char *err, size_t errlen)
{
	const char *s = *p;
	int64_t whole = 0, frac = 0, scale = 1;
	int digits = 0, fdigits = 0;
	while (*s >= '0' && *s <= '9') {
		if (++digits > 9)
			return fmt_error(err, errlen, "is too large");
		whole = whole * 10 + (*s++ - '0');
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (++fdigits > 6)
				return fmt_error(err, errlen, "has too many decimals");
			frac = frac * 10 + (*s++ - '0');
			scale *= 10;
		}
		if (fdigits == 0)
			return fmt_error(err, errlen,
					 "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	}
	if (digits == 0 && fdigits == 0)
		return fmt_error(err, errlen, "is not a duration (e.g. 3, 2.5, 500ms, 3s, 1m)");
	int64_t unit;
	if (strncmp(s, "ms", 2) == 0)
		unit = 1000, s += 2;
	else if (*s == 's')
		unit = 1000000, s++;
	else if (*s == 'm')
		unit = 60 * 1000000LL, s++;
	else if (*s == 'h')
		unit = 3600 * 1000000LL, s++;
	else if (*s == '\0' && !need_unit)
		unit = 1000000; /* plain seconds, as in the original form */
	else
		return fmt_error(err, errlen, "has an unknown unit (want ms, s, m or h)");
	if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
		return fmt_error(err, errlen, "has an unknown unit (want ms, s, m or h)");
	*us = whole * unit + frac * unit / scale;
	*p = s;
	return 0;
}

int
duration_parse(const char *s, int64_t max_ms, int64_t *ms, char *err, size_t errlen)
{
	if (*s == '-')
		return fmt_error(err, errlen, "must be positive");
	/* One number, or segments each with a unit, as Go's time.ParseDuration: "1m30s". */
	int64_t total = 0, us = 0;
	const char *p = s;
	do {
		if (segment(&p, p != s || p[strspn(p, "0123456789.")] != '\0', &us, err, errlen) <
		    0)
			return -1;
		total += us;
		if (total / 1000 > max_ms)
			break;
	} while (*p);
	if (total == 0)
		return fmt_error(err, errlen, "must be greater than zero");
	if (total < 1000)
		return fmt_error(err, errlen, "is shorter than 1ms");
	if (total / 1000 > max_ms) {
		char max[32];
		duration_format(max_ms, max, sizeof max);
		return fmt_error(err, errlen, "is longer than the maximum, %s", max);
	}
	*ms = total / 1000;
	return 0;
}

void
duration_format(int64_t ms, char *out, size_t len)
{
	/* Exact and short, as Go's time.Duration prints: "500ms", "2.5s", "3m35.2s", "1h30m". */
	if (ms < 1000) {
		fmt_format(out, len, "%lldms", (long long)ms);
		return;
	}
	long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
	size_t n = 0;
	if (h)
		n += (size_t)fmt_format(out + n, len - n, "%lldh", h);
	if (m && n < len)
		n += (size_t)fmt_format(out + n, len - n, "%lldm", m);
	if ((s || frac) && n < len) {
		if (!frac) {
			fmt_format(out + n, len - n, "%llds", s);
			return;
		}
		/* "2.500" reads better as "2.5". */
		int digits = frac % 100 == 0 ? 1 : frac % 10 == 0 ? 2 : 3;
		long long shown = digits == 1 ? frac / 100 : digits == 2 ? frac / 10 : frac;
		fmt_format(out + n, len - n,
			   digits == 1   ? "%lld.%01llds"
			   : digits == 2 ? "%lld.%02llds"
					 : "%lld.%03llds",
			   s, shown);
	}
}
