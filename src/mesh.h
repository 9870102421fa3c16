/* What the sidecar flags (--istio, --linkerd, --cloudsql...) must do in this pod: a classic
 * sidecar needs waiting for and a shutdown call, a native sidecar (an init container with
 * restartPolicy Always) starts first and is stopped by the kubelet, and no sidecar
 * (Istio's ambient mode, or nothing injected) needs neither. The pod's annotations, from a
 * Downward API file, say which, for the sidecars an injector annotates. */
#ifndef PODHEALTH_MESH_H
#define PODHEALTH_MESH_H

#include <stddef.h>

struct config;
struct target;

/* Every sidecar podhealth knows, one row each: its id, its flag (--NAME, PODHEALTH_NAME),
 * the name of its readiness check and its URL (NULL: none over HTTP), the URL of its
 * shutdown call (POST; NULL: none), the annotation its injector leaves on a pod it
 * injected (NULL: no injector, so classic unless --sidecar says), whether it carries the
 * pod's traffic (a mesh: stopped after the others), and its --help line (mesh.c reads
 * the rest: NAME_mode). Each fact as the project's own source has it, at its default
 * branch of 2026-12:
 * - Istio: pilot-agent's status port 15021 and its /quitquitquit on 15020.
 * - Linkerd: the proxy's admin port 4191; since 2.16 /shutdown only with
 *   proxy.enableShutdownEndpoint (or the pod annotation config.linkerd.io/proxy-admin-
 *   shutdown: enabled).
 * - Cloud SQL Auth Proxy v2 (cloud-sql-proxy cmd/root.go): --health-check serves /startup
 *   (503 until started, then 200) on localhost:9090 (--http-port); --quitquitquit serves
 *   /quitquitquit (GET or POST, 200) on localhost:9091 (--admin-port).
 * - AlloyDB Auth Proxy (alloydb-auth-proxy cmd/root.go): the same flags, ports and paths
 *   (/quitquitquit takes GET or POST since its PR 726, though its help says POST).
 * - Consul dataplane: /graceful_startup (200 once Envoy is ready, or at the end of the
 *   grace period) and /graceful_shutdown on -graceful-port, 20600 as consul-k8s's injector
 *   sets it (consul-dataplane's own default is 20300); annotation connect-inject-status.
 * - Dapr (dapr pkg/api/http): GET /v1.0/healthz/outbound on 3500 (204 once its outbound
 *   side is ready, without waiting for the app), POST /v1.0/shutdown (204), with the
 *   dapr-api-token header when DAPR_API_TOKEN is set (mesh.c).
 * - Vault agent (vault command/agent.go): no readiness over HTTP (its init container has
 *   rendered the secrets before the app starts); POST /agent/v1/quit (200) on the
 *   listener vault-k8s writes at 127.0.0.1:8200, with vault.hashicorp.com/agent-enable-
 *   quit: "true".
 * - Kuma (kuma pkg/plugins/runtime/k8s): the probe its injector writes, GET /ready on
 *   Envoy's admin port 9901; kuma-dp has no shutdown endpoint. */
