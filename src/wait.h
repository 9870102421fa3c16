/* podhealth wait: the check engine without a server, before a command. */
#ifndef PODHEALTH_WAIT_H
#define PODHEALTH_WAIT_H

struct config;

/* Waits for the checks, then exits, execs or supervises the command, and makes the
 * on-exit calls. Returns the process exit status. */
int wait_run(const struct config *cfg);

#endif
