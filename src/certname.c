#include "certname.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

struct der {
	const unsigned char *p;
	size_t n;
};

/* Takes the next TLV off *d: its tag (one byte) and its contents. Returns 0, or -1 when
 * malformed (a length past the end, an indefinite or over-long length). */
static int
tlv(struct der *d, unsigned *tag, struct der *out)
{
	if (d->n < 2 || (d->p[0] & 0x1f) == 0x1f)
		return -1;
	size_t len = d->p[1], head = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 3 || d->n < 2 + k)
			return -1;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		head += k;
	}
	if (len > d->n - head)
		return -1;
	*tag = d->p[0];
	*out = (struct der){d->p + head, len};
	d->p += head + len;
	d->n -= head + len;
	return 0;
}

/* Finds the subjectAltName extension (2.5.29.17) of a certificate: its GeneralNames in
 * *san. Returns 1, 0 when there is none, -1 when malformed. */
static int
find_san(const unsigned char *cert, size_t len, struct der *san)
{
	struct der d = {cert, len}, c, tbs, field;
	unsigned tag;
	if (tlv(&d, &tag, &c) < 0 || tag != 0x30 || tlv(&c, &tag, &tbs) < 0 || tag != 0x30)
		return -1;
	while (tbs.n) {
		if (tlv(&tbs, &tag, &field) < 0)
			return -1;
		if (tag != 0xa3) /* [3] extensions; what comes before is skipped */
			continue;
		struct der exts;
		if (tlv(&field, &tag, &exts) < 0 || tag != 0x30)
			return -1;
		while (exts.n) {
			struct der ext, oid, value;
			if (tlv(&exts, &tag, &ext) < 0 || tag != 0x30 ||
			    tlv(&ext, &tag, &oid) < 0 || tag != 0x06 ||
			    tlv(&ext, &tag, &value) < 0 ||
			    (tag == 0x01 && tlv(&ext, &tag, &value) < 0) || tag != 0x04)
				return -1;
			if (oid.n == 3 && memcmp(oid.p, "\x55\x1d\x11", 3) == 0)
				return tlv(&value, &tag, san) < 0 || tag != 0x30 ? -1 : 1;
		}
		return 0;
	}
	return 0;
}

/* Go's matchHostnames: labels compared without case, a final dot ignored on both sides,
 * and a pattern's leftmost label "*" standing for exactly one label. */
static int
dns_match(const unsigned char *pattern, size_t pn, const char *host, size_t hn)
{
	if (pn && pattern[pn - 1] == '.')
		pn--;
	if (hn && host[hn - 1] == '.')
		hn--;
	if (pn == 0 || hn == 0)
		return 0;
	for (size_t pi = 0, hi = 0, first = 1;; first = 0) {
		const unsigned char *pd = memchr(pattern + pi, '.', pn - pi);
		const char *hd = memchr(host + hi, '.', hn - hi);
		size_t pl = pd ? (size_t)(pd - pattern) - pi : pn - pi;
		size_t hl = hd ? (size_t)(hd - host) - hi : hn - hi;
		int star = first && pl == 1 && pattern[pi] == '*' && hl > 0;
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
certname_check(const unsigned char *der, size_t len, const char *name)
{
	struct der san;
	int found = find_san(der, len, &san);
	if (found < 0)
		return CERTNAME_MALFORMED;
	if (found == 0)
		return CERTNAME_LEGACY_CN;
	unsigned char want[16], addr[16];
	size_t alen = inet_pton(AF_INET, name, addr) == 1    ? 4
		      : inet_pton(AF_INET6, name, addr) == 1 ? 16
							     : 0;
	int is_ip = alen && ip16(addr, alen, want);
	while (san.n) {
		struct der gn;
		unsigned tag;
		if (tlv(&san, &tag, &gn) < 0)
			return CERTNAME_MALFORMED;
		if (is_ip && tag == 0x87 && ip16(gn.p, gn.n, addr) && memcmp(addr, want, 16) == 0)
			return CERTNAME_OK;
		if (!is_ip && tag == 0x82 && dns_match(gn.p, gn.n, name, strlen(name)))
			return CERTNAME_OK;
	}
	return CERTNAME_MISMATCH;
}
