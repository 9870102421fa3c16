/* BearSSL, wrapped: everything podhealth does with TLS happens here. BearSSL allocates
 * nothing, so a connection is one allocation: the contexts and one 16.7 KB record buffer
 * (half-duplex: podhealth never writes while unread data waits, so one buffer serves both
 * directions and no fragment length has to be negotiated). */
#include "tls.h"

#include "buf.h"
#include "certname.h"
#include "fmt.h"
#include "log.h"
#include "net.h"
#include "target.h"

#include <bearssl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* TLS 1.2, forward-secret key exchange, AEAD ciphers: what Go's client prefers. */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

#define PEM_FILE_MAX (1024 * 1024)

/* Elliptic curves: X25519 with its own code, the NIST curves (P-256, P-384, P-521) with
 * BearSSL's generic one. A P-256-only implementation would be faster and 6.8 KB larger;
 * a handshake does two or three curve operations. */
static const br_ec_impl *
curve_impl(int curve)
{
	return curve == BR_EC_curve25519 ? &br_ec_c25519_m31 : &br_ec_prime_i31;
}

static const unsigned char *
ec_generator(int curve, size_t *len)
{
	return curve_impl(curve)->generator(curve, len);
}

static const unsigned char *
ec_order(int curve, size_t *len)
{
	return curve_impl(curve)->order(curve, len);
}

static size_t
ec_xoff(int curve, size_t *len)
{
	return curve_impl(curve)->xoff(curve, len);
}

static uint32_t
ec_mul(unsigned char *g, size_t glen, const unsigned char *k, size_t klen, int curve)
{
	return curve_impl(curve)->mul(g, glen, k, klen, curve);
}

static size_t
ec_mulgen(unsigned char *r, const unsigned char *x, size_t xlen, int curve)
{
	return curve_impl(curve)->mulgen(r, x, xlen, curve);
}

static uint32_t
ec_muladd(unsigned char *a, const unsigned char *b, size_t len, const unsigned char *x, size_t xlen,
	  const unsigned char *y, size_t ylen, int curve)
{
	return curve_impl(curve)->muladd(a, b, len, x, xlen, y, ylen, curve);
}

