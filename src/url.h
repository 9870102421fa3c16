/* Redirect targets: a Location header resolved against the request's URL the way Go's
 * net/url does for kubelet's client (RFC 3986 section 5 with Go's parsing rules). Pure
 * functions. */
#ifndef PODHEALTH_URL_H
#define PODHEALTH_URL_H

#include <stddef.h>
#include <stdint.h>

/* Longest Location header podhealth follows. */
#define URL_LOCATION_MAX 8192

/* An absolute URL as a request needs it. */
struct url {
	char scheme[16];    /* lower case: "http", "https", or what the Location said */
	char hostname[256]; /* without port or brackets, case as written */
	uint16_t port;      /* explicit, else the scheme's default (80, 443; 0 otherwise) */
	char *authority;    /* host[:port] as written: the Host header; owned */
	char *target; /* escaped path (at least "/") and "?query": the request target; owned */
	int relative; /* the reference had no scheme (Go keeps a custom Host then) */
	char *authorization; /* "Basic ..." from the URL's user information, or NULL; owned */
};

/* Resolves ref (len bytes) against base. Returns 0 with out filled (free with url_free),
 * or -1 with a reason in err. Credentials follow Go's ResolveReference: a reference with
 * a scheme or a host carries its own user information (or none), any other keeps
 * base's. */
int url_resolve(const struct url *base, const char *ref, size_t len, struct url *out, char *err,
		size_t errlen);

/* Parses s (n bytes) as Go's url.Parse does, whatever its scheme (a certificate's URI
 * subjectAltName: crypto/x509 refuses a certificate with one it cannot parse). Returns 0
 * with its host, unescaped and with any port (URL.Host), appended to host (nothing when it
 * has none), or -1. */
struct buf;
int url_parse_host(const char *s, size_t n, struct buf *host);

/* Appends the Authorization value Go's client sends for user[:password] (n bytes at
 * info, percent-escaped as in a URL): "Basic " and base64 of user:password. */
void url_basic_auth(const char *info, size_t n, struct buf *out);

/* Writes scheme://authority/target (the Referer of the next request) into b. */
void url_format(const struct url *u, struct buf *b);

void url_free(struct url *u);

#endif
