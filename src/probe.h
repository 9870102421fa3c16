/* podhealth probe: one concurrent round of the checks, for an exec probe. */
#ifndef PODHEALTH_PROBE_H
#define PODHEALTH_PROBE_H

struct config;

/* One concurrent round: returns 0 when every check passes, else 1, after writing one line
 * per failing check (every check with verbose) to stderr; 2 when a check names a file
 * that cannot be used, 1 when the system fails us (both logged). */
int probe_run(const struct config *cfg);

#endif