static const br_ec_impl curves = {
    (uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |
	(uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
    ec_generator,
    ec_order,
    ec_xoff,
    ec_mul,
    ec_mulgen,
    ec_muladd,
};

/* A certificate's validity, as BearSSL counts it: days since 1 January of year 0 and
 * seconds within the day. */
struct validity {
	uint32_t from_days, from_seconds, until_days, until_seconds;
};

struct tls_config {
	int verify;                    /* ca= given: check the chain and the name */
	br_x509_trust_anchor *anchors; /* from ca= */
	struct validity *validity;     /* of each anchor */
	size_t nanchors;
	/* The anchors valid now, in the order given: BearSSL checks the dates of every
	 * certificate but the anchor's, and Go checks those too (an expired CA verifies
	 * nothing). Chosen afresh as each verified connection starts (a loop over dates). */
	br_x509_trust_anchor *valid;
	size_t nvalid;
	int some_invalid; /* an anchor is left out for its dates */
	struct buf store; /* the bytes the anchors point into */
};

/* An X.509 engine that verifies nothing (kubelet's InsecureSkipVerify): it decodes the
 * first certificate only, for the key the handshake needs. */
struct insecure {
	const br_x509_class *vtable;
	br_x509_decoder_context dc;
	unsigned count;
	unsigned err;
};

/* With ca=: BearSSL's minimal engine checks the chain and every date, given no name (its
 * own name check would fall back to the Common Name); the leaf certificate is kept, and
 * its subjectAltNames are checked as Go checks them (certname.c). */
struct verifier {
	const br_x509_class *vtable;
	br_x509_minimal_context xm;
	const char *name;    /* to verify: a host name or an address */
	unsigned char *leaf; /* the first certificate; owned */
	size_t leaf_len, leaf_cap;
	unsigned count;
	enum certname_result name_result;
};

struct tls_conn {
	br_ssl_client_context cc;
	union {
		struct verifier verify;
		struct insecure insecure;
	} x509;
	char name[256]; /* the server name or address, without a final dot */
	const struct tls_config *cfg;
	const char *alpn[1];
	int anchor_dates; /* an anchor was left out for its dates (for the reason) */
	int eof;          /* the socket reached its end */
	int ready;        /* the handshake completed */
	int dead;         /* the socket failed (io_errno) or closed mid-handshake */
	int io_errno;     /* a socket error */
	int plain;        /* the first bytes were plain HTTP */
	int got_bytes;    /* anything received yet */
	char why[96];
	unsigned char buf[BR_SSL_BUFSIZE_MONO];
};

/* --- the insecure X.509 engine --- */

static void
insecure_start_chain(const br_x509_class **ctx, const char *server_name)
{
	(void)server_name;
	struct insecure *x = (struct insecure *)(void *)ctx;
	x->count = 0;
	x->err = 0;
}

static void
insecure_start_cert(const br_x509_class **ctx, uint32_t length)
{
	(void)length;
	struct insecure *x = (struct insecure *)(void *)ctx;
	if (x->count == 0)
		br_x509_decoder_init(&x->dc, NULL, NULL);
}

static void
insecure_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct insecure *x = (struct insecure *)(void *)ctx;
	/* A decoder that failed must never run again: it would resume past the check that
	 * stopped it (a key too large for its buffer) and write beyond that buffer. BearSSL's
	 * own X.509 engine stops the same way (xm_append). */
	if (x->count == 0 && x->dc.err == 0)
		br_x509_decoder_push(&x->dc, buf, len);
}

static void
insecure_end_cert(const br_x509_class **ctx)
{
	struct insecure *x = (struct insecure *)(void *)ctx;
	if (x->count++ == 0 && (x->err = (unsigned)br_x509_decoder_last_error(&x->dc)) == 0 &&
	    !br_x509_decoder_get_pkey(&x->dc))
		x->err = BR_ERR_X509_UNSUPPORTED;
}

static unsigned
insecure_end_chain(const br_x509_class **ctx)
{
	struct insecure *x = (struct insecure *)(void *)ctx;
	return x->count == 0 ? BR_ERR_X509_EMPTY_CHAIN : x->err;
}

static const br_x509_pkey *
insecure_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct insecure *x = (struct insecure *)(void *)ctx;
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&x->dc);
}

static const br_x509_class insecure_vtable = {
    sizeof(struct insecure), insecure_start_chain, insecure_start_cert, insecure_append,
    insecure_end_cert,       insecure_end_chain,   insecure_get_pkey,
};

/* --- the verifying X.509 engine (ca=) --- */

#define LEAF_MAX (64 * 1024)

static const br_x509_class **
minimal(const br_x509_class **ctx)
{
	return &((struct verifier *)(void *)ctx)->xm.vtable;
}

static void
verify_start_chain(const br_x509_class **ctx, const char *server_name)
{
	(void)server_name;
	struct verifier *v = (struct verifier *)(void *)ctx;
	v->count = 0;
	v->leaf_len = 0;
	v->name_result = CERTNAME_OK;
	(*minimal(ctx))->start_chain(minimal(ctx), NULL);
}

static void
verify_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct verifier *v = (struct verifier *)(void *)ctx;
	if (v->count == 0 && length <= LEAF_MAX && length > v->leaf_cap) {
		unsigned char *p = realloc(v->leaf, length);
		if (p) {
			v->leaf = p;
			v->leaf_cap = length;
		}
	}
	(*minimal(ctx))->start_cert(minimal(ctx), length);
}

static void
verify_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct verifier *v = (struct verifier *)(void *)ctx;
	if (v->count == 0 && v->leaf && len <= v->leaf_cap - v->leaf_len) {
		memcpy(v->leaf + v->leaf_len, buf, len);
		v->leaf_len += len;
	}
	(*minimal(ctx))->append(minimal(ctx), buf, len);
}

static void
verify_end_cert(const br_x509_class **ctx)
{
	((struct verifier *)(void *)ctx)->count++;
	(*minimal(ctx))->end_cert(minimal(ctx));
}

