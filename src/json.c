#include "json.h"

#include <string.h>

#define JSON_DEPTH_MAX 64

struct json {
	const char *p, *end;
	const char *key, *value; /* what json_array_has looks for */
	int found;               /* of the last member named key: 1 when it held value */
};

static void
space(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int
hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		*out = *out << 4 | (unsigned)d;
	}
	return 0;
}

/* Reads a string at j->p (at its '"'); returns 1 when its decoded text equals want (when
 * want is not NULL), 0 when not, -1 when malformed. */
static int
string(struct json *j, const char *want)
{
	size_t wlen = want ? strlen(want) : 0, at = 0;
	int same = want != NULL;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;
		unsigned cp = c;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->p >= j->end)
				return -1;
			char e = *j->p++;
			const char *simple = strchr("\"\\/bfnrt", e);
			if (e && simple) {
				cp = (unsigned char)"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
			} else if (e == 'u' && j->end - j->p >= 4 && hex4(j->p, &cp) == 0) {
				j->p += 4;
				if (cp > 0x7f)
					same = 0; /* the names compared here are ASCII */
			} else {
				return -1;
			}
		}
		if (same && (at >= wlen || (unsigned char)want[at] != cp))
			same = 0;
		at++;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return same && at == wlen;
}

static int value(struct json *j, int depth, int wanted);

static int
literal(struct json *j, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
number(struct json *j)
{
	const char *p = j->p;
	if (p < j->end && *p == '-')
		p++;
	if (p >= j->end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	if (p < j->end && *p == '.') {
		if (++p >= j->end || *p < '0' || *p > '9')
			return -1;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return -1;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return 0;
}

/* Opens an array or object at j->p. Returns 1 when it closes at once ("[]", "{}"), else
 * 0 with j->p at its first element. */
static int
open_empty(struct json *j, char close)
{
	j->p++;
	space(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 1;
	}
	return 0;
}

/* After an element: 1 at the closing bracket, 0 at a comma (more follow), -1 otherwise. */
static int
separator(struct json *j, char close)
{
	space(j);
	if (j->p >= j->end)
		return -1;
	char c = *j->p++;
	return c == close ? 1 : c == ',' ? 0 : -1;
}

/* An array; wanted: it is the member looked for, so its strings are compared. */
static int
array(struct json *j, int depth, int wanted)
{
	int has = 0;
	if (open_empty(j, ']'))
		return 0;
	for (;;) {
		space(j);
		if (wanted && j->p < j->end && *j->p == '"') {
			int r = string(j, j->value);
			if (r < 0)
				return -1;
			has |= r;
		} else if (value(j, depth + 1, 0) < 0) {
			return -1;
		}
		int end = separator(j, ']');
		if (end != 0)
			return end < 0 ? -1 : has;
	}
}

static int
object(struct json *j, int depth)
{
	if (open_empty(j, '}'))
		return 0;
	for (;;) {
		space(j);
		if (j->p >= j->end || *j->p != '"')
			return -1;
		int is_key = string(j, depth == 0 ? j->key : NULL);
		if (is_key < 0)
			return -1;
		space(j);
		if (j->p >= j->end || *j->p++ != ':')
			return -1;
		space(j);
		int r = value(j, depth + 1, is_key);
		if (r < 0)
			return -1;
		if (is_key)
			j->found = r == 1;
		int end = separator(j, '}');
		if (end != 0)
			return end < 0 ? -1 : 0;
	}
}

/* Reads one value. Returns -1 malformed; else, for the member looked for (wanted), 1 when
 * it is an array holding the string, and 0 otherwise. */
static int
value(struct json *j, int depth, int wanted)
{
	if (depth > JSON_DEPTH_MAX || j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return object(j, depth);
	case '[':
		return array(j, depth, wanted);
	case '"':
		return string(j, NULL) < 0 ? -1 : 0;
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	}
	return number(j);
}

int
json_array_has(const char *text, size_t n, const char *key, const char *val)
{
	struct json j = {text, text + n, key, val, 0};
	space(&j);
	int top = j.p < j.end && *j.p == '{';
	if (value(&j, 0, 0) < 0)
		return -1;
	space(&j);
	if (j.p != j.end)
		return -1;
	return top && j.found;
}
