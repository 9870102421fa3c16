/* What --istio and --linkerd must do in this pod: a classic sidecar needs waiting for and
 * a shutdown call, a native sidecar (an init container with restartPolicy Always) starts
 * first and is stopped by the kubelet, and no sidecar (Istio's ambient mode, or nothing
 * injected) needs neither. The pod's annotations, from a Downward API file, say which. */
#ifndef PODHEALTH_MESH_H
#define PODHEALTH_MESH_H

#include <stddef.h>

#include "config.h"
#include "target.h"

/* Decides each mesh's sidecar mode: --sidecar when it is not auto; else from the
 * annotations file when given (startup I/O: read once); else classic. Never fails: an
 * unreadable file is logged and read as classic, the safe default for a Job. Returns the
 * mode of mesh (MESH_ISTIO or MESH_LINKERD), with the reason for it in why. */
enum sidecar_mode mesh_mode(const struct config *cfg, enum target_mesh mesh, char *why,
			    size_t whylen);

/* Decides from the text of an annotations file (Downward API: key="value" lines, values
 * quoted as Go quotes them), with the reason in why; *warn is set when the annotations
 * could not be read as they should (invalid JSON, an unknown version). Istio: the proxy
 * among the status annotation's initContainers is native. Linkerd: no proxy-version, no
 * proxy; else the native-sidecar annotation (config., then config.beta., then
 * config.alpha.), else the version's default. Pure. */
enum sidecar_mode mesh_mode_from(const char *annotations, size_t len, enum target_mesh mesh,
				 char *why, size_t whylen, int *warn);

#endif
