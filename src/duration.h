/* Durations on the command line: "3", "2.5", "500ms", "3s", "1m", "1h". Pure functions. */
#ifndef PODHEALTH_DURATION_H
#define PODHEALTH_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parses "3" (seconds), "2.5", "500ms", "3s", "1m", "1h" or segments such as "1m30s"
 * into milliseconds in [1, max_ms]. Returns 0, or -1 with a reason in err. */
int duration_parse(const char *s, int64_t max_ms, int64_t *ms, char *err, size_t errlen);

/* Writes ms as "3s", "2.5s", "500ms", "1m30s" or "1h" into out. */
void duration_format(int64_t ms, char *out, size_t len);

#endif
