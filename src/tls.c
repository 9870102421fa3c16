/* Mbed TLS, wrapped: everything podhealth does with TLS happens here. A TLS 1.2 and 1.3
 * client with Go's rules (kubelet's client): no verification unless ca=; with it, the
 * chain and the dates of every certificate (the anchor's too), then the name against the
 * subjectAltNames alone (certname.c). The library is configured in tools/mbedtls_config.h.
 *
 * Non-blocking: Mbed TLS calls back into send() and recv() on the check's socket, and a
 * "would block" comes back as MBEDTLS_ERR_SSL_WANT_READ or _WRITE, which this file turns
 * into the socket events the check waits for. */
#include "tls.h"

#include "buf.h"
#include "certname.h"
#include "fmt.h"
#include "log.h"
#include "net.h"
#include "target.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/platform.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#define PEM_FILE_MAX (1024 * 1024)

struct tls_config {
	int verify;          /* ca= given: check the chain and the name */
	int ready;           /* conf is set up */
	mbedtls_x509_crt ca; /* from ca= */
	mbedtls_ssl_config conf;
	const char *alpn[TLS_ALPN_MAX + 1]; /* the protocols offered, for conf */
	int keep_session;                   /* a target's own: its last session is offered again */
	/* The last session a server gave (TLS 1.2 ticket or ID, TLS 1.3 ticket), if
	 * has_session, and the server name it belongs to: offered to that name only. */
	mbedtls_ssl_session session;
	int has_session;
	mbedtls_x509_time session_cert_end; /* with ca=: its certificate's notAfter */
	char session_name[256];
};

/* Where a connection is. */
enum tls_phase {
	TLS_HANDSHAKING,
	TLS_OPEN,             /* application data flows */
	TLS_ENDED,            /* the peer ended the stream, after the handshake */
	TLS_HANDSHAKE_FAILED, /* err or io_errno says why */
	TLS_FAILED,           /* after the handshake; err or io_errno says why */
};

/* What the server's first bytes were. */
enum tls_peer { PEER_TLS, PEER_NOT_TLS, PEER_HTTP };

struct tls_conn {
	mbedtls_ssl_context ssl;
	enum tls_phase phase;
	struct tls_config *cfg;
	int fd;
	uint32_t want;  /* the events the handshake waits for */
	struct buf out; /* records Mbed TLS wrote that the socket has not taken yet */
	int err;        /* the Mbed TLS error that ended it */
	int io_errno;   /* a socket error */
	enum tls_peer peer;
	int got_bytes;    /* anything received yet */
	int offered;      /* a saved session was offered */
	size_t heap;      /* bytes Mbed TLS holds for it (tls_calloc) */
	int heap_refused; /* an allocation was refused: over TLS_HEAP_MAX */
	int peer_closed;  /* the socket reached its end (recv returned 0) */
	int go_refused;   /* 1: a negative serial number, 2: an RSA key under 1024 bits, 3: a URI */
	uint32_t leaf;    /* the verification flags of the server's certificate alone */
	enum certname_result name_result;
	/* With ca=: the CAs of the chain being verified that carry name constraints, seen
	 * before the server's certificate (verify_name runs from the anchor down). */
	const mbedtls_x509_crt *constrained[MBEDTLS_X509_MAX_INTERMEDIATE_CA + 2];
	unsigned nconstrained;
	enum certname_result constraint_result;
	char name[256]; /* the server name or address, as given */
	char why[96];
};

/* --- memory: a budget per connection ---
 * What Mbed TLS allocates for a connection is what the peer's messages make it: each
 * name, policy and key usage of a certificate is an allocation of its own, so a 16 KiB
 * Certificate message of 4,000 one-letter names took 400 KiB (the third review's item
 * 2). Each connection's Mbed TLS calls run with it as heap_owner, and what they hold is
 * capped: past TLS_HEAP_MAX an allocation fails, the handshake with it. A typical check
 * holds about 25 KiB (its 16 KiB record buffer the most). heap_owner is the one mutable
 * global of this file: Mbed TLS's allocator hook takes no context. */
#define TLS_HEAP_MAX (128 * 1024)
static struct tls_conn *heap_owner;

/* Each block carries its size in a header of its own (16 bytes: calloc's alignment kept),
 * so that freeing one needs no malloc_usable_size, 3% of a full handshake's CPU. */
#define TLS_HEADER 16

void *
tls_calloc(size_t n, size_t size)
{
	struct tls_conn *t = heap_owner;
	int overflow = size && n > (SIZE_MAX - TLS_HEADER) / size;
	size_t want = overflow ? 0 : n * size;
	if (overflow ||
	    (t && (t->heap >= TLS_HEAP_MAX || want + TLS_HEADER > TLS_HEAP_MAX - t->heap))) {
		if (t)
			t->heap_refused = 1;
		return NULL;
	}
	unsigned char *p = calloc(1, want + TLS_HEADER);
	if (!p)
		return NULL;
	memcpy(p, &want, sizeof want);
	if (t)
		t->heap += want + TLS_HEADER;
	return p + TLS_HEADER;
}

