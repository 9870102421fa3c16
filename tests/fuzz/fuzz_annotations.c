/* The pod's annotations file (Downward API) and the JSON inside Istio's status annotation:
 * written by the injector, but read from a file anyone with pod-edit rights shapes. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "mesh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];
	int warn;
	const char *text = (const char *)data;
	for (int m = MESH_NONE + 1; m < MESH_COUNT; m++) /* every sidecar's reading */
		if (mesh_mode_from(text, size, (enum target_mesh)m, why, sizeof why, &warn) >
		    SIDECAR_NONE)
			__builtin_trap();
	int r = json_array_has(text, size, "initContainers", "istio-proxy");
	if (r < -1 || r > 1)
		__builtin_trap();
	return 0;
}
