/* A strict JSON reader (RFC 8259) for the one question podhealth asks of JSON: the
 * sidecar injector's status annotation, which names the containers it added. */
#ifndef PODHEALTH_JSON_H
#define PODHEALTH_JSON_H

#include <stddef.h>

/* Returns 1 when text (n bytes) is one JSON value, an object whose member key is an array
 * holding the string value; 0 when it is valid JSON without that; -1 when it is not valid
 * JSON (or nests deeper than 64). Escapes in strings are decoded before comparing; the
 * last of repeated members counts, as Go's encoding/json reads them. Pure. */
int json_array_has(const char *text, size_t n, const char *key, const char *value);

#endif
