/* Force-included into llhttp's sources (Makefile, LLHTTP_NO_STDERR): llhttp__debug, which
 * nothing calls, prints to stderr, and the reference alone would link musl's stderr FILE,
 * writable data in every process. Its stream becomes a null pointer it never reaches. */
#include <stdio.h>
#undef stderr
#define stderr ((FILE *)0)
