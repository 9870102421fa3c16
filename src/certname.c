#include "certname.h"

#include "buf.h"
#include "url.h"

#include <mbedtls/asn1.h>

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

/* --- name constraints (RFC 5280 4.2.1.10) as Go's crypto/x509 applies them --- */

/* GeneralName tags: context-specific, primitive. */
enum { GN_EMAIL = 0x81, GN_DNS = 0x82, GN_URI = 0x86, GN_IP = 0x87 };

/* Go's domainToReverseLabels: labels of bytes 33-126, none empty (so no final dot); the
 * empty name has none. Returns 1 when it parses. */
static int
domain_ok(const unsigned char *d, size_t n)
{
	for (size_t i = 0, start = 0; i <= n && n; i++)
		if (i == n || d[i] == '.') {
			if (i == start)
				return 0;
			start = i + 1;
		} else if (d[i] < 33 || d[i] > 126) {
			return 0;
		}
	return 1;
}

/* Go's matchDomainConstraint: the empty constraint matches everything; otherwise the
 * constraint's labels are the domain's last ones, compared without case, and a leading
 * dot asks for at least one label more. Both are valid (domain_ok). wild: the domain's
 * leftmost label "*" matches any label (an excluded subtree against a wildcard name: Go
 * since 1.25.5 and 1.24.11, CVE-2025-61727; Debian 13's 1.24.4 still lets it pass). */
static int
domain_match(const unsigned char *d, size_t dn, const unsigned char *c, size_t cn, int wild)
{
	if (cn == 0)
		return 1;
	int sub = c[0] == '.';
	c += sub, cn -= sub;
	size_t di = dn, ci = cn;
	while (ci) {
		if (di == 0)
			return 0; /* fewer labels than the constraint */
		size_t ds = di, cs = ci;
		while (ds && d[ds - 1] != '.')
			ds--;
		while (cs && c[cs - 1] != '.')
			cs--;
		int star = wild && ds == 0 && di == 1 && d[0] == '*';
		if (!star && di - ds != ci - cs)
			return 0;
		for (size_t k = 0; !star && k < di - ds; k++)
			if (tolower(d[ds + k]) != tolower(c[cs + k]))
				return 0;
		di = ds ? ds - 1 : 0;
		ci = cs ? cs - 1 : 0;
	}
	return !sub || di > 0;
}

/* The extension with object identifier oid in crt: its value (val, vlen) and whether it
 * is critical. Returns 1, 0 when absent, or -1 when the extensions do not parse. */