static unsigned
verify_end_chain(const br_x509_class **ctx)
{
	struct verifier *v = (struct verifier *)(void *)ctx;
	unsigned err = (*minimal(ctx))->end_chain(minimal(ctx));
	if (err == 0 && (v->name_result = certname_check(v->leaf, v->leaf ? v->leaf_len : 0,
							 v->name)) != CERTNAME_OK)
		err = BR_ERR_X509_BAD_SERVER_NAME;
	return err;
}

static const br_x509_pkey *
verify_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const br_x509_class *const *xm = &((const struct verifier *)(const void *)ctx)->xm.vtable;
	return (*xm)->get_pkey(xm, usages);
}

static const br_x509_class verify_vtable = {
    sizeof(struct verifier), verify_start_chain, verify_start_cert, verify_append,
    verify_end_cert,         verify_end_chain,   verify_get_pkey,
};

/* --- loading PEM files (startup) --- */

static int
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	if (buf_read_file(out, path, PEM_FILE_MAX) < 0)
		return errno == EFBIG    ? fmt_error(err, errlen, "'%s' is larger than 1 MiB", path)
		       : errno == ENOMEM ? fmt_error(err, errlen, "out of memory")
		       : out->len == 0   ? fmt_error(err, errlen, "cannot open '%s'", path)
					 : fmt_error(err, errlen, "cannot read '%s'", path);
	buf_append(out, "\n", 1); /* BearSSL's PEM decoder wants a final newline */
	return 0;
}

/* Rewrites PEM text as BearSSL's decoder reads it: lines end in LF alone, with no trailing
 * white space, and no line is blank. RFC 7468 section 2 (and Go's and OpenSSL's readers)
 * allow CRLF, trailing blanks and empty lines, which BearSSL refuses. */
static void
pem_normalise(struct buf *b)
{
	size_t o = 0, line = 0; /* write offset; where the line being written starts */
	for (size_t i = 0; i < b->len; i++) {
		char c = b->data[i];
		if (c != '\n') {
			b->data[o++] = c;
			continue;
		}
		while (o > line && strchr(" \t\r", b->data[o - 1]))
			o--;
		if (o > line)
			b->data[o++] = '\n';
		line = o;
	}
	b->len = o;
}

static void
append_der(void *ctx, const void *data, size_t len)
{
	buf_append(ctx, data, len);
}

/* Keeps len bytes in cfg->store; returns their offset (pointers are fixed up once the
 * store stops growing). */
static size_t
keep(struct tls_config *cfg, const void *data, size_t len)
{
	size_t off = cfg->store.len;
	buf_append(&cfg->store, data, len);
	return off;
}

/* Offsets stored in the pointer fields while loading; made pointers by fix_pointers. */
#define OFF(x) ((unsigned char *)(uintptr_t)(x))

/* Adds the certificate der (PEM object number index of path) to cfg's anchors. One that
 * cannot be decoded is skipped with a warning, as Go's AppendCertsFromPEM skips it. */
static int
add_anchor(struct tls_config *cfg, const char *path, size_t index, const char *name,
	   struct buf *der, char *err, size_t errlen)
{
	if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE") != 0)
		return 0;
	struct buf dn = {0};
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, append_der, &dn);
	br_x509_decoder_push(&dc, der->data, der->len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (br_x509_decoder_last_error(&dc) != 0 || !pk || dn.failed) {
		buf_free(&dn);
		if (dn.failed)
			return fmt_error(err, errlen, "out of memory");
		char n[24];
		fmt_format(n, sizeof n, "%zu", index + 1);
		log_event(LOG_WARN, "ca=: skipping a certificate that cannot be decoded", "file",
			  path, "object", n, NULL);
		return 0;
	}
	br_x509_trust_anchor *a = realloc(cfg->anchors, (cfg->nanchors + 1) * sizeof *cfg->anchors);
	struct validity *v = a ? realloc(cfg->validity, (cfg->nanchors + 1) * sizeof *v) : NULL;
	if (a)
		cfg->anchors = a;
	if (v)
		cfg->validity = v;
	if (!a || !v) {
		buf_free(&dn);
		return fmt_error(err, errlen, "out of memory");
	}
	cfg->validity[cfg->nanchors] = (struct validity){dc.notbefore_days, dc.notbefore_seconds,
							 dc.notafter_days, dc.notafter_seconds};
	a = &cfg->anchors[cfg->nanchors++];
	memset(a, 0, sizeof *a);
	a->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	a->dn.data = OFF(keep(cfg, dn.data, dn.len));
	a->dn.len = dn.len;
	a->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		a->pkey.key.rsa.n = OFF(keep(cfg, pk->key.rsa.n, pk->key.rsa.nlen));
		a->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		a->pkey.key.rsa.e = OFF(keep(cfg, pk->key.rsa.e, pk->key.rsa.elen));
		a->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		a->pkey.key.ec.curve = pk->key.ec.curve;
		a->pkey.key.ec.q = OFF(keep(cfg, pk->key.ec.q, pk->key.ec.qlen));
		a->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	buf_free(&dn);
	return 0;
}

