#include "certname.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

/* Go's validHostname: labels of ASCII letters, digits, '_' and '-' (not first), none
 * empty; a name's final dot is dropped first, a pattern's first label may be "*", and "*"
 * alone is no pattern (Go 1.20 and later). */
static int
valid_hostname(const unsigned char *s, size_t n, int pattern)
{
	if (!pattern && n && s[n - 1] == '.')
		n--;
	if (n == 0 || (n == 1 && s[0] == '*'))
		return 0;
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start)
				return 0;
			start = i + 1;
		} else if (!(isalnum(s[i]) || s[i] == '_' || (s[i] == '-' && i != start) ||
			     (pattern && i == 0 && s[0] == '*' && s[1] == '.'))) {
			return 0;
		}
	}
	return 1;
}

/* Go's VerifyHostname for a host name: when both the name and the pattern are valid
 * (above), matchHostnames: labels compared without case, the name's final dot ignored,
 * and a pattern's leftmost label "*" standing for exactly one label; otherwise
 * matchExactly: the two the same but for case. */
static int
dns_match(const unsigned char *pattern, size_t pn, const char *host)
{
	size_t hn = strlen(host);
	int exact =
	    !valid_hostname((const unsigned char *)host, hn, 0) || !valid_hostname(pattern, pn, 1);
	if (exact && (hn == 0 || (hn == 1 && host[0] == '.') || pn != hn))
		return 0;
	if (!exact && host[hn - 1] == '.')
		hn--;
	for (size_t pi = 0, hi = 0, first = 1;; first = 0) {
		const unsigned char *pd = exact ? NULL : memchr(pattern + pi, '.', pn - pi);
		const char *hd = exact ? NULL : memchr(host + hi, '.', hn - hi);
		size_t pl = pd ? (size_t)(pd - pattern) - pi : pn - pi;
		size_t hl = hd ? (size_t)(hd - host) - hi : hn - hi;
		int star = !exact && first && pl == 1 && pattern[pi] == '*';
		if (!star && pl != hl)
			return 0;
		for (size_t k = 0; !star && k < pl; k++)
			if (tolower(pattern[pi + k]) != tolower((unsigned char)host[hi + k]))
				return 0;
		pi += pl;
		hi += hl;
		if (pi == pn || hi == hn)
			return pi == pn && hi == hn;
		pi++; /* the dots */
		hi++;
	}
}

/* An address in 16 bytes, IPv4 as ::ffff:a.b.c.d (Go's net.IP.Equal makes the two forms
 * one). Returns 1, or 0 when n is neither 4 nor 16. */
static int
ip16(const unsigned char *p, size_t n, unsigned char out[16])
{
	if (n != 4 && n != 16)
		return 0;
	memset(out, 0, 16);
	if (n == 4)
		out[10] = out[11] = 0xff;
	memcpy(out + 16 - n, p, n);
	return 1;
}

enum certname_result
certname_check(const mbedtls_x509_crt *crt, const char *name)
{
	if (!mbedtls_x509_crt_has_ext_type(crt, MBEDTLS_X509_EXT_SUBJECT_ALT_NAME))
		return CERTNAME_LEGACY_CN;
	unsigned char want[16], addr[16];
	size_t alen = inet_pton(AF_INET, name, addr) == 1    ? 4
		      : inet_pton(AF_INET6, name, addr) == 1 ? 16
							     : 0;
	int is_ip = alen && ip16(addr, alen, want);
	/* Each GeneralName as its tag, [2] dNSName or [7] iPAddress, and its contents. */
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		const mbedtls_x509_buf *gn = &s->buf;
		if (is_ip && gn->tag == 0x87 && ip16(gn->p, gn->len, addr) &&
		    memcmp(addr, want, 16) == 0)
			return CERTNAME_OK;
		if (!is_ip && gn->tag == 0x82 && dns_match(gn->p, gn->len, name))
			return CERTNAME_OK;
	}
	return CERTNAME_MISMATCH;
}