void
tls_free(void *q)
{
	if (!q)
		return;
	unsigned char *p = (unsigned char *)q - TLS_HEADER;
	struct tls_conn *t = heap_owner;
	if (t) {
		size_t k;
		memcpy(&k, p, sizeof k);
		k += TLS_HEADER;
		t->heap = t->heap > k ? t->heap - k : 0;
	}
	free(p);
}

/* --- randomness and the crypto core --- */

/* PSA's random generator (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG): the kernel's. A scratch image
 * has no /dev/urandom; getrandom needs none. */
psa_status_t
mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *ctx, uint8_t *out,
				size_t len, size_t *out_len)
{
	(void)ctx;
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0 && errno != EINTR)
			return PSA_ERROR_INSUFFICIENT_ENTROPY;
		if (n > 0)
			got += (size_t)n;
	}
	*out_len = got;
	return PSA_SUCCESS;
}

/* --- where this file goes beyond Mbed TLS's public API ---
 * Each is checked against Mbed TLS 3.6.6 (the Debian 13 source package tools/deps.sh
 * builds); an update must be read against this list, as a compiler cannot tell:
 * 1. save_session drops the server's certificate from the saved session
 *    (session.MBEDTLS_PRIVATE(peer_cert)): no public call does, and without it every
 *    check with TLS keeps a parsed copy (about 3 KiB). Turning off
 *    MBEDTLS_SSL_KEEP_PEER_CERTIFICATE would also take the certificate conn_io checks
 *    after the handshake as Go does.
 * 2. tls_conn_error reads the alert a server sent (ssl.MBEDTLS_PRIVATE(in_msg)[1]) after
 *    MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: 3.6 has no getter for it, and the reason a user
 *    reads depends on it (handshake_failure, bad_certificate...).
 * 3. The private-key operations, wrapped at link time (below).
 * 4. heap_owner, this file's one mutable global: MBEDTLS_PLATFORM_CALLOC_MACRO's hook
 *    takes no context, so each connection's Mbed TLS calls say whose budget an allocation
 *    counts against through it (tls_calloc, below).
 * 5. SHA-1's compression function, mbedtls_internal_sha1_process, is this file's
 *    (MBEDTLS_SHA1_PROCESS_ALT, below): the hook Mbed TLS documents for it.
 * Error classes come from error.h's documented layout (ERR_MODULE), not from ranges. */

/* The high-level module of an Mbed TLS error code (error.h: bits 12-14). */
#define ERR_MODULE(err) ((-(err) >> 12) & 7)
#define ERR_MODULE_X509 2
#define ERR_MODULE_PK   3

/* --- what a client never runs ---
 * Exception 3 above: the musl link wraps
 * (ld --wrap, PRIVATE_KEY_OPS in the Makefile) every private-key operation of its RSA
 * and ECDSA modules, so these stubs stand in for them and the code behind them (about
 * 6 KB: RSA's private operation with its blinding, ECDSA signing) leaves the binary.
 * podhealth never loads a key of its own (no client certificates), so Mbed TLS never
 * calls them: its key tables name them, which is all that linked them. Declared without
 * their parameters on purpose: never called, they read none. */
#define PRIVATE_KEY_OP(name)                                                                       \
	int __wrap_##name(void);                                                                   \
	int __wrap_##name(void)                                                                    \
	{                                                                                          \
		return MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE;                                         \
	}
PRIVATE_KEY_OP(mbedtls_rsa_pkcs1_sign)
PRIVATE_KEY_OP(mbedtls_rsa_pkcs1_decrypt)
PRIVATE_KEY_OP(mbedtls_rsa_rsassa_pss_sign)
PRIVATE_KEY_OP(mbedtls_rsa_rsassa_pss_sign_no_mode_check)
PRIVATE_KEY_OP(mbedtls_ecdsa_write_signature)
PRIVATE_KEY_OP(mbedtls_ecdsa_write_signature_restartable)
/* RSA's private-key completion and checks (rsa_alt_helpers.c): mbedtls_rsa_complete calls
 * them only for a key with a private part; a public key (N, E) takes none of them. */
PRIVATE_KEY_OP(mbedtls_rsa_deduce_primes)
PRIVATE_KEY_OP(mbedtls_rsa_deduce_private_exponent)
PRIVATE_KEY_OP(mbedtls_rsa_deduce_crt)
PRIVATE_KEY_OP(mbedtls_rsa_validate_params)

