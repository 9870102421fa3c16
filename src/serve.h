/* podhealth serve: the aggregating health-check daemon. */
#ifndef PODHEALTH_SERVE_H
#define PODHEALTH_SERVE_H

struct config;

/* Runs the daemon until SIGTERM or SIGINT. Returns the process exit status: 0 after a
 * clean shutdown, 1 when it cannot start (already logged). */
int serve_run(const struct config *cfg);

#endif