static int
find_extension(const mbedtls_x509_crt *crt, const char *oid, size_t oidlen, unsigned char **val,
	       size_t *vlen, int *critical)
{
	unsigned char *p = crt->v3_ext.p, *end = p + crt->v3_ext.len;
	size_t len;
	if (!p ||
	    mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
		return -1;
	for (end = p + len; p < end; p += len) {
		unsigned char *e;
		if (mbedtls_asn1_get_tag(&p, end, &len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
			return -1;
		e = p + len;
		if (mbedtls_asn1_get_tag(&p, e, &len, MBEDTLS_ASN1_OID))
			return -1;
		int match = len == oidlen && memcmp(p, oid, len) == 0;
		p += len;
		*critical = 0;
		if ((p < e && *p == MBEDTLS_ASN1_BOOLEAN &&
		     mbedtls_asn1_get_bool(&p, e, critical)) ||
		    mbedtls_asn1_get_tag(&p, e, &len, MBEDTLS_ASN1_OCTET_STRING) || p + len != e)
			return -1;
		if (match) {
			*val = p, *vlen = len;
			return 1;
		}
	}
	return 0;
}

/* Whether the subtree base (tag, b, bn) matches the leaf's name of the same kind (tag,
 * n, nn), as Go's matchDomainConstraint and matchIPConstraint decide. */
static int
subtree_match(int tag, const unsigned char *b, size_t bn, const unsigned char *n, size_t nn,
	      int excluded)
{
	if (tag == GN_DNS)
		return domain_match(n, nn, b, bn, excluded);
	/* An address and its mask, of the name's own length (Go compares 4 with 4 and 16
	 * with 16 bytes: an IPv4 name never meets an IPv6 constraint). */
	if (nn * 2 != bn)
		return 0;
	for (size_t i = 0; i < nn; i++)
		if ((n[i] & b[nn + i]) != (b[i] & b[nn + i]))
			return 0;
	return 1;
}

/* Walks GeneralSubtrees [p, end): each base valid as Go's parser wants it and, for a
 * leaf name (tag, n, nn; n NULL: validation only), counts the bases of its kind (count)
 * and whether one matches. Returns 1 on a match, 0 on none, -1 when the subtrees do not
 * parse or cannot be applied: a kind Go does not handle in a critical extension (Go
 * refuses the CA), or an email or URI constraint met by a leaf name of its kind (Go
 * applies those; podhealth does not, and refuses rather than pass it unchecked). */
static int
subtrees(unsigned char *p, unsigned char *end, int tag, const unsigned char *n, size_t nn,
	 int critical, int excluded, int *count)
{
	int matched = 0;
	*count = 0;
	for (size_t len, blen; p < end; p += len) {
		/* GeneralSubtree ::= SEQUENCE { base GeneralName, minimum, maximum } */
		if (mbedtls_asn1_get_tag(&p, end, &len,
					 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
		    len < 2)
			return -1;
		int btag = p[0];
		unsigned char *v = p + 1;
		if (mbedtls_asn1_get_len(&v, p + len, &blen))
			return -1;
		if (btag == GN_DNS) {
			size_t dot = blen && v[0] == '.';
			if (!domain_ok(v + dot, blen - dot))
				return -1;
		} else if (btag == GN_IP) {
			/* an address and its mask (Go's isValidIPMask: ones, then zeros) */
			if (blen != 8 && blen != 32)
				return -1;
			for (size_t i = blen / 2, zeros = 0; i < blen; i++) {
				unsigned m = v[i];
				if (zeros ? m != 0 : m != 0xff && ((m + (m & -m)) & 0xff) != 0)
					return -1;
				zeros = m != 0xff;
			}
		} else if (btag == GN_EMAIL || btag == GN_URI) {
			if (n && btag == tag)
				return -1;
		} else if (critical) {
			return -1;
		}
		if (n && btag == tag) {
			(*count)++;
			matched |= subtree_match(tag, v, blen, n, nn, excluded);
		}
	}
	return matched;
}

enum certname_result
certname_constrained(const mbedtls_x509_crt *ca, const mbedtls_x509_crt *leaf)
{
	static const char oid[] = MBEDTLS_OID_NAME_CONSTRAINTS;
	unsigned char *p, *end, *tree[2] = {NULL, NULL}, *tree_end[2] = {NULL, NULL};
	size_t len;
	int critical, count, r;
	if (find_extension(ca, oid, sizeof oid - 1, &p, &len, &critical) != 1)
		return CERTNAME_BAD_CONSTRAINTS;
	/* NameConstraints ::= SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] } */
	end = p + len;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
	    p + len != end)
		return CERTNAME_BAD_CONSTRAINTS;
	for (; p < end; p += len) {
		int k = *p++ & 0x1f;
		if ((p[-1] & 0xe0) != 0xa0 || k > 1 || tree[k] ||
		    mbedtls_asn1_get_len(&p, end, &len))
			return CERTNAME_BAD_CONSTRAINTS;
		tree[k] = p, tree_end[k] = p + len;
	}
	for (int k = 0; k < 2; k++)
		if (tree[k] && subtrees(tree[k], tree_end[k], 0, NULL, 0, critical, k, &count) < 0)
			return CERTNAME_BAD_CONSTRAINTS;
	/* Each name of the leaf: none excluded, and one permitted where any of its kind is
	 * (Go's checkNameConstraints); a DNS name Go cannot parse is refused. (An IP address
	 * of neither 4 nor 16 bytes never gets here: the certificate is refused when parsed,
	 * tools/mbedtls-x509-go-strings.patch.) */
	for (const mbedtls_x509_sequence *s = &leaf->subject_alt_names; s && s->buf.p;
	     s = s->next) {
		int tag = s->buf.tag;
		const unsigned char *n = s->buf.p;
		size_t nn = s->buf.len;
		if (tag == GN_DNS && !domain_ok(n, nn))
			return CERTNAME_NOT_PERMITTED;
		if (tag != GN_DNS && tag != GN_IP && tag != GN_EMAIL && tag != GN_URI)
			continue;
		if (tree[1] &&
		    (r = subtrees(tree[1], tree_end[1], tag, n, nn, critical, 1, &count)))
			return r < 0 ? CERTNAME_BAD_CONSTRAINTS : CERTNAME_NOT_PERMITTED;
		if (tree[0] &&
		    (r = subtrees(tree[0], tree_end[0], tag, n, nn, critical, 0, &count)) <= 0 &&
		    (r < 0 || count > 0))
			return r < 0 ? CERTNAME_BAD_CONSTRAINTS : CERTNAME_NOT_PERMITTED;
	}
	return CERTNAME_OK;
}

int
certname_uris_parse(const mbedtls_x509_crt *crt)
{
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		if (s->buf.tag != GN_URI)
			continue;
		struct buf host = {0};
		int ok = url_parse_host((const char *)s->buf.p, s->buf.len, &host) == 0 &&
			 (host.failed || domain_ok((const unsigned char *)host.data, host.len));
		buf_free(&host);
		if (!ok)
			return 0;
	}
	return 1;
}