/* SHA-1's compression function (FIPS 180-4, 6.1.2), its 80 rounds a loop: Mbed TLS's own
 * unrolls them into 4.7 KB of code, this is about 0.2 KB. SHA-1 serves one thing here, the
 * HMAC of the TLS 1.2 ECDHE AES-CBC-SHA suites' records (a probe's few hundred bytes), so
 * its speed does not show (MBEDTLS_SHA1_PROCESS_ALT in tools/mbedtls_config.h; tested with
 * FIPS 180-4's examples in test_tls.c and against servers with those suites). */
int
mbedtls_internal_sha1_process(mbedtls_sha1_context *ctx, const unsigned char data[64])
{
	uint32_t w[16], s[5];
	memcpy(s, ctx->MBEDTLS_PRIVATE(state), sizeof s);
	for (int t = 0; t < 80; t++) {
		uint32_t f, k, x;
		if (t < 16) {
			const unsigned char *p = data + 4 * t;
			w[t] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
			       p[3];
		} else {
			x = w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15];
			w[t & 15] = x << 1 | x >> 31;
		}
		if (t < 20)
			f = (s[1] & s[2]) | (~s[1] & s[3]), k = 0x5A827999;
		else if (t < 40)
			f = s[1] ^ s[2] ^ s[3], k = 0x6ED9EBA1;
		else if (t < 60)
			f = (s[1] & s[2]) | (s[1] & s[3]) | (s[2] & s[3]), k = 0x8F1BBCDC;
		else
			f = s[1] ^ s[2] ^ s[3], k = 0xCA62C1D6;
		x = (s[0] << 5 | s[0] >> 27) + f + s[4] + k + w[t & 15];
		s[4] = s[3];
		s[3] = s[2];
		s[2] = s[1] << 30 | s[1] >> 2;
		s[1] = s[0];
		s[0] = x;
	}
	for (int i = 0; i < 5; i++)
		ctx->MBEDTLS_PRIVATE(state)[i] += s[i];
	mbedtls_platform_zeroize(w, sizeof w);
	mbedtls_platform_zeroize(s, sizeof s);
	return 0;
}

/* Certificates as Go accepts them: signed with SHA-256, -384 or -512 (no SHA-1 since Go
 * 1.18), any key type and curve this build has, RSA keys of 1024 bits or more (Go 1.24). */
static const mbedtls_x509_crt_profile go_profile = {
    MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA256) | MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA384) |
	MBEDTLS_X509_ID_FLAG(MBEDTLS_MD_SHA512),
    0xFFFFFFF,
    0xFFFFFFF,
    1024,
};

/* The cipher suites Go's client offers by default, in its order (crypto/tls
 * cipherSuitesPreferenceOrder on a CPU with AES instructions, less what Go leaves out by
 * default since 1.22 and 1.23: RSA key exchange, 3DES, the CBC-SHA256 suites). */
static const int go_suites[] = {
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    0,
};

/* Sets up cfg->conf: once, at the first connection (the crypto core too, so a podhealth
 * without TLS checks never touches it). Returns 0, or -1. */
static int
config_ready(struct tls_config *cfg)
{
	if (cfg->ready)
		return 0;
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	mbedtls_ssl_config *conf = &cfg->conf;
	mbedtls_ssl_config_init(conf);
	if (mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
		mbedtls_ssl_config_free(conf);
		return -1;
	}
	mbedtls_ssl_conf_rng(conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
	mbedtls_ssl_conf_cert_profile(conf, &go_profile);
	mbedtls_ssl_conf_ciphersuites(conf, go_suites);
	if (cfg->verify) {
		mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(conf, &cfg->ca, NULL);
	} else {
		mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
	}
	/* TLS 1.3 tickets arrive after the handshake; without this they are dropped. */
	mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
	    conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
	if (cfg->alpn[0])
		mbedtls_ssl_conf_alpn_protocols(conf, cfg->alpn);
	cfg->ready = 1;
	return 0;
}

/* --- loading PEM files (startup) --- */

static int
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	if (buf_read_file(out, path, PEM_FILE_MAX) < 0)
		return errno == EFBIG    ? fmt_error(err, errlen, "'%s' is larger than 1 MiB", path)
		       : errno == ENOMEM ? fmt_error(err, errlen, "out of memory")
		       : out->len == 0   ? fmt_error(err, errlen, "cannot open '%s'", path)
					 : fmt_error(err, errlen, "cannot read '%s'", path);
	return 0;
}

/* The first n bytes s in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *s, size_t n)
{
	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

/* The next PEM object in [p, end): its label (label, label_len) and its base64 text with
 * every blank, CR and LF dropped (into body). Text outside objects is skipped, as RFC 7468
 * and Go allow; so is a BEGIN line with no matching END line (a truncated last object),
 * the search going on after it, as Go's pem.Decode goes on. Returns a pointer past the
 * object, or NULL when there is none. */
