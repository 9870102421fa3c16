/* Name resolution off the event loop: getaddrinfo() in short-lived threads. */
#ifndef PODHEALTH_RESOLVER_H
#define PODHEALTH_RESOLVER_H

#include "net.h"

struct loop;

/* Called on the loop thread with the lookup's outcome: err is 0 or a reason string. */
typedef void (*resolve_cb)(void *arg, const char *err, const struct net_addrs *addrs);

struct resolver;
struct resolve_req;

/* Returns a resolver that runs getaddrinfo() in short-lived threads and hands results
 * back through a pipe watched by loop; NULL on failure (errno set). Free with
 * resolver_free. */
struct resolver *resolver_new(struct loop *loop);
void resolver_free(struct resolver *r);

/* Lookups at once: each is a thread (getaddrinfo blocks) with a small stack; 32 covers a
 * pod's every sidecar and dependency in one round, and bounds memory and the resolver's
 * load when a round has hundreds of checks (the rest queue, within their deadlines). */
#define RESOLVER_THREADS 32

/* Starts resolving host, or joins a lookup of the same name already under way or waiting;
 * cb runs later on the loop thread unless the request is cancelled first. Returns the
 * request (owned by the resolver), or NULL with errno set (ENOMEM). */
struct resolve_req *resolver_lookup(struct resolver *r, const char *host, resolve_cb cb, void *arg);

/* Makes sure cb is never called for req. */
void resolver_cancel(struct resolve_req *req);

#endif
