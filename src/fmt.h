/* Formatting without the C library's printf, which is a tenth of the static binary. */
#ifndef PODHEALTH_FMT_H
#define PODHEALTH_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Formats like vsnprintf, for the conversions podhealth uses: %s (with a precision,
 * %.40s or %.*s), %c, %d %i %u %x with the l, ll or z modifier, a width, the '0' and '-'
 * flags, and %%. Anything else (floating point, %p, %n) is copied as is and its argument
 * left alone; the format attribute on every caller lets the compiler see those. Returns
 * the length of the whole output; writes at most cap - 1 bytes and a NUL when cap > 0. */
int fmt_vformat(char *out, size_t cap, const char *fmt, va_list ap);

/* fmt_vformat with arguments. */
int fmt_format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats an error message into err (errlen bytes) and returns -1, for parsers that
 * report why they refused something. */
int fmt_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A short lower-case reason for errno value err ("connection refused", "address in
 * use"), the same whatever the C library and without linking its table of messages;
 * "error N" for the rest. Static storage (the loop thread's). */
const char *fmt_strerror(int err);

/* Go's strconv.ParseBool: 1 for 1 t T TRUE true True, 0 for 0 f F FALSE false False, else
 * -1. */
int fmt_parse_bool(const char *s);

/* Parses the n decimal digits at s (at most 10, no sign) into *out when the value is in
 * [min, max]. Returns 0, or -1. The one integer parser of the command line. */
int fmt_parse_uint(const char *s, size_t n, unsigned long min, unsigned long max,
		   unsigned long *out);

/* The byte a percent-escape ("%" and two hex digits) at s stands for, n bytes being
 * available there; -1 when s does not start with one. The one decoder of escapes. */
int fmt_percent_byte(const char *s, size_t n);

/* Replaces each control character but tab (below 0x20, and 0x7f) in the string s with a
 * space: every reason and warning passes here before any output, so that no upstream can
 * add a line to a listing, a log or probe's output, nor steer a terminal. */
void fmt_printable(char *s);

/* Writes all len bytes of s to fd, retrying after EINTR and partial writes. Returns 0, or
 * -1 with errno set. */
int fmt_write(int fd, const char *s, size_t len);

/* fmt_write of a NUL-terminated string. */
int fmt_puts(int fd, const char *s);

#endif