static const char *
pem_next(const char *p, const char *end, const char **label, size_t *label_len, struct buf *body)
{
	static const char begin[] = "-----BEGIN ", dashes[] = "-----";
	for (const char *b; (b = find(p, end, begin, sizeof begin - 1)) != NULL;) {
		p = *label = b + sizeof begin - 1;
		const char *le = find(*label, end, dashes, sizeof dashes - 1);
		if (!le || memchr(*label, '\n', (size_t)(le - *label)))
			continue;
		*label_len = (size_t)(le - *label);
		const char *q = le + sizeof dashes - 1;
		char stop[160];
		int n =
		    fmt_format(stop, sizeof stop, "-----END %.*s-----", (int)*label_len, *label);
		const char *e = n > 0 ? find(q, end, stop, (size_t)n) : NULL;
		if (!e)
			continue;
		body->len = 0;
		for (; q < e; q++)
			if (!strchr(" \t\r\n", *q))
				buf_append(body, q, 1);
		return e + n;
	}
	return NULL;
}

/* Adds every certificate in the PEM file path to cfg->ca. One that cannot be decoded is
 * skipped with a warning, as Go's AppendCertsFromPEM skips it. */
static int
load_anchors(struct tls_config *cfg, const char *path, char *err, size_t errlen)
{
	struct buf file = {0}, body = {0};
	if (read_file(path, &file, err, errlen) < 0) {
		buf_free(&file);
		return -1;
	}
	const char *p = file.data, *end = file.data + file.len, *label = NULL;
	size_t label_len = 0, objects = 0;
	int rc = 0;
	while (rc == 0 && (p = pem_next(p, end, &label, &label_len, &body)) != NULL) {
		unsigned char *der = body.failed ? NULL : malloc(body.len ? body.len : 1);
		if (!der) {
			rc = fmt_error(err, errlen, "out of memory");
			break;
		}
		long len = buf_base64_decode(body.data, body.len, der, body.len);
		int cert = (label_len == 11 && memcmp(label, "CERTIFICATE", 11) == 0) ||
			   (label_len == 16 && memcmp(label, "X509 CERTIFICATE", 16) == 0);
		int ok = !cert ||
			 (len > 0 && mbedtls_x509_crt_parse_der(&cfg->ca, der, (size_t)len) == 0);
		free(der);
		if (len < 0) {
			/* Not base64 (an unterminated object ran into the next one's END line):
			 * Go's pem.Decode looks again after this BEGIN line. */
			p = label;
			continue;
		}
		objects++;
		if (!ok) {
			char nth[24];
			fmt_format(nth, sizeof nth, "%zu", objects);
			log_event(LOG_WARN, "ca=: skipping a certificate that cannot be decoded",
				  "file", path, "object", nth, NULL);
		}
	}
	if (rc == 0 && objects == 0)
		rc = fmt_error(err, errlen, "'%s' holds no PEM object", path);
	buf_free(&file);
	buf_free(&body);
	return rc;
}

