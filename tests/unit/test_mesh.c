/* mesh.c: each mesh's sidecar mode from the pod's annotations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mesh.h"

static void
test_mesh_modes(void **state)
{
	(void)state;
	/* The Downward API's annotations file: key="value" lines, values Go-quoted. */
#define ISTIO(json)        "sidecar.istio.io/status=\"" json "\"\n"
#define LINKERD_VERSION(v) "linkerd.io/proxy-version=\"" v "\"\n"
#define NATIVE(form, v)    "config." form "linkerd.io/proxy-enable-native-sidecar=\"" v "\"\n"
	static const struct {
		const char *name, *file;
		enum target_mesh mesh;
		enum sidecar_mode want;
		int warn;
	} cases[] = {
	    {"istio classic",
	     ISTIO("{\\\"initContainers\\\":[\\\"istio-init\\\"],"
		   "\\\"containers\\\":[\\\"istio-proxy\\\"]}"),
	     MESH_ISTIO, SIDECAR_CLASSIC, 0},
	    {"istio native",
	     "a=\"b\"\n" ISTIO("{\\\"initContainers\\\":[\\\"istio-init\\\","
			       "\\\"istio-proxy\\\"],\\\"containers\\\":null}"),
	     MESH_ISTIO, SIDECAR_NATIVE, 0},
	    /* The next field's '[' is not initContainers' (the first review's defect). */
	    {"istio null initContainers",
	     ISTIO("{\\\"initContainers\\\":null,\\\"containers\\\":[\\\"istio-proxy\\\"]}"),
	     MESH_ISTIO, SIDECAR_CLASSIC, 0},
	    {"istio reordered, extra fields",
	     ISTIO("{\\\"version\\\":\\\"x\\\",\\\"containers\\\":[],\\\"volumes\\\":[{\\\"a\\\":["
		   "1]}],"
		   "\\\"initContainers\\\":[\\\"istio-proxy\\\"],\\\"imagePullSecrets\\\":null}"),
	     MESH_ISTIO, SIDECAR_NATIVE, 0},
	    {"istio nested name is not the member",
	     ISTIO("{\\\"x\\\":{\\\"initContainers\\\":[\\\"istio-proxy\\\"]}}"), MESH_ISTIO,
	     SIDECAR_CLASSIC, 0},
	    {"istio escaped name", ISTIO("{\\\"initContainers\\\":[\\\"istio\\\\u002dproxy\\\"]}"),
	     MESH_ISTIO, SIDECAR_NATIVE, 0},
	    {"istio invalid JSON", ISTIO("{\\\"initContainers\\\":[\\\"istio-proxy\\\"]"),
	     MESH_ISTIO, SIDECAR_CLASSIC, 1},
	    {"istio ambient", "ambient.istio.io/redirection=\"enabled\"\n", MESH_ISTIO,
	     SIDECAR_NONE, 0},
	    {"istio nothing", "", MESH_ISTIO, SIDECAR_NONE, 0},
	    {"linkerd edge 25", LINKERD_VERSION("edge-25.1.1"), MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd edge before", LINKERD_VERSION("edge-26.5.1"), MESH_LINKERD, SIDECAR_CLASSIC,
	     0},
	    {"linkerd edge first", LINKERD_VERSION("edge-26.5.2"), MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd edge after", LINKERD_VERSION("edge-26.11.3"), MESH_LINKERD, SIDECAR_NATIVE,
	     0},
	    {"linkerd 2.14", LINKERD_VERSION("stable-2.14.10"), MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd 2.19", LINKERD_VERSION("enterprise-2.19.4"), MESH_LINKERD, SIDECAR_CLASSIC,
	     0},
	    {"linkerd 2.20", LINKERD_VERSION("stable-2.20.0"), MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd enterprise 2.21", LINKERD_VERSION("enterprise-2.21.1"), MESH_LINKERD,
	     SIDECAR_NATIVE, 0},
	    {"linkerd garbage", LINKERD_VERSION("dev-abc"), MESH_LINKERD, SIDECAR_CLASSIC, 1},
	    {"linkerd alpha alone", NATIVE("alpha.", "true") LINKERD_VERSION("stable-2.14.10"),
	     MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd beta alone false", NATIVE("beta.", "false") LINKERD_VERSION("x"),
	     MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd config alone", NATIVE("", "true") LINKERD_VERSION("stable-2.14.10"),
	     MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd config false beats beta true",
	     NATIVE("", "false") NATIVE("beta.", "true") LINKERD_VERSION("edge-26.6.1"),
	     MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd config true beats beta false",
	     NATIVE("beta.", "false") NATIVE("", "true") LINKERD_VERSION("stable-2.14.1"),
	     MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd beta beats alpha",
	     NATIVE("alpha.", "true") NATIVE("beta.", "false") LINKERD_VERSION("stable-2.14.1"),
	     MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd config false on 2.20", NATIVE("", "false") LINKERD_VERSION("stable-2.20.1"),
	     MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    {"linkerd unreadable bool falls through",
	     NATIVE("", "maybe") LINKERD_VERSION("stable-2.20.1"), MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd no proxy", "config.linkerd.io/proxy-admin-shutdown=\"enabled\"\n",
	     MESH_LINKERD, SIDECAR_NONE, 0},
	    /* The sidecars whose injector's annotation says only that it injected them, and
	     * the proxies no injector annotates. */
	    {"consul injected", "consul.hashicorp.com/connect-inject-status=\"injected\"\n",
	     MESH_CONSUL, SIDECAR_CLASSIC, 0},
	    {"consul absent", "", MESH_CONSUL, SIDECAR_NONE, 0},
	    {"dapr enabled", "dapr.io/enabled=\"true\"\n", MESH_DAPR, SIDECAR_CLASSIC, 0},
	    {"dapr disabled", "dapr.io/enabled=\"false\"\n", MESH_DAPR, SIDECAR_NONE, 0},
	    {"vault injected", "vault.hashicorp.com/agent-inject-status=\"injected\"\n", MESH_VAULT,
	     SIDECAR_CLASSIC, 0},
	    {"kuma injected", "kuma.io/sidecar-injected=\"true\"\n", MESH_KUMA, SIDECAR_CLASSIC, 0},
	    {"cloudsql: no injector", "", MESH_CLOUDSQL, SIDECAR_CLASSIC, 0},
	    {"alloydb: no injector", ISTIO("{}"), MESH_ALLOYDB, SIDECAR_CLASSIC, 0},
	    /* Values as the Downward API writes them, Go's %q: an indented status (the third
	     * review's defect: backslashes dropped, "\n" read as "n", invalid JSON), tabs,
	     * and every escape form strconv.Unquote reads. */
	    {"istio indented status",
	     ISTIO("{\\n  \\\"initContainers\\\": [\\n    \\\"istio-init\\\",\\n    "
		   "\\\"istio-proxy\\\"\\n  ],\\n  \\\"containers\\\": null\\n}"),
	     MESH_ISTIO, SIDECAR_NATIVE, 0},
	    {"istio tabs and CR", ISTIO("{\\t\\\"initContainers\\\":\\r\\n[\\\"istio-proxy\\\"]}"),
	     MESH_ISTIO, SIDECAR_NATIVE, 0},
	    {"linkerd version in every escape form",
	     LINKERD_VERSION("st\\x61ble\\0552\\u002e2\\U00000030.1"), MESH_LINKERD, SIDECAR_NATIVE,
	     0},
	    {"linkerd bool escaped", NATIVE("", "\\x74rue") LINKERD_VERSION("stable-2.14.1"),
	     MESH_LINKERD, SIDECAR_NATIVE, 0},
	    /* Not as Go quotes: the value reads as empty, so each reader falls back. */
	    {"istio bad escape", ISTIO("{\\q}"), MESH_ISTIO, SIDECAR_CLASSIC, 1},
	    {"istio no closing quote", "sidecar.istio.io/status=\"{}\n", MESH_ISTIO,
	     SIDECAR_CLASSIC, 1},
	    {"linkerd surrogate", LINKERD_VERSION("stable-2.20.0\\ud800"), MESH_LINKERD,
	     SIDECAR_CLASSIC, 1},
	    {"linkerd octal over 255", LINKERD_VERSION("\\400stable-2.20.0"), MESH_LINKERD,
	     SIDECAR_CLASSIC, 1},
	    {"linkerd short hex", NATIVE("", "tru\\x6") LINKERD_VERSION("stable-2.20.0"),
	     MESH_LINKERD, SIDECAR_NATIVE, 0},
	    {"linkerd bad hex", NATIVE("", "\\xg4rue") LINKERD_VERSION("stable-2.14.0"),
	     MESH_LINKERD, SIDECAR_CLASSIC, 0},
	    /* '@' sits just below 'a' once folded to lower case: no hex digit (the review) */
	    {"linkerd @ is no hex digit", LINKERD_VERSION("stable-2.20.0\\x@0"), MESH_LINKERD,
	     SIDECAR_CLASSIC, 1},
	    /* A key that only starts like one is another key. */
	    {"linkerd longer key", "linkerd.io/proxy-version-x=\"1\"\n", MESH_LINKERD, SIDECAR_NONE,
	     0},
	};
#undef ISTIO
#undef LINKERD_VERSION
#undef NATIVE
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char why[160];
		int warn;
		enum sidecar_mode got = mesh_mode_from(cases[i].file, strlen(cases[i].file),
						       cases[i].mesh, why, sizeof why, &warn);
		if (got != cases[i].want || warn != cases[i].warn)
			fail_msg("%s: got mode %d warn %d (%s)", cases[i].name, got, warn, why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mesh_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
