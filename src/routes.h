/* What podhealth answers: /self, /all, and errors for everything else. */
#ifndef PODHEALTH_ROUTES_H
#define PODHEALTH_ROUTES_H

#include <stddef.h>

struct checker;
struct conn;
struct request;

enum route { ROUTE_SELF, ROUTE_ALL, ROUTE_NOT_FOUND };

/* Returns the route for a request path (without its query). Pure. */
enum route routes_match(const char *path, size_t len);

/* Returns 1 when method (llhttp_method_t) may be used on a route: GET and HEAD. */
int routes_method_allowed(int method);

/* The server_handler for podhealth serve; ctx is the struct checker. */
void routes_handle(void *ctx, struct conn *c, const struct request *req);

#endif