struct tls_config *
tls_config_new(const struct target *t, const char *const *alpn, char *err, size_t errlen)
{
	struct tls_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg) {
		fmt_error(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < TLS_ALPN_MAX && alpn[i]; i++)
		cfg->alpn[i] = alpn[i];
	cfg->keep_session = t != NULL;
	mbedtls_x509_crt_init(&cfg->ca);
	if (t && t->ca_file) {
		cfg->verify = 1;
		if (load_anchors(cfg, t->ca_file, err, errlen) < 0 ||
		    (cfg->ca.raw.len == 0 &&
		     fmt_error(err, errlen, "ca=: no certificate in '%s'", t->ca_file) < 0)) {
			tls_config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

void
tls_config_free(struct tls_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->ready)
		mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_x509_crt_free(&cfg->ca);
	mbedtls_ssl_session_free(&cfg->session);
	free(cfg);
}

/* --- sessions --- */

/* Keeps the session the connection holds now (after its handshake, or a TLS 1.3 ticket)
 * as its configuration's one saved session, without the copy of the server's certificate
 * Mbed TLS puts in it: a resumed handshake never reads it (no certificate is sent, and the
 * verdict on it was made when the session was saved), and it cost about 3 KiB per check
 * kept and a parse of the certificate at every offer. */
static void
save_session(struct tls_conn *t)
{
	/* The saved session is the configuration's, not this connection's: its memory and the
	 * one it replaces count against no connection's budget. */
	struct tls_conn *owner = heap_owner;
	heap_owner = NULL;
	struct tls_config *cfg = t->cfg;
	mbedtls_ssl_session_free(&cfg->session);
	cfg->has_session = mbedtls_ssl_get_session(&t->ssl, &cfg->session) == 0;
	mbedtls_x509_crt **crt = &cfg->session.MBEDTLS_PRIVATE(peer_cert); /* exception 1 */
	if (*crt) { /* none after a resumed handshake: the end saved with the session holds */
		cfg->session_cert_end = (*crt)->valid_to;
		mbedtls_x509_crt_free(*crt);
		mbedtls_free(*crt);
		*crt = NULL;
	}
	if (!cfg->has_session)
		mbedtls_ssl_session_free(&cfg->session);
	fmt_format(cfg->session_name, sizeof cfg->session_name, "%s", t->name);
	heap_owner = owner;
}

/* Offers the saved session to a server of the same name; with ca=, only while the
 * certificate it was verified with is valid (a resumed handshake sees no certificate, and
 * Go's full handshake would fail on the expired one). */
static void
offer_session(struct tls_conn *t)
{
	struct tls_config *cfg = t->cfg;
	if (cfg->has_session && strcmp(cfg->session_name, t->name) == 0 &&
	    !(cfg->verify && mbedtls_x509_time_is_past(&cfg->session_cert_end)) &&
	    mbedtls_ssl_set_session(&t->ssl, &cfg->session) == 0)
		t->offered = 1;
}

int
tls_conn_forget_session(struct tls_conn *t)
{
	if (!t->offered || !t->cfg->has_session)
		return 0;
	mbedtls_ssl_session_free(&t->cfg->session);
	t->cfg->has_session = 0;
	return 1;
}

/* --- the socket, as Mbed TLS sees it --- */

/* Sends n bytes as send(2) would, in Mbed TLS's terms: bytes sent, WANT_WRITE, or a
 * failure (t->io_errno). */
static int
raw_send(struct tls_conn *t, const unsigned char *buf, size_t n)
{
	for (;;) {
		ssize_t r = send(t->fd, buf, n, MSG_NOSIGNAL);
		if (r >= 0)
			return (int)r;
		if (errno == EAGAIN)
			return MBEDTLS_ERR_SSL_WANT_WRITE;
		if (errno != EINTR) {
			t->io_errno = errno;
			return MBEDTLS_ERR_NET_SEND_FAILED;
		}
	}
}

/* Sends what out holds. Returns 0 once it has all gone, else WANT_WRITE or a failure. */
static int
out_send(struct tls_conn *t)
{
	if (!t->out.len)
		return 0;
	size_t off = 0;
	int r = 0;
	while (off < t->out.len &&
	       (r = raw_send(t, (unsigned char *)t->out.data + off, t->out.len - off)) >= 0)
		off += (size_t)r;
	memmove(t->out.data, t->out.data + off, t->out.len - off);
	t->out.len -= off;
	return t->out.len ? (r < 0 ? r : MBEDTLS_ERR_SSL_WANT_WRITE) : 0;
}

/* Mbed TLS never sees the socket full: what it does not take now waits in out, and
 * Mbed TLS is told it went. So no record is ever left half-sent inside Mbed TLS, whose
 * contract then (call again with the same arguments, ssl_write_real) a TLS 1.3 ticket
 * processed in between would break by sending the record twice. conn_write offers no new
 * record while out holds one, so out holds at most a record and what Mbed TLS writes on
 * its own (an alert). During the handshake every record waits in out until Mbed TLS next
 * reads or the handshake ends, so that a flight leaves in one send, as Go's crypto/tls
 * writes one: with a send per record, a server's delayed ACK held the second ~40 ms before
 * TCP_NODELAY. */
static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	size_t sent = 0;
	int r = t->phase == TLS_HANDSHAKING ? MBEDTLS_ERR_SSL_WANT_WRITE : out_send(t);
	if (r == 0)
		r = raw_send(t, buf, len);
	if (r == MBEDTLS_ERR_NET_SEND_FAILED)
		return r;
	sent = r > 0 ? (size_t)r : 0;
	buf_append(&t->out, buf + sent, len - sent);
	return t->out.failed ? MBEDTLS_ERR_SSL_ALLOC_FAILED : (int)len;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *t = ctx;
	/* The handshake's flight goes before Mbed TLS waits for the answer to it. Later,
	 * reading never waits for writing: a peer that stops reading while it sends must
	 * still be read (the flood bound is HTTP/2's). */
	int sent = t->phase == TLS_HANDSHAKING ? out_send(t) : 0;
	if (sent < 0)
		return sent;
	for (;;) {
		ssize_t n = recv(t->fd, buf, len, 0);
		if (n > 0) {
			/* A TLS server's first byte is a record type (20-23). */
			if (!t->got_bytes && (buf[0] < 20 || buf[0] > 23))
				t->peer = n >= 5 && memcmp(buf, "HTTP/", 5) == 0 ? PEER_HTTP
										 : PEER_NOT_TLS;
			t->got_bytes = 1;
			return (int)n;
		}
		if (n == 0) {
			t->peer_closed = 1;
			return 0; /* the end of the stream */
		}
		if (errno == EAGAIN)
			return MBEDTLS_ERR_SSL_WANT_READ;
		if (errno != EINTR) {
			t->io_errno = errno;
			return MBEDTLS_ERR_NET_RECV_FAILED;
		}
	}
}

/* With ca=: called for each certificate of the chain Mbed TLS built, the server's last
 * (depth 0). Its name check falls back to the Common Name; Go's does not (certname.c).
 * Name constraints, which Mbed TLS leaves to the application, are checked here too. */
static int
verify_name(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct tls_conn *t = ctx;
	if (depth > 0) {
		if (mbedtls_x509_crt_has_ext_type(crt, MBEDTLS_X509_EXT_NAME_CONSTRAINTS) &&
		    t->nconstrained < sizeof t->constrained / sizeof t->constrained[0])
			t->constrained[t->nconstrained++] = crt;
		return 0;
	}
	*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	t->name_result = certname_check(crt, t->name);
	if (t->name_result != CERTNAME_OK)
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	t->leaf = *flags;
	for (unsigned i = 0; i < t->nconstrained && t->constraint_result == CERTNAME_OK; i++)
		t->constraint_result = certname_constrained(t->constrained[i], crt);
	if (t->constraint_result != CERTNAME_OK)
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
	return 0;
}

/* --- connections --- */

struct tls_conn *
tls_conn_new(struct tls_config *cfg, const char *server_name)
{
	if (config_ready(cfg) < 0)
		return NULL;
	struct tls_conn *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cfg = cfg;
	t->fd = -1;
	t->want = EPOLLOUT;
	mbedtls_ssl_init(&t->ssl);
	/* SNI is a host name without its final dot; an IP address is never sent (RFC 6066
	 * section 3), and is checked by verify_name alone. The certificate is checked against
	 * the name as given, as Go checks its ServerName (a final dot matters to certname.c). */
	fmt_format(t->name, sizeof t->name, "%s", server_name ? server_name : "");
	size_t len = strlen(t->name);
	int dot = len && t->name[len - 1] == '.';
	t->name[len - dot] = '\0';
	int sni = t->name[0] && !target_ip_literal(t->name);
	heap_owner = t;
	int failed = mbedtls_ssl_setup(&t->ssl, &cfg->conf) != 0 ||
		     mbedtls_ssl_set_hostname(&t->ssl, sni ? t->name : NULL) != 0;
	t->name[len - dot] = dot ? '.' : '\0';
	if (!failed) {
		if (cfg->verify)
			mbedtls_ssl_set_verify(&t->ssl, verify_name, t);
		mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
		if (cfg->keep_session)
			offer_session(t);
	}
	heap_owner = NULL;
	if (failed) {
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	mbedtls_ssl_free(&t->ssl);
	buf_free(&t->out);
	free(t);
}

const char *
tls_conn_alpn(const struct tls_conn *t)
{
	return mbedtls_ssl_get_alpn_protocol(&t->ssl);
}

int
tls_conn_ready(const struct tls_conn *t)
{
	return t->phase != TLS_HANDSHAKING && t->phase != TLS_HANDSHAKE_FAILED;
}

static int
failed(const struct tls_conn *t)
{
	return t->phase == TLS_HANDSHAKE_FAILED || t->phase == TLS_FAILED;
}

/* Ends the connection with Mbed TLS error err. Returns -1. */
static int
fail(struct tls_conn *t, int err)
{
	t->err = err;
	if (!failed(t))
		t->phase = t->phase == TLS_HANDSHAKING ? TLS_HANDSHAKE_FAILED : TLS_FAILED;
	return -1;
}

static int
conn_io(struct tls_conn *t, int fd)
{
	t->fd = fd;
	if (failed(t))
		return -1;
	if (t->phase != TLS_HANDSHAKING) /* the socket can take what waits in out */
		return out_send(t) == MBEDTLS_ERR_NET_SEND_FAILED
			   ? fail(t, MBEDTLS_ERR_NET_SEND_FAILED)
			   : 0;
	int r = mbedtls_ssl_handshake(&t->ssl);
	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
		t->want = r == MBEDTLS_ERR_SSL_WANT_READ ? EPOLLIN : EPOLLOUT;
		return 0;
	}
	if (r != 0) {
		(void)out_send(t); /* the alert Mbed TLS wrote, if the socket takes it */
		return fail(t, r);
	}
	/* What Go's crypto/tls refuses in any handshake, verified or not (its defaults since
	 * 1.23 and 1.24): a certificate with a negative serial number, which
	 * x509.ParseCertificate refuses (x509negativeserial), or with a URI subjectAltName
	 * its url.Parse refuses; and a server key of RSA under 1024 bits, which crypto/rsa
	 * refuses to verify with (rsa1024min). A resumed handshake sees no certificate. */
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&t->ssl);
	for (const mbedtls_x509_crt *c = crt; c && !t->go_refused; c = c->next)
		t->go_refused = c->serial.len && (c->serial.p[0] & 0x80) ? 1
				: !certname_uris_parse(c)                ? 3
									 : 0;
	if (!t->go_refused && crt && mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_RSA &&
	    mbedtls_pk_get_bitlen(&crt->pk) < 1024)
		t->go_refused = 2;
	if (t->go_refused)
		return fail(t, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
	/* The last flight (Finished) ends the handshake: nothing reads after it. */
	if (out_send(t) == MBEDTLS_ERR_NET_SEND_FAILED)
		return fail(t, MBEDTLS_ERR_NET_SEND_FAILED);
	t->phase = TLS_OPEN;
	if (t->cfg->keep_session &&
	    mbedtls_ssl_get_version_number(&t->ssl) == MBEDTLS_SSL_VERSION_TLS1_2)
		save_session(t); /* TLS 1.3 tickets come later, in tls_conn_read */
	return 0;
}

int
tls_conn_io(struct tls_conn *t, int fd)
{
	heap_owner = t;
	int r = conn_io(t, fd);
	heap_owner = NULL;
	return r;
}

uint32_t
tls_conn_events(const struct tls_conn *t, uint32_t want)
{
	if (failed(t))
		return 0; /* nothing more will come: the kind reads the error */
	if (t->phase == TLS_HANDSHAKING)
		return t->want;
	return (t->phase == TLS_ENDED ? 0 : want & EPOLLIN) |
	       (t->out.len ? EPOLLOUT : want & EPOLLOUT);
}

/* errno for a connection that failed. */
static int
dead_errno(const struct tls_conn *t)
{
	return t->err == MBEDTLS_ERR_NET_SEND_FAILED || t->err == MBEDTLS_ERR_NET_RECV_FAILED
		   ? t->io_errno
		   : EPROTO;
}

static ssize_t
conn_read(struct tls_conn *t, void *buf, size_t len)
{
	while (t->phase == TLS_OPEN) {
		int r = mbedtls_ssl_read(&t->ssl, buf, len);
		if (r > 0)
			return r;
		if (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			if (t->cfg->keep_session)
				save_session(t);
			continue;
		}
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			errno = EAGAIN;
			return -1;
		}
		/* Mbed TLS returns 0 for two empty records in a row too (RFC 8446 5.4 allows
		 * them; Go skips them): only the socket's end is the stream's. */
		if (r == 0 && !t->peer_closed)
			continue;
		/* Like Go's crypto/tls, an end without close_notify after the handshake is
		 * just the end of the stream. */
		if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		    r == MBEDTLS_ERR_SSL_CONN_EOF)
			t->phase = TLS_ENDED;
		else
			fail(t, r);
	}
	if (t->phase == TLS_ENDED)
		return 0;
	errno = dead_errno(t);
	return -1;
}

