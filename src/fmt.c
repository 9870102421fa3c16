#include "fmt.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct out {
	char *p;
	size_t cap, len;
};

static void
put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->p[o->len] = c;
	o->len++;
}

/* Writes s (len bytes) padded to width: on the left with pad, or with spaces on the
 * right when left is set. A '-' sign goes before zero padding. */
static void
put_field(struct out *o, const char *s, int len, int width, char pad, int left)
{
	if (len > 0 && *s == '-' && pad == '0' && !left) {
		put(o, *s++);
		len--;
		width--;
	}
	for (; !left && width > len; width--)
		put(o, pad);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	for (; left && width > len; width--)
		put(o, ' ');
}

static void
put_number(struct out *o, uintmax_t v, int negative, unsigned base, int width, char pad, int left)
{
	char digits[24];
	int n = sizeof digits;
	do {
		digits[--n] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		digits[--n] = '-';
	put_field(o, digits + n, (int)sizeof digits - n, width, pad, left);
}

int
fmt_vformat(char *out, size_t cap, const char *fmt, va_list ap)
{
	struct out o = {out, cap, 0};
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		const char *start = f++;
		char pad = ' ';
		int width = 0, precision = -1, mod = 0, left = 0; /* mod: 1 l, 2 ll, 3 z */
		for (;; f++) {
			if (*f == '0')
				pad = '0';
			else if (*f == '-')
				left = 1;
			else
				break;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (*f == '.') {
			f++;
			precision = 0;
			if (*f == '*') {
				precision = va_arg(ap, int);
				f++;
			} else {
				while (*f >= '0' && *f <= '9')
					precision = precision * 10 + (*f++ - '0');
			}
		}
		if (*f == 'l')
			mod = 1, f++;
		if (*f == 'l')
			mod = 2, f++;
		if (*f == 'z')
			mod = 3, f++;
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = 0;
			while ((precision < 0 || len < precision) && s[len]) /* no byte past it */
				len++;
			put_field(&o, s, len, width, ' ', left);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_field(&o, &c, 1, width, ' ', left);
			break;
		}
		case 'd':
		case 'i': {
			intmax_t v = mod == 2   ? va_arg(ap, long long)
				     : mod == 1 ? va_arg(ap, long)
				     : mod == 3 ? (intmax_t)va_arg(ap, size_t)
						: va_arg(ap, int);
			put_number(&o, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, 10, width, pad,
				   left);
			break;
		}
		case 'u':
		case 'x': {
			uintmax_t v = mod == 2   ? va_arg(ap, unsigned long long)
				      : mod == 1 ? va_arg(ap, unsigned long)
				      : mod == 3 ? va_arg(ap, size_t)
						 : va_arg(ap, unsigned);
			put_number(&o, v, 0, *f == 'x' ? 16 : 10, width, pad, left);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* Not a conversion we know (the format attribute keeps these out of
			 * our code): copy it rather than guess at its arguments. */
			for (const char *p = start; p <= f && *p; p++)
				put(&o, *p);
			if (!*f)
				f--;
			break;
		}
	}
	if (cap)
		out[o.len < cap ? o.len : cap - 1] = '\0';
	return (int)o.len;
}

int
fmt_format(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vformat(out, cap, fmt, ap);
	va_end(ap);
	return n;
}

int
fmt_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
fmt_write(int fd, const char *s, size_t len)
{
	/* A reader that went away must not end the process: SIGPIPE is held back for the
	 * write, and the one it raised is taken off the pending set, so the write just fails
	 * with EPIPE. (Changing its disposition instead would leak into wait's command.) */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	/* sigprocmask fails only for an invalid how: never here. */
	(void)sigprocmask(SIG_BLOCK, &pipe_set, &old);
	int rc = 0;
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			struct timespec now = {0, 0};
			if (saved == EPIPE)
				sigtimedwait(&pipe_set, NULL, &now);
			errno = saved;
			rc = -1;
			break;
		}
		s += n;
		len -= (size_t)n;
	}
	int saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return rc;
}

int
fmt_puts(int fd, const char *s)
{
	return fmt_write(fd, s, strlen(s));
}

int
fmt_parse_uint(const char *s, size_t n, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

int
fmt_percent_byte(const char *s, size_t n)
{
	if (n < 3 || s[0] != '%' || hex_digit(s[1]) < 0 || hex_digit(s[2]) < 0)
		return -1;
	return hex_digit(s[1]) << 4 | hex_digit(s[2]);
}

void
fmt_printable(char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			*s = ' ';
}

int
fmt_parse_bool(const char *s)
{
	static const char *const words[] = {"0", "f", "F", "FALSE", "false", "False",
					    "1", "t", "T", "TRUE",  "true",  "True"};
	for (int i = 0; i < 12; i++)
		if (strcmp(s, words[i]) == 0)
			return i >= 6;
	return -1;
}

const char *
fmt_strerror(int err)
{
	static char other[24];
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection reset";
	case ETIMEDOUT:
		return "connection timed out";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case EADDRNOTAVAIL:
		return "address not available";
	case EMFILE:
	case ENFILE:
		return "too many open files";
	case ENOMEM:
	case ENOBUFS:
		return "out of memory";
	case EAGAIN:
		return "resource temporarily unavailable";
	case EADDRINUSE:
		return "address in use";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EAFNOSUPPORT:
		return "address family not supported";
	case ENOENT:
		return "no such file or directory";
	case EPIPE:
		return "broken pipe";
	default:
		fmt_format(other, sizeof other, "error %d", err);
		return other;
	}
}
