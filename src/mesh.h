/* What --istio and --linkerd must do in this pod: a classic sidecar needs waiting for and
 * a shutdown call, a native sidecar (an init container with restartPolicy Always) starts
 * first and is stopped by the kubelet, and no sidecar (Istio's ambient mode, or nothing
 * injected) needs neither. The pod's annotations, from a Downward API file, say which. */
#ifndef PODHEALTH_MESH_H
#define PODHEALTH_MESH_H

#include <stddef.h>

struct config;
struct target;

/* Every mesh, one row each: its id, its flag (--NAME, PODHEALTH_NAME), the name of the
 * proxy's readiness check and its URL, the URL of the proxy's shutdown call, and the
 * annotation its injector leaves on a pod it injected (mesh.c reads the rest: NAME_mode).
 * Linkerd 2.16 and later serve the shutdown endpoint only with
 * proxy.enableShutdownEndpoint. */
#define MESH_LIST(X)                                                                               \
	X(ISTIO, istio, "istio-proxy", "http://localhost:15021/healthz/ready",                     \
	  "http://localhost:15020/quitquitquit", "sidecar.istio.io/status")                        \
	X(LINKERD, linkerd, "linkerd-proxy", "http://localhost:4191/ready",                        \
	  "http://localhost:4191/shutdown", "linkerd.io/proxy-version")

/* The mesh whose proxy a target is (its readiness check, or its shutdown call). */
#define MESH_ENUM(id, name, check, ready, quit, annotation) MESH_##id,
enum target_mesh { MESH_NONE, MESH_LIST(MESH_ENUM) MESH_COUNT };
#undef MESH_ENUM

/* How the mesh proxy runs in the pod: from --pod-annotations (auto), or as --sidecar says.
 * mesh_sidecar_names has their names, in this order, NULL-terminated. */
enum sidecar_mode { SIDECAR_AUTO, SIDECAR_CLASSIC, SIDECAR_NATIVE, SIDECAR_NONE };
extern const char *const mesh_sidecar_names[];

/* What a mesh is: the facts of its MESH_LIST row. */
struct mesh {
	const char *name, *check, *ready_url, *quit_url, *annotation;
	/* The mode, from the pod's annotations text with this mesh's annotation's value
	 * (unquoted) in v; the reason in why, *warn set when it could not be read as it
	 * should. */
	enum sidecar_mode (*mode)(const char *text, size_t len, const char *v, char *why,
				  size_t whylen, int *warn);
};
extern const struct mesh meshes[MESH_COUNT];

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

/* What a wait runs in this pod: the checks of cfg but those of a mesh without a sidecar,
 * and the on-exit calls but those of a mesh whose sidecar is not classic (logged, a line
 * per mesh, with the reason). The arrays are new (free them; the targets in them are
 * borrowed from cfg). Returns 0, or -1 out of memory. */
int mesh_plan(const struct config *cfg, struct target **checks, size_t *nchecks,
	      struct target **calls, size_t *ncalls);

#endif
