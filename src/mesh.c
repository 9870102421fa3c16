#include "mesh.h"

#include "buf.h"
#include "log.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The value of annotation key, unquoted into out (Go's strconv.Quote escapes: \" \\ and
 * the rest kept as they are, which is all a decision here needs). Returns 1 when present. */
static int
annotation(const char *text, size_t len, const char *key, struct buf *out)
{
	size_t klen = strlen(key);
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) > klen + 2 && memcmp(p, key, klen) == 0 && p[klen] == '=' &&
		    p[klen + 1] == '"') {
			for (const char *q = p + klen + 2; q < eol && *q != '"'; q++) {
				if (*q == '\\' && q + 1 < eol)
					q++;
				buf_append(out, q, 1);
			}
			buf_append(out, "", 0);
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* Whether JSON array "field":[...] in json names container. */
static int
lists(const char *json, const char *field, const char *container)
{
	const char *f = strstr(json, field);
	if (!f)
		return 0;
	const char *open = strchr(f, '[');
	const char *close = open ? strchr(open, ']') : NULL;
	const char *colon = strchr(f, ':');
	if (!open || !close || colon > open)
		return 0;
	const char *hit = strstr(open, container);
	return hit && hit < close;
}

enum sidecar_mode
mesh_mode_from(const char *text, size_t len, enum target_mesh mesh)
{
	struct buf v = {0};
	enum sidecar_mode mode = SIDECAR_NONE;
	if (mesh == MESH_ISTIO && annotation(text, len, "sidecar.istio.io/status", &v)) {
		/* The injector lists the proxy among initContainers when it is native. */
		mode = lists(v.data, "\"initContainers\"", "\"istio-proxy\"") ? SIDECAR_NATIVE
									      : SIDECAR_CLASSIC;
	} else if (mesh == MESH_LINKERD && annotation(text, len, "linkerd.io/proxy-version", &v)) {
		static const char *const native[] = {
		    "config.linkerd.io/proxy-enable-native-sidecar",
		    "config.beta.linkerd.io/proxy-enable-native-sidecar",
		    "config.alpha.linkerd.io/proxy-enable-native-sidecar"};
		mode = SIDECAR_CLASSIC;
		for (size_t i = 0; i < sizeof native / sizeof native[0]; i++) {
			v.len = 0;
			if (annotation(text, len, native[i], &v) && strcmp(v.data, "true") == 0)
				mode = SIDECAR_NATIVE;
		}
	}
	buf_free(&v);
	return mode;
}

enum sidecar_mode
mesh_mode(const struct config *cfg, enum target_mesh mesh)
{
	if (cfg->sidecar != SIDECAR_AUTO)
		return cfg->sidecar;
	if (!cfg->pod_annotations)
		return SIDECAR_CLASSIC;
	int fd = open(cfg->pod_annotations, O_RDONLY | O_CLOEXEC);
	struct buf text = {0};
	char chunk[4096];
	ssize_t n = 0;
	while (fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0 && text.len < 1 << 20)
		buf_append(&text, chunk, (size_t)n);
	if (fd >= 0)
		close(fd);
	enum sidecar_mode mode = SIDECAR_CLASSIC;
	if (fd < 0 || n < 0 || text.failed)
		log_event(LOG_WARN, "cannot read the pod's annotations: taking a classic sidecar",
			  "file", cfg->pod_annotations, NULL);
	else
		mode = mesh_mode_from(text.data ? text.data : "", text.len, mesh);
	buf_free(&text);
	return mode;
}