static void
fix_pointers(struct tls_config *cfg)
{
	unsigned char *base = (unsigned char *)cfg->store.data;
#define FIX(p) ((p) = base + (uintptr_t)(p))
	for (size_t i = 0; i < cfg->nanchors; i++) {
		br_x509_trust_anchor *a = &cfg->anchors[i];
		FIX(a->dn.data);
		if (a->pkey.key_type == BR_KEYTYPE_RSA) {
			FIX(a->pkey.key.rsa.n);
			FIX(a->pkey.key.rsa.e);
		} else {
			FIX(a->pkey.key.ec.q);
		}
	}
#undef FIX
}

/* Adds every certificate in the PEM file path to cfg's trust anchors. */
static int
load_anchors(struct tls_config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf file = {0}, der = {0};
	if (read_file(path, &file, err, errlen) < 0) {
		buf_free(&file);
		return -1;
	}
	pem_normalise(&file);
	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	const unsigned char *p = (const unsigned char *)file.data;
	size_t left = file.len, objects = 0;
	char name[128] = "";
	int rc = 0;
	while (left > 0 && rc == 0) {
		size_t used = br_pem_decoder_push(&pc, p, left);
		p += used;
		left -= used;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			fmt_format(name, sizeof name, "%s", br_pem_decoder_name(&pc));
			der.len = 0;
			br_pem_decoder_setdest(&pc, append_der, &der);
			break;
		case BR_PEM_END_OBJ:
			objects++;
			rc = der.failed
				 ? fmt_error(err, errlen, "out of memory")
				 : add_anchor(cfg, path, objects - 1, name, &der, err, errlen);
			break;
		case BR_PEM_ERROR:
			rc = fmt_error(err, errlen, "'%s' is not valid PEM", path);
			break;
		}
	}
	if (rc == 0 && objects == 0)
		rc = fmt_error(err, errlen, "'%s' holds no PEM object", path);
	buf_free(&file);
	buf_free(&der);
	return rc;
}

struct tls_config *
tls_config_new(const struct target *t, char *err, size_t errlen)
{
	struct tls_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg) {
		fmt_error(err, errlen, "out of memory");
		return NULL;
	}
	int rc = 0;
	if (t->ca_file) {
		cfg->verify = 1;
		rc = load_anchors(cfg, t->ca_file, err, errlen);
		if (rc == 0 && cfg->nanchors == 0)
			rc = fmt_error(err, errlen, "ca=: no certificate in '%s'", t->ca_file);
	}
	if (rc == 0 && cfg->store.failed)
		rc = fmt_error(err, errlen, "out of memory");
	if (rc == 0 && cfg->nanchors && !(cfg->valid = malloc(cfg->nanchors * sizeof *cfg->valid)))
		rc = fmt_error(err, errlen, "out of memory");
	if (rc < 0) {
		tls_config_free(cfg);
		return NULL;
	}
	fix_pointers(cfg);
	return cfg;
}

void
tls_config_free(struct tls_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->anchors);
	free(cfg->validity);
	free(cfg->valid);
	buf_free(&cfg->store);
	free(cfg);
}

