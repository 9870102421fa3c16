/* A gRPC health answer's message bytes: the length prefix and the protobuf inside. */
#include <stddef.h>
#include <stdint.h>

#include "check_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t status = 0;
	const char *why = check_grpc_answer(data, size, &status);
	/* An answer is only ever read from one whole message. */
	if (!why && (size < 5 || data[0] != 0))
		__builtin_trap();
	return 0;
}