ssize_t
tls_conn_read(struct tls_conn *t, void *buf, size_t len)
{
	heap_owner = t;
	ssize_t r = conn_read(t, buf, len);
	heap_owner = NULL;
	return r;
}

/* One record at a time: while out holds one, nothing more is taken. */
static ssize_t
conn_write(struct tls_conn *t, const void *buf, size_t len)
{
	if (t->phase == TLS_HANDSHAKING)
		return 0;
	int r = failed(t) ? -1 : out_send(t);
	if (r == MBEDTLS_ERR_NET_SEND_FAILED)
		fail(t, r);
	if (!failed(t) && t->out.len)
		return 0; /* the socket is full: on EPOLLOUT (tls_conn_events) */
	if (!failed(t)) {
		r = mbedtls_ssl_write(&t->ssl, buf, len);
		/* A TLS 1.3 ticket whose reading a read left unfinished ends in a write. */
		while (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			if (t->cfg->keep_session)
				save_session(t);
			r = mbedtls_ssl_write(&t->ssl, buf, len);
		}
		if (r >= 0)
			return r;
		fail(t, r);
	}
	errno = dead_errno(t);
	return -1;
}

ssize_t
tls_conn_write(struct tls_conn *t, const void *buf, size_t len)
{
	heap_owner = t;
	ssize_t r = conn_write(t, buf, len);
	heap_owner = NULL;
	return r;
}

