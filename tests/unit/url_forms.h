/* The schemes every refusal of a URL lists (target.c's schemes[]), for the tests of the
 * refusals. */
#ifndef PODHEALTH_TEST_URL_FORMS_H
#define PODHEALTH_TEST_URL_FORMS_H

#define FORMS                                                                                      \
	"(want http[s]://, tcp://, grpc[s]://, unix://, postgres[ql]://, mysql:// or redis[s]://)"

#endif