/* --- connections --- */

/* a is before b, both (days, seconds). */
static int
before(uint32_t ad, uint32_t as, uint32_t bd, uint32_t bs)
{
	return ad < bd || (ad == bd && as < bs);
}

/* Makes cfg->valid the anchors whose dates hold now (BearSSL's epoch, as its X.509 engine
 * computes it from time()). */
static void
select_anchors(struct tls_config *cfg)
{
	time_t now = time(NULL);
	uint32_t days = (uint32_t)(now / 86400) + 719528, seconds = (uint32_t)(now % 86400);
	size_t n = 0;
	for (size_t i = 0; i < cfg->nanchors; i++) {
		const struct validity *v = &cfg->validity[i];
		if (!before(days, seconds, v->from_days, v->from_seconds) &&
		    !before(v->until_days, v->until_seconds, days, seconds))
			cfg->valid[n++] = cfg->anchors[i];
	}
	cfg->nvalid = n;
	cfg->some_invalid = n < cfg->nanchors;
}

struct tls_conn *
tls_conn_new(struct tls_config *cfg, const char *server_name, const char *alpn)
{
	struct tls_conn *t = malloc(sizeof *t);
	if (!t)
		return NULL;
	memset(t, 0, offsetof(struct tls_conn, buf));
	t->cfg = cfg;
	br_ssl_client_context *cc = &t->cc;
	br_ssl_engine_context *eng = &cc->eng;
	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
	/* No SHA-1: servers sign with SHA-2 when SHA-1 is not offered, and Go refuses
	 * SHA-1 in certificate chains (since 1.18). */
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	/* One implementation of each primitive, the portable constant-time ones: a health
	 * check moves a few hundred bytes, so the CPU-specific ones would only add size. */
	br_ssl_engine_set_rsavrfy(eng, br_rsa_i31_pkcs1_vrfy);
	br_ssl_engine_set_ec(eng, &curves);
	br_ssl_engine_set_ecdsa(eng, br_ecdsa_i31_vrfy_asn1);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, &br_aes_ct64_ctr_vtable);
	br_ssl_engine_set_ghash(eng, br_ghash_ctmul64);
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable, &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, br_chacha20_ct_run);
	br_ssl_engine_set_poly1305(eng, br_poly1305_ctmul_run);
	/* SNI is a host name; an IP address is never sent (RFC 6066 section 3). A final dot
	 * ("localhost.") is not sent, nor matched against the certificate, as in Go. */
	size_t len = server_name ? strlen(server_name) : 0;
	if (len && server_name[len - 1] == '.')
		len--;
	fmt_format(t->name, sizeof t->name, "%.*s", (int)len, server_name ? server_name : "");
	if (cfg && cfg->verify) {
		struct verifier *v = &t->x509.verify;
		br_x509_minimal_context *xm = &v->xm;
		v->vtable = &verify_vtable;
		v->name = t->name;
		select_anchors(cfg);
		t->anchor_dates = cfg->some_invalid;
		br_x509_minimal_init(xm, &br_sha256_vtable, cfg->valid, cfg->nvalid);
		br_x509_minimal_set_hash(xm, br_sha256_ID, &br_sha256_vtable);
		br_x509_minimal_set_hash(xm, br_sha384_ID, &br_sha384_vtable);
		br_x509_minimal_set_hash(xm, br_sha512_ID, &br_sha512_vtable);
		br_x509_minimal_set_rsa(xm, br_rsa_i31_pkcs1_vrfy);
		br_x509_minimal_set_ecdsa(xm, &curves, br_ecdsa_i31_vrfy_asn1);
		br_ssl_engine_set_x509(eng, &v->vtable);
	} else {
		t->x509.insecure.vtable = &insecure_vtable;
		br_ssl_engine_set_x509(eng, &t->x509.insecure.vtable);
	}
	t->alpn[0] = alpn ? alpn : "http/1.1";
	br_ssl_engine_set_protocol_names(eng, t->alpn, 1);
	br_ssl_engine_set_buffer(eng, t->buf, sizeof t->buf, 0);
	/* Entropy from the kernel: a scratch image has no /dev/urandom. */
	unsigned char seed[32];
	ssize_t n = getrandom(seed, sizeof seed, GRND_NONBLOCK);
	if (n > 0)
		br_ssl_engine_inject_entropy(eng, seed, (size_t)n);
	br_ssl_client_reset(cc, server_name && !target_ip_literal(t->name) ? t->name : NULL, 0);
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t && t->cfg && t->cfg->verify)
		free(t->x509.verify.leaf);
	free(t);
}

