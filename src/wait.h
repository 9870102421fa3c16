/* podhealth wait and podhealth probe: the check engine without a server. */
#ifndef PODHEALTH_WAIT_H
#define PODHEALTH_WAIT_H

struct config;

/* Waits for the checks, then exits, execs or supervises the command, and makes the
 * on-exit calls. Returns the process exit status. */
int wait_run(const struct config *cfg);

/* One concurrent round: returns 0 when every check passes, else 1, after writing one line
 * per failing check (every check with verbose) to stderr. */
int probe_run(const struct config *cfg);

#endif