/* The reason a certificate failed verification, in Go's order (x509.Certificate.Verify):
 * the server's own dates, its name, then the chain. */
static const char *
verify_error(const struct tls_conn *t)
{
	uint32_t all = mbedtls_ssl_get_verify_result(&t->ssl);
	if (t->leaf & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
		return "TLS: certificate has expired or is not yet valid";
	if (t->leaf & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return t->name_result == CERTNAME_LEGACY_CN
			   ? "TLS: certificate relies on the legacy Common Name field, use SANs"
			   : "TLS: certificate is not valid for the server name";
	if (t->constraint_result == CERTNAME_NOT_PERMITTED)
		return "TLS: a CA in the chain is not authorized to sign for this name (name "
		       "constraints)";
	if (t->constraint_result == CERTNAME_BAD_CONSTRAINTS)
		return "TLS: a CA's name constraints cannot be applied (unhandled critical "
		       "extension)";
	/* An expired CA is found as the issuer still, and flagged: Go says "expired" too. */
	if (all & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
		return "TLS: certificate has expired or is not yet valid";
	if (all & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "TLS: certificate signed by an unknown authority";
	if (all & (MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_KEY_USAGE))
		return "TLS: certificate not allowed for a server";
	if (all & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
		   MBEDTLS_X509_BADCERT_BAD_KEY))
		return "TLS: certificate uses an algorithm or key size Go refuses";
	return "TLS: certificate verification failed";
}

/* Go's wording where there is a Go equivalent. */
const char *
tls_conn_error(struct tls_conn *t)
{
	int err = t->err;
	if (t->heap_refused)
		return "TLS: the server's handshake needs more memory than a check may take (128 "
		       "KiB)";
	if (t->go_refused)
		return t->go_refused == 1   ? "TLS: certificate has a negative serial number"
		       : t->go_refused == 3 ? "TLS: certificate has a URI subjectAltName Go cannot "
					      "parse"
					    : "TLS: the server's RSA key is under 1024 bits";
	if (t->peer != PEER_TLS)
		return t->peer == PEER_HTTP
			   ? "TLS handshake failed: the server answered in plain HTTP"
			   : "TLS handshake failed: the server does not speak TLS";
	if (t->io_errno &&
	    (err == MBEDTLS_ERR_NET_SEND_FAILED || err == MBEDTLS_ERR_NET_RECV_FAILED))
		return net_strerror(t->io_errno);
	if (err == 0 || err == MBEDTLS_ERR_SSL_CONN_EOF)
		return t->got_bytes ? "TLS handshake failed: connection closed"
				    : "TLS handshake failed: connection closed without a response";
	if (err == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
		return verify_error(t);
	/* The record layer could not hold a whole handshake message (a certificate chain):
	 * Mbed TLS reassembles one in its 16 KiB input buffer, Go takes 256 KiB. */
	if (err == MBEDTLS_ERR_SSL_BAD_INPUT_DATA && t->phase == TLS_HANDSHAKE_FAILED)
		return "TLS handshake failed: a handshake message over 16 KiB (a certificate chain "
		       "larger than podhealth reads)";
	if (err == MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION)
		return "TLS handshake failed: the server speaks neither TLS 1.2 nor 1.3";
	if (err == MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE)
		return "TLS handshake failed: no cipher suite in common";
	if (err == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
		unsigned alert = t->ssl.MBEDTLS_PRIVATE(in_msg)[1]; /* exception 2 */
		switch (alert) {
		case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
			return "TLS handshake failed: the server refused (handshake_failure: no "
			       "cipher suite, "
			       "group or key type in common)";
		case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
		case MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED:
			return "TLS handshake failed: the server wants a client certificate";
		case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
			return "TLS handshake failed: the server speaks neither TLS 1.2 nor 1.3";
		}
		fmt_format(t->why, sizeof t->why, "TLS handshake failed: the server sent alert %u",
			   alert);
		return t->why;
	}
	if (ERR_MODULE(err) == ERR_MODULE_PK) /* the certificate's key */
		fmt_format(
		    t->why, sizeof t->why,
		    err == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE
			? "TLS: certificate key on a curve podhealth lacks (Mbed TLS error -0x%04x)"
		    : err == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG
			? "TLS: certificate key of a type podhealth lacks (Mbed TLS error -0x%04x)"
			: "TLS: certificate key cannot be used (larger than 8192 bits, or "
			  "malformed: Mbed TLS error -0x%04x)",
		    -err);
	else if (ERR_MODULE(err) == ERR_MODULE_X509)
		fmt_format(t->why, sizeof t->why, "TLS: bad certificate (Mbed TLS error -0x%04x)",
			   -err);
	else
		fmt_format(t->why, sizeof t->why, "TLS handshake failed (Mbed TLS error -0x%04x)",
			   -err);
	return t->why;
}