int
tls_conn_alpn_selected(const struct tls_conn *t)
{
	return br_ssl_engine_get_selected_protocol((br_ssl_engine_context *)&t->cc.eng) != NULL;
}

int
tls_conn_ready(const struct tls_conn *t)
{
	return t->ready;
}

static int
failed(const struct tls_conn *t)
{
	return t->dead || ((br_ssl_engine_current_state(&t->cc.eng) & BR_SSL_CLOSED) &&
			   br_ssl_engine_last_error(&t->cc.eng) != BR_ERR_OK);
}

/* The handshake is over once application data can move either way. */
static void
note_ready(struct tls_conn *t)
{
	if (!t->ready &&
	    (br_ssl_engine_current_state(&t->cc.eng) & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		t->ready = 1;
}

int
tls_conn_io(struct tls_conn *t, int fd)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	for (;;) {
		note_ready(t);
		unsigned st = br_ssl_engine_current_state(eng);
		if (t->dead)
			return -1;
		if (st & BR_SSL_CLOSED)
			return failed(t) ? -1 : 0;
		int moved = 0;
		if (st & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *b = br_ssl_engine_sendrec_buf(eng, &len);
			ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
			if (n > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)n);
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				t->io_errno = errno;
				t->dead = 1;
				return -1;
			}
		}
		if ((st & BR_SSL_RECVREC) && !t->eof) {
			size_t len;
			unsigned char *b = br_ssl_engine_recvrec_buf(eng, &len);
			ssize_t n = recv(fd, b, len, 0);
			if (n > 0) {
				/* A TLS server's first byte is a record type (20-23). */
				if (!t->got_bytes && (b[0] < 20 || b[0] > 23))
					t->plain = 1 + (n >= 5 && memcmp(b, "HTTP/", 5) == 0);
				t->got_bytes = 1;
				br_ssl_engine_recvrec_ack(eng, (size_t)n);
				moved = 1;
			} else if (n == 0) {
				/* Like Go's crypto/tls, an end without close_notify after the
				 * handshake is just the end of the stream. */
				t->eof = 1;
				if (!t->ready) {
					t->dead = 1;
					return -1;
				}
			} else if (errno != EAGAIN && errno != EINTR) {
				t->io_errno = errno;
				t->dead = 1;
				return -1;
			}
		}
		if (!moved)
			return 0;
	}
}

uint32_t
tls_conn_events(const struct tls_conn *t)
{
	unsigned st = br_ssl_engine_current_state(&t->cc.eng);
	uint32_t ev = 0;
	if (t->dead)
		return 0; /* nothing more will come: the kind reads the error */
	if (st & BR_SSL_SENDREC)
		ev |= EPOLLOUT;
	if ((st & BR_SSL_RECVREC) && !t->eof)
		ev |= EPOLLIN;
	return ev;
}

/* A dead connection (a reset after the handshake) is readable and writable: the next
 * read or write reports its error, so the check ends at once instead of waiting for
 * events on a socket that has none left to give. */
int
tls_conn_readable(const struct tls_conn *t)
{
	unsigned st = br_ssl_engine_current_state(&t->cc.eng);
	return (st & BR_SSL_RECVAPP) || (st & BR_SSL_CLOSED) || t->eof || t->dead;
}

int
tls_conn_writable(const struct tls_conn *t)
{
	return (br_ssl_engine_current_state(&t->cc.eng) & BR_SSL_SENDAPP) != 0 || t->dead;
}

