#include "mesh.h"

#include "buf.h"
#include "config.h"
#include "fmt.h"
#include "json.h"
#include "log.h"
#include "target.h"

#include <stdlib.h>
#include <string.h>

const char *const mesh_sidecar_names[] = {"auto", "classic", "native", "none", NULL};

/* The UTF-8 form of code point c (at most 0x10ffff) at out. Returns its length. */
static size_t
utf8(unsigned long c, char *out)
{
	size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
	for (size_t i = n - 1; i > 0; i--, c >>= 6)
		out[i] = (char)(0x80 | (c & 0x3f));
	out[0] = (char)(lead[n] | c);
	return n;
}

/* Go's strconv.Unquote of the double-quoted string that starts after the quote at q, as
 * the Downward API writes each annotation (kubelet's fieldpath.FormatMap: %q): the
 * one-letter escapes, \xNN and octal \NNN bytes, \uNNNN and \UNNNNNNNN code points.
 * Appends the value to out. Returns 0, or -1 when Go's Unquote would refuse it (a bad
 * escape or code point, no closing quote). */
static int
go_unquote(const char *q, const char *eol, struct buf *out)
{
	static const char esc[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"";
	for (; q < eol && *q != '"'; q++) {
		char u[4];
		size_t n = 1, digits = 0, base = 16;
		unsigned long c = (unsigned char)*q;
		if (c == '\\') {
			if (++q == eol || !*q)
				return -1;
			const char *e = strchr(esc, *q);
			if (*q == 'x' || *q == 'u' || *q == 'U')
				digits = *q == 'x' ? 2 : *q == 'u' ? 4 : 8;
			else if (*q >= '0' && *q <= '7')
				digits = 3, base = 8, q--;
			else if (!e || (e - esc) % 2)
				return -1;
			c = e ? (unsigned char)e[1] : 0;
			if ((size_t)(eol - q) <= digits)
				return -1;
			for (const char *d = q + digits; q < d;) {
				char x = *++q;
				int v = x >= '0' && x <= '9' ? x - '0'
					: (x | 0x20) >= 'a' && (x | 0x20) <= 'f'
					    ? (x | 0x20) - 'a' + 10
					    : 99;
				if (v >= (int)base)
					return -1;
				c = c * base + (unsigned long)v;
			}
			if (base == 8 ? c > 0xff : c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
				return -1;
			if (digits > 2 && base == 16)
				n = utf8(c, u);
		}
		if (n == 1)
			u[0] = (char)c;
		buf_append(out, u, n);
	}
	return q < eol ? 0 : -1;
}

/* The value of annotation key, unquoted into out: empty when it is not quoted as Go quotes
 * (a value no reader accepts, so the mode falls back as for any unreadable one). Returns 1
 * when present. */
static int
annotation(const char *text, size_t len, const char *key, struct buf *out)
{
	size_t klen = strlen(key);
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) > klen + 2 && memcmp(p, key, klen) == 0 && p[klen] == '=' &&
		    p[klen + 1] == '"') {
			if (go_unquote(p + klen + 2, eol, out) < 0)
				out->len = 0;
			buf_append(out, "", 0);
			return 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* Reads "N.M..." at v: the first two numbers. Returns 0, or -1. */
static int
two_numbers(const char *v, unsigned long *a, unsigned long *b, const char **rest)
{
	size_t n = strspn(v, "0123456789");
	if (n == 0 || v[n] != '.' || fmt_parse_uint(v, n, 0, 100000, a) < 0)
		return -1;
	v += n + 1;
	n = strspn(v, "0123456789");
	if (n == 0 || fmt_parse_uint(v, n, 0, 100000, b) < 0)
		return -1;
	*rest = v + n;
	return 0;
}

/* Whether Linkerd proxy version v injects a native sidecar by default: 1, 0, or -1 when
 * v cannot be read. linkerd2 PR 15267 made it the default; it shipped in edge-26.5.2 and
 * in Linkerd 2.20 (stable and enterprise). */
static int
linkerd_native_by_default(const char *v)
{
	unsigned long a, b, c = 0;
	const char *rest;
	if (strncmp(v, "stable-", 7) == 0 || strncmp(v, "enterprise-", 11) == 0) {
		if (two_numbers(strchr(v, '-') + 1, &a, &b, &rest) < 0 || a != 2)
			return -1;
		return b >= 20;
	}
	if (strncmp(v, "edge-", 5) == 0) {
		if (two_numbers(v + 5, &a, &b, &rest) < 0 || *rest != '.' ||
		    fmt_parse_uint(rest + 1, strlen(rest + 1), 0, 100000, &c) < 0)
			return -1;
		return a > 26 || (a == 26 && (b > 5 || (b == 5 && c >= 2)));
	}
	return -1;
}

/* Istio's injector lists the proxy among the status annotation's initContainers when it
 * is native. */
static enum sidecar_mode
istio_mode(const char *text, size_t len, const char *v, char *why, size_t whylen, int *warn)
{
	(void)text, (void)len;
	int r = json_array_has(v, strlen(v), "initContainers", "istio-proxy");
	*warn = r < 0;
	fmt_format(why, whylen, "%s",
		   r == 1   ? "istio-proxy is an init container"
		   : r == 0 ? "istio-proxy is not an init container"
			    : "sidecar.istio.io/status is not valid JSON: taking classic");
	return r == 1 ? SIDECAR_NATIVE : SIDECAR_CLASSIC;
}

/* Linkerd: the native-sidecar annotation, the newest form first (Linkerd's own
 * precedence; read with Go's strconv.ParseBool, as its injector does), else the proxy
 * version's default. */
static enum sidecar_mode
linkerd_mode(const char *text, size_t len, const char *v, char *why, size_t whylen, int *warn)
{
	static const char *const native[] = {"config.linkerd.io/proxy-enable-native-sidecar",
					     "config.beta.linkerd.io/proxy-enable-native-sidecar",
					     "config.alpha.linkerd.io/proxy-enable-native-sidecar"};
	struct buf a = {0};
	int decided = -1;
	for (size_t i = 0; i < sizeof native / sizeof native[0] && decided < 0; i++) {
		a.len = 0;
		if (annotation(text, len, native[i], &a) && (decided = fmt_parse_bool(a.data)) >= 0)
			fmt_format(why, whylen, "%s=%s", native[i], a.data);
	}
	buf_free(&a);
	if (decided < 0) {
		decided = linkerd_native_by_default(v);
		if (decided < 0) {
			*warn = 1;
			fmt_format(why, whylen, "unknown linkerd version \"%.40s\": taking classic",
				   v);
		} else {
			fmt_format(why, whylen, "linkerd %.40s: %s", v,
				   decided ? "2.20+ default" : "before 2.20");
		}
	}
	return decided == 1 ? SIDECAR_NATIVE : SIDECAR_CLASSIC;
}

/* The sidecars whose injector's annotation says only that it injected them: classic when
 * it is there (a value Go's ParseBool reads as false says no), none when it is not. */
static enum sidecar_mode
injected_mode(const char *text, size_t len, const char *v, char *why, size_t whylen, int *warn)
{
	(void)text, (void)len, (void)warn;
	int off = fmt_parse_bool(v) == 0;
	fmt_format(why, whylen, off ? "annotation says %.40s" : "injected (%.40s)", v);
	return off ? SIDECAR_NONE : SIDECAR_CLASSIC;
}
#define consul_mode   injected_mode
#define dapr_mode     injected_mode
#define vault_mode    injected_mode
#define kuma_mode     injected_mode
#define cloudsql_mode NULL /* no injector, no annotation */
#define alloydb_mode  NULL

#define MESH_ROW(id, name_, check_, ready, quit, annotation_, network_, help)                      \
	[MESH_##id] = {.name = #name_,                                                             \
		       .check = check_,                                                            \
		       .ready_url = ready,                                                         \
		       .quit_url = quit,                                                           \
		       .annotation = annotation_,                                                  \
		       .network = network_,                                                        \
		       .mode = name_##_mode},
const struct mesh meshes[MESH_COUNT] = {[MESH_NONE] = {.name = ""}, MESH_LIST(MESH_ROW)};

enum sidecar_mode
mesh_mode_from(const char *text, size_t len, enum target_mesh mesh, char *why, size_t whylen,
	       int *warn)
{
	const struct mesh *m = &meshes[mesh];
	struct buf v = {0};
	enum sidecar_mode mode = SIDECAR_NONE;
	*warn = 0;
	if (!m->annotation) {
		fmt_format(why, whylen, "no injector: classic unless --sidecar says");
		return SIDECAR_CLASSIC;
	}
	fmt_format(why, whylen, "no %s annotation", m->annotation);
	if (annotation(text, len, m->annotation, &v))
		mode = m->mode(text, len, v.data, why, whylen, warn);
	buf_free(&v);
	return mode;
}

/* A mesh's mode: --sidecar when it is not auto; else from the annotations (text, len; a
 * text NULL: the file could not be read) for a sidecar an injector annotates, when
 * --pod-annotations was given; else classic. The reason in why. */
static enum sidecar_mode
mesh_mode(const struct config *cfg, enum target_mesh mesh, const char *text, size_t len, char *why,
	  size_t whylen)
{
	enum sidecar_mode forced =
	    cfg->sidecar_of[mesh] ? (enum sidecar_mode)(cfg->sidecar_of[mesh] - 1) : cfg->sidecar;
	if (forced != SIDECAR_AUTO) {
		fmt_format(why, whylen, "--sidecar");
		return forced;
	}
	int warn = 0;
	if (meshes[mesh].annotation && !cfg->pod_annotations) {
		fmt_format(why, whylen, "no --pod-annotations");
		return SIDECAR_CLASSIC;
	}
	enum sidecar_mode mode = SIDECAR_CLASSIC;
	if (meshes[mesh].annotation && !text) {
		fmt_format(why, whylen,
			   "cannot read the pod's annotations: taking a classic sidecar");
		warn = 1;
	} else {
		mode = mesh_mode_from(text ? text : "", len, mesh, why, whylen, &warn);
	}
	if (warn)
		log_event(LOG_WARN, why, "file", cfg->pod_annotations, NULL);
	return mode;
}

/* No sidecar: no waiting for it and no shutdown call. A native sidecar is started first
 * and stopped by the kubelet: no shutdown call (it would restart it). */
int
mesh_plan(const struct config *cfg, struct target **checks, size_t *nchecks, struct target **calls,
	  size_t *ncalls)
{
	enum sidecar_mode modes[MESH_COUNT];
	/* The annotations file, read once (startup I/O) for every flag that reads it. */
	struct buf text = {0};
	int unread =
	    cfg->pod_annotations && buf_read_file(&text, cfg->pod_annotations, 1 << 20) < 0;
	for (int m = 0; m < MESH_COUNT; m++) {
		modes[m] = SIDECAR_CLASSIC;
		if (m == MESH_NONE || !cfg->mesh[m])
			continue;
		char why[160];
		modes[m] = mesh_mode(cfg, (enum target_mesh)m,
				     unread      ? NULL
				     : text.data ? text.data
						 : "",
				     text.len, why, sizeof why);
		/* Without a command, a call is made only after a failure (the deadline, a
		 * signal): an init container must leave the proxy to the pod. */
		log_event(LOG_INFO, "sidecar", "mesh", meshes[m].name, "mode",
			  mesh_sidecar_names[modes[m]], "reason", why, "wait",
			  modes[m] == SIDECAR_NONE || !meshes[m].check ? "no" : "yes", "on-exit",
			  modes[m] != SIDECAR_CLASSIC || !meshes[m].quit_url ? "no"
			  : cfg->cmd                                         ? "yes"
				     : "after a failure only",
			  NULL);
	}
	buf_free(&text);
	*checks = calloc(cfg->ntargets + 1, sizeof **checks);
	*calls = calloc(cfg->n_on_exit + 1, sizeof **calls);
	*nchecks = *ncalls = 0;
	if (!*checks || !*calls)
		return -1;
	for (size_t i = 0; i < cfg->ntargets; i++)
		if (modes[cfg->targets[i].mesh] != SIDECAR_NONE)
			(*checks)[(*nchecks)++] = cfg->targets[i];
	for (size_t i = 0; i < cfg->n_on_exit; i++)
		if (modes[cfg->on_exit[i].mesh] == SIDECAR_CLASSIC)
			(*calls)[(*ncalls)++] = cfg->on_exit[i];
	return 0;
}
