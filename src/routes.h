/* What podhealth serve answers: /self /livez, /all /readyz (and /NAME), /metrics. */
#ifndef PODHEALTH_ROUTES_H
#define PODHEALTH_ROUTES_H

#include <stddef.h>

#include "request.h"

struct checker;
struct conn;
struct request;

enum route { ROUTE_SELF, ROUTE_ALL, ROUTE_ONE, ROUTE_METRICS, ROUTE_NOT_FOUND };

/* Returns the route for a request path (without its query); for ROUTE_ONE, *name and
 * *name_len point at the check name within path. Pure. */
enum route routes_match(const char *path, size_t len, const char **name, size_t *name_len);

/* Returns 1 when method may be used on a route: GET and HEAD. */
int routes_method_allowed(enum request_method method);

/* Returns 1 when an Accept header value prefers JSON: application/health+json or
 * application/json with a q above 0 and not below text/plain's. Pure. */
int routes_accepts_json(const char *accept);

/* Decodes the next "name=value" (or bare "name") of a query string at *q (len bytes
 * left in *len): percent-escapes decoded into key and val (each of size cap; one that
 * does not fit is made empty). '+' is a '+', as in every name. Returns 1, or 0 at the
 * end. Pure. */
int routes_next_param(const char **q, size_t *len, char *key, char *val, size_t cap);

struct routes {
	struct checker *ck;
	int hide_reasons;
};

/* The httpd_handler for podhealth serve; ctx is a struct routes. */
void routes_handle(void *ctx, struct conn *c, const struct request *req);

#endif