ssize_t
tls_conn_read(struct tls_conn *t, void *buf, size_t len)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	unsigned st = br_ssl_engine_current_state(eng);
	if (st & BR_SSL_RECVAPP) {
		size_t n;
		unsigned char *p = br_ssl_engine_recvapp_buf(eng, &n);
		if (n > len)
			n = len;
		memcpy(buf, p, n);
		br_ssl_engine_recvapp_ack(eng, n);
		return (ssize_t)n;
	}
	if (failed(t)) {
		errno = t->io_errno ? t->io_errno : EPROTO;
		return -1;
	}
	if ((st & BR_SSL_CLOSED) || t->eof)
		return 0;
	errno = EAGAIN;
	return -1;
}

ssize_t
tls_conn_write(struct tls_conn *t, const void *buf, size_t len)
{
	br_ssl_engine_context *eng = &t->cc.eng;
	unsigned st = br_ssl_engine_current_state(eng);
	if ((st & BR_SSL_CLOSED) || t->dead) {
		errno = failed(t) && t->io_errno ? t->io_errno : EPIPE;
		return -1;
	}
	if (!(st & BR_SSL_SENDAPP))
		return 0;
	size_t n;
	unsigned char *p = br_ssl_engine_sendapp_buf(eng, &n);
	if (n > len)
		n = len;
	memcpy(p, buf, n);
	br_ssl_engine_sendapp_ack(eng, n);
	br_ssl_engine_flush(eng, 0);
	return (ssize_t)n;
}

/* Go's wording where there is a Go equivalent. */
const char *
tls_conn_error(struct tls_conn *t)
{
	int err = br_ssl_engine_last_error(&t->cc.eng);
	if (t->plain)
		return t->plain == 2 ? "TLS handshake failed: the server answered in plain HTTP"
				     : "TLS handshake failed: the server does not speak TLS";
	if (t->dead && t->io_errno)
		return net_strerror(t->io_errno);
	if (t->dead)
		return t->got_bytes ? "TLS handshake failed: connection closed"
				    : "TLS handshake failed: connection closed without a response";
	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		/* Go reports the dates of an expired CA that would have signed the chain. */
		return t->anchor_dates ? "TLS: certificate has expired or is not yet valid"
				       : "TLS: certificate signed by an unknown authority";
	case BR_ERR_X509_LIMIT_EXCEEDED:
		return "TLS: certificate key larger than 4096 bits";
	case BR_ERR_X509_BAD_SERVER_NAME:
		return t->x509.verify.name_result == CERTNAME_LEGACY_CN
			   ? "TLS: certificate relies on the legacy Common Name field, use SANs"
		       : t->x509.verify.name_result == CERTNAME_MALFORMED
			   ? "TLS: certificate cannot be read (subjectAltName)"
			   : "TLS: certificate is not valid for the server name";
	case BR_ERR_X509_EXPIRED:
		return "TLS: certificate has expired or is not yet valid";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		return "TLS: certificate not allowed for a server";
	case BR_ERR_BAD_VERSION:
	case BR_ERR_UNSUPPORTED_VERSION:
		return "TLS handshake failed: not TLS, or not TLS 1.2";
	case BR_ERR_BAD_CIPHER_SUITE:
		return "TLS handshake failed: no cipher suite in common";
	case BR_ERR_NO_RANDOM:
		return "TLS: no entropy";
	case BR_ERR_RECV_FATAL_ALERT + 40:
		return "TLS handshake failed: the server refused (handshake_failure alert)";
	case BR_ERR_RECV_FATAL_ALERT + 42:
	case BR_ERR_RECV_FATAL_ALERT + 116:
		return "TLS handshake failed: the server wants a client certificate";
	case BR_ERR_RECV_FATAL_ALERT + 70:
		return "TLS handshake failed: the server does not speak TLS 1.2";
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
		fmt_format(t->why, sizeof t->why, "TLS handshake failed: the server sent alert %d",
			   err - BR_ERR_RECV_FATAL_ALERT);
	else if (err >= 32 && err < 64)
		fmt_format(t->why, sizeof t->why, "TLS: bad certificate (BearSSL error %d)", err);
	else
		fmt_format(t->why, sizeof t->why, "TLS handshake failed (BearSSL error %d)", err);
	return t->why;
}