#define MESH_LIST(X)                                                                               \
	X(ISTIO, istio, "istio-proxy", "http://localhost:15021/healthz/ready",                     \
	  "http://localhost:15020/quitquitquit", "sidecar.istio.io/status", 1,                     \
	  "wait for istio-proxy=\nhttp://localhost:15021/healthz/ready\nand call "                 \
	  "http://localhost:15020/quitquitquit")                                                   \
	X(LINKERD, linkerd, "linkerd-proxy", "http://localhost:4191/ready",                        \
	  "http://localhost:4191/shutdown", "linkerd.io/proxy-version", 1,                         \
	  "wait for linkerd-proxy=\nhttp://localhost:4191/ready\nand call "                        \
	  "http://localhost:4191/shutdown")                                                        \
	X(CLOUDSQL, cloudsql, "cloudsql-proxy", "http://localhost:9090/startup",                   \
	  "http://localhost:9091/quitquitquit", NULL, 0,                                           \
	  "the Cloud SQL Auth Proxy: :9090/startup,\n:9091/quitquitquit (its health check and "    \
	  "quit on)")                                                                              \
	X(ALLOYDB, alloydb, "alloydb-proxy", "http://localhost:9090/startup",                      \
	  "http://localhost:9091/quitquitquit", NULL, 0,                                           \
	  "the AlloyDB Auth Proxy: :9090/startup,\n:9091/quitquitquit (its health check and quit " \
	  "on)")                                                                                   \
	X(CONSUL, consul, "consul-dataplane", "http://localhost:20600/graceful_startup",           \
	  "http://localhost:20600/graceful_shutdown",                                              \
	  "consul.hashicorp.com/connect-inject-status", 1,                                         \
	  "Consul's dataplane: :20600/graceful_startup,\n/graceful_shutdown")                      \
	X(DAPR, dapr, "daprd", "http://localhost:3500/v1.0/healthz/outbound",                      \
	  "http://localhost:3500/v1.0/shutdown", "dapr.io/enabled", 0,                             \
	  "Dapr's daprd: :3500/v1.0/healthz/outbound,\n/v1.0/shutdown (dapr-api-token from "       \
	  "DAPR_API_TOKEN)")                                                                       \
	X(VAULT, vault, NULL, NULL, "http://localhost:8200/agent/v1/quit",                         \
	  "vault.hashicorp.com/agent-inject-status", 0,                                            \
	  "the Vault agent: no wait; call\n:8200/agent/v1/quit (agent-enable-quit)")               \
	X(KUMA, kuma, "kuma-dp", "http://localhost:9901/ready", NULL, "kuma.io/sidecar-injected",  \
	  1, "Kuma's kuma-dp: wait for :9901/ready (no\nshutdown call: none exists)")

/* The mesh whose proxy a target is (its readiness check, or its shutdown call). */
#define MESH_ENUM(id, name, check, ready, quit, annotation, network, help) MESH_##id,
enum target_mesh { MESH_NONE, MESH_LIST(MESH_ENUM) MESH_COUNT };
#undef MESH_ENUM

/* How the mesh proxy runs in the pod: from --pod-annotations (auto), or as --sidecar says.
 * mesh_sidecar_names has their names, in this order, NULL-terminated. */
enum sidecar_mode { SIDECAR_AUTO, SIDECAR_CLASSIC, SIDECAR_NATIVE, SIDECAR_NONE };
extern const char *const mesh_sidecar_names[];

/* What a mesh is: the facts of its MESH_LIST row. */
struct mesh {
	const char *name, *check, *ready_url, *quit_url, *annotation;
	int network; /* carries the pod's traffic: stopped after the other sidecars */
	/* The mode, from the pod's annotations text with this mesh's annotation's value
	 * (unquoted) in v; the reason in why, *warn set when it could not be read as it
	 * should. */
	enum sidecar_mode (*mode)(const char *text, size_t len, const char *v, char *why,
				  size_t whylen, int *warn);
};
extern const struct mesh meshes[MESH_COUNT];

/* Decides from the text of an annotations file (Downward API: key="value" lines, values
 * quoted as Go quotes them), with the reason in why; *warn is set when the annotations
 * could not be read as they should (invalid JSON, an unknown version). Istio: the proxy
 * among the status annotation's initContainers is native. Linkerd: no proxy-version, no
 * proxy; else the native-sidecar annotation (config., then config.beta., then
 * config.alpha.), else the version's default. Pure. */
enum sidecar_mode mesh_mode_from(const char *annotations, size_t len, enum target_mesh mesh,
				 char *why, size_t whylen, int *warn);

/* What a wait runs in this pod: the checks of cfg but those of a mesh without a sidecar,
 * and the on-exit calls but those of a mesh whose sidecar is not classic. Each flag's
 * sidecar mode is decided (and logged, with the reason): --sidecar when it is not auto;
 * else from the annotations file when given (startup I/O: read once); else classic. An
 * unreadable file is logged and read as classic, the safe default for a Job. The arrays
 * are new (free them; the targets in them are borrowed from cfg). Returns 0, or -1 out of
 * memory. */
int mesh_plan(const struct config *cfg, struct target **checks, size_t *nchecks,
	      struct target **calls, size_t *ncalls);

#endif
