# podhealth: `make` builds build/podhealth (musl, static, stripped); `make test` runs every
# test; `make demo` shows it working. Missing Debian packages are installed first (as root).

VERSION    := $(shell cat VERSION)
LLHTTP_SRC ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp
PYTHON     ?= /usr/bin/python3
PREFIX     ?= /usr/local

# Quiet by default: one line per artefact ("  CC build/musl/check.o"); make V=1 prints each
# command in full, as Linux's and git's Makefiles do.
V ?= 0
Q   := $(if $(filter 1,$(V)),,@)
SAY := $(if $(filter 1,$(V)),@true,@printf '  %-6s %s\n')

MODULES := $(filter-out main,$(basename $(notdir $(wildcard src/*.c))))
NPROC   := $(shell nproc 2>/dev/null || echo 2)
LLHTTP  := api http llhttp
UNIT    := $(basename $(notdir $(wildcard tests/unit/test_*.c)))

WARN     := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wformat=2
CPPFLAGS := -D_GNU_SOURCE -Isrc -Ibuild/gen -I$(LLHTTP_INC)
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong

# Three builds of one library: the shipped musl binary, a glibc one for the cmocka tests,
# and a glibc one under AddressSanitizer and UndefinedBehaviorSanitizer.
musl_CC      := musl-gcc
musl_CFLAGS  := -Oz -flto -fno-pie -ffunction-sections -fdata-sections -fno-jump-tables \
		-fno-tree-switch-conversion -fno-asynchronous-unwind-tables -fno-unwind-tables $(HARDEN)
# Static and non-PIE: position-independent code and RELRO buy nothing here (no dynamic
# linker applies RELRO to a static musl binary; its data pages stay writable either way),
# but their alignment padding cost 4 KiB steps.
# (-fno-tree-switch-conversion: a switch stays code, not a lookup table beside it; 0.7 KB
# less here. -flto=auto: the link-time jobs run in parallel, with the same output.)
# A client without a key of its own never signs or decrypts: Mbed TLS's private-key
# operations are wrapped by tls.c's stubs (its PRIVATE_KEY_OP list; a name here without a
# stub fails the link), and about 6 KB of code leave the binary.
PRIVATE_KEY_OPS := mbedtls_rsa_pkcs1_sign mbedtls_rsa_pkcs1_decrypt mbedtls_rsa_rsassa_pss_sign \
		   mbedtls_rsa_rsassa_pss_sign_no_mode_check mbedtls_ecdsa_write_signature \
		   mbedtls_ecdsa_write_signature_restartable mbedtls_rsa_deduce_primes \
		   mbedtls_rsa_deduce_private_exponent mbedtls_rsa_deduce_crt \
		   mbedtls_rsa_validate_params
musl_LDFLAGS := -static -no-pie -s -Oz -flto=auto -fno-jump-tables \
		-Wl,--gc-sections $(PRIVATE_KEY_OPS:%=-Wl,--wrap=%) \
		-Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-T,tools/layout.ld
musl_AR      := gcc-ar
# The same static binary for linux/arm64: Debian's cross compiler with Debian's multiarch
# musl (musl-dev:arm64) through its specs file, as musl-gcc does for x86-64.
arm64_CC      := aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs
arm64_CFLAGS  := $(musl_CFLAGS)
arm64_LDFLAGS := $(musl_LDFLAGS)
arm64_AR      := aarch64-linux-gnu-gcc-ar
# TLS: Mbed TLS, compiled from Debian 13's source package (Debian 12's 2.28 has no TLS
# 1.3; tools/deps.sh build unpacks it), for musl since Debian ships it built for glibc only;
# the glibc builds used by the tests link it compiled the same way (build/host). HPACK is
# podhealth's own (hpack.c); the tests link Debian's libnghttp2 as its differential oracle.
DEPS_SRC     := build/deps/src
MBEDTLS_DEFS := -DMBEDTLS_CONFIG_FILE=\"$(CURDIR)/tools/mbedtls_config.h\" \
		-DMBEDTLS_PSA_CRYPTO_CONFIG_FILE=\"$(CURDIR)/tools/mbedtls_psa_config.h\"
CPPFLAGS     += $(MBEDTLS_DEFS) -I$(DEPS_SRC)/mbedtls/include
# Mbed TLS calls back into podhealth (fmt_format is its snprintf; tls.c gives it the
# kernel's randomness), so a test or fuzzer links the two archives as one group, with
# Debian's libnghttp2 (the HPACK decoder's oracle).
gcc_CC       := gcc
gcc_CFLAGS   := -O2 -g $(HARDEN)
gcc_LDFLAGS  :=
asan_CC      := gcc
asan_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all
asan_LDFLAGS := -fsanitize=address,undefined
fuzz_CC      := clang
fuzz_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link \
		-fno-sanitize-recover=all
fuzz_LDFLAGS := -fsanitize=address,undefined,fuzzer
# gcov's line counts, to see what a subset of the suite reaches (make wrapped-coverage).
cov_CC       := gcc
cov_CFLAGS   := -O0 -g --coverage
cov_LDFLAGS  := --coverage
# llhttp__debug (api.c), which nothing calls, prints to stderr: the reference alone links
# musl's stderr FILE (240 bytes of writable data in every process). See the header.
LLHTTP_NO_STDERR := -include tools/llhttp_nostderr.h
FUZZERS      := $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 10

.PHONY: all deps demo check test unit e2e e2e-static e2e-asan e2e-memlimit e2e-valgrind e2e-once \
	e2e-arm64 test-arm64 image shipping prometheus fuzz wrapped-coverage \
	format-check measure bench release install clean
all: build/podhealth

build/.deps-build: tools/deps.sh $(wildcard tools/mbedtls-*.patch)
	@mkdir -p build && tools/deps.sh build && touch $@
build/.deps-bench: tools/deps.sh
	@mkdir -p build && tools/deps.sh bench && touch $@
build/.deps-test: tools/deps.sh
	@mkdir -p build && tools/deps.sh test && touch $@
build/.deps-go: tools/deps.sh
	@mkdir -p build && tools/deps.sh go && touch $@
build/.deps-arm64: tools/deps.sh
	@mkdir -p build && tools/deps.sh arm64 && touch $@
deps: build/.deps-build

# The version, and what is compiled in (Debian package versions, for CVE triage).
build/gen/version.h: VERSION tools/libs.sh | build/.deps-build
	@mkdir -p $(@D)
	$(SAY) GEN $@
	$(Q)libs=$$(tools/libs.sh versions) && { \
		printf '#define PODHEALTH_VERSION "%s"\n' "$(VERSION)"; \
		printf '#define PODHEALTH_MUSL "%s"\n' "$${libs%%, llhttp*}"; \
		printf '#define PODHEALTH_LIBS "%s"\n' "llhttp$${libs#*, llhttp}"; } > $@

# Mbed TLS for musl, compiled as the binary is (size-optimised, unused code
# collected by --gc-sections), several files per compiler run, once per architecture
# (musl: x86-64; arm64: aarch64). Not link-time optimised: its sections keep the
# archive's name, so tools/layout.ld can place them apart from podhealth's own (a
# podhealth without TLS or gRPC checks never maps them). Without the stack protector that
# podhealth's own code has (its cost there is size; Mbed TLS bounds its buffers itself).
# build/host: Mbed TLS for the plain glibc build (gcc, which valgrind runs), with debugging
# symbols; build/asan and build/fuzz: the same with the sanitizers (below).
DEPS_CFLAGS := -Oz -fno-pie -ffunction-sections -fdata-sections -fno-jump-tables \
	       -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector -w
host_CC          := gcc
host_DEPS_CFLAGS := -O2 -g -w
# The sanitizer builds link Mbed TLS built with their sanitizers, so that an overflow
# inside the library is a report with its stack, not a silent read (or a SIGSEGV under
# valgrind): tests/unit/test_sanitized_libs.c proves it.
asan_DEPS_CFLAGS := -O1 -g -w -fno-omit-frame-pointer -fsanitize=address,undefined \
		    -fno-sanitize-recover=all
fuzz_DEPS_CFLAGS := -O1 -g -w -fno-omit-frame-pointer \
		    -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all
cov_DEPS_CFLAGS  := -O0 -g -w --coverage
# Mbed TLS's library sources and, from the third-party code in its tree, Project Everest's
# X25519 (tools/mbedtls-x25519-everest.patch), with the include directories they need.
MBEDTLS_SRCS := $(DEPS_SRC)/mbedtls/library/*.c \
		$(DEPS_SRC)/mbedtls/3rdparty/everest/library/Hacl_Curve25519_joined.c
MBEDTLS_INCS := $(addprefix -I$(CURDIR)/$(DEPS_SRC)/mbedtls/,include library \
		3rdparty/everest/include/everest 3rdparty/everest/include/everest/kremlib)
define mbedtls_flavor
build/$(1)/deps/libmbedtls.a: tools/mbedtls_config.h tools/mbedtls_psa_config.h build/.deps-build \
		| $$(if $$(filter arm64,$(1)),build/.deps-arm64) \
		$$(if $$(filter asan fuzz,$(1)),build/.deps-test)
	@rm -rf build/$(1)/deps/mbedtls && mkdir -p build/$(1)/deps/mbedtls
	$$(SAY) CC "Mbed TLS for build/$(1) ($$$$(ls $(MBEDTLS_SRCS) | wc -l) files)"
	$$(Q)ls $(MBEDTLS_SRCS:%=$(CURDIR)/%) | xargs -P $(NPROC) -n 16 sh -c \
		'cd build/$(1)/deps/mbedtls && exec $$($(1)_CC) $$(or $$($(1)_DEPS_CFLAGS),$(DEPS_CFLAGS)) \
		 $(MBEDTLS_DEFS) $(MBEDTLS_INCS) -c "$$$$@"' sh
	$$(SAY) AR $$@
	$$(Q)rm -f $$@ && $$(or $$($(1)_AR),ar) rcs $$@ build/$(1)/deps/mbedtls/*.o
endef
$(foreach f,musl arm64 host asan fuzz cov,$(eval $(call mbedtls_flavor,$(f))))
# The Mbed TLS each flavour links: built for it (musl, arm64), with its sanitizers (asan,
# fuzz), plain for the glibc build that valgrind runs (gcc).
musl_MBEDTLS  := build/musl/deps/libmbedtls.a
arm64_MBEDTLS := build/arm64/deps/libmbedtls.a
gcc_MBEDTLS   := build/host/deps/libmbedtls.a
cov_MBEDTLS   := build/cov/deps/libmbedtls.a
asan_MBEDTLS  := build/asan/deps/libmbedtls.a
fuzz_MBEDTLS  := build/fuzz/deps/libmbedtls.a

define build_flavor
build/$(1)/%.o: src/%.c build/gen/version.h tools/mbedtls_config.h \
		| build/.deps-build $$($(1)_MBEDTLS) $$(if $$(filter musl arm64,$(1)),,build/.deps-test)
	@mkdir -p $$(@D)
	$$(SAY) CC $$@
	$$(Q)$$($(1)_CC) $(CPPFLAGS) $$($(1)_DEPS_INC) $(WARN) $$($(1)_CFLAGS) -MMD -MP -c $$< -o $$@
build/$(1)/llhttp/%.o: | build/.deps-build $$(if $$(filter arm64,$(1)),build/.deps-arm64)
	@mkdir -p $$(@D)
	$$(SAY) CC $$@
	$$(Q)$$($(1)_CC) -I$(LLHTTP_INC) $$(filter-out -Werror,$$($(1)_CFLAGS)) $(LLHTTP_NO_STDERR) -w \
		-c $(LLHTTP_SRC)/$$*.c -o $$@
build/$(1)/libpodhealth.a: $(MODULES:%=build/$(1)/%.o) $(LLHTTP:%=build/$(1)/llhttp/%.o)
	$$(SAY) AR $$@
	$$(Q)rm -f $$@ && $$(or $$($(1)_AR),ar) rcs $$@ $$^
build/$(1)/podhealth: build/$(1)/main.o build/$(1)/libpodhealth.a $$($(1)_MBEDTLS)
	$$(SAY) LINK $$@
	$$(Q)$$($(1)_CC) $$($(1)_LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $$($(1)_MBEDTLS) -lpthread
build/$(1)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) build/$(1)/libpodhealth.a \
		build/.deps-test $$($(1)_MBEDTLS)
	@mkdir -p $$(@D)
	$$(SAY) LINK $$@
	$$(Q)$$($(1)_CC) $(CPPFLAGS) $(WARN) -Wno-missing-prototypes $$($(1)_CFLAGS) -o $$@ $$< \
		$$($(1)_LDFLAGS) -lcmocka -Wl,--start-group build/$(1)/libpodhealth.a \
		$$($(1)_MBEDTLS) -lnghttp2 -Wl,--end-group -lpthread
-include $$(wildcard build/$(1)/*.d)
endef
$(foreach f,musl arm64 gcc asan fuzz cov,$(eval $(call build_flavor,$(f))))
build/musl/podhealth build/arm64/podhealth: tools/layout.ld

# libFuzzer targets: thin wrappers over the parsers that see outside bytes, each run for
# FUZZ_SECONDS on a scratch copy of its committed seed corpus. A crash fails the target.
build/fuzz/%: tests/fuzz/%.c build/fuzz/libpodhealth.a build/.deps-test $(fuzz_MBEDTLS)
	$(SAY) LINK $@
	$(Q)$(fuzz_CC) $(CPPFLAGS) $(fuzz_CFLAGS) -o $@ $< $(fuzz_LDFLAGS) \
		-Wl,--start-group build/fuzz/libpodhealth.a $(fuzz_MBEDTLS) -lnghttp2 -Wl,--end-group \
		-lpthread

# The targets run side by side, one per core; each one's summary (or, when it crashed, the
# end of its log) is printed when it is done.
fuzz: $(FUZZERS:%=build/fuzz/%)
	@printf '%s\n' $(FUZZERS) | xargs -P $(NPROC) -I{} sh -c 'f={}; \
		name=$${f#fuzz_}; work=build/fuzz/corpus-$$name; mkdir -p $$work; \
		if build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
			-artifact_prefix=build/fuzz/$$f- \
			-print_final_stats=1 $$work tests/fuzz/corpus/$$name 2>build/fuzz/$$f.log; then \
			echo "== $$f ($(FUZZ_SECONDS) s): $$(grep -E "^Done" build/fuzz/$$f.log | tail -1)"; \
		else echo "== $$f FAILED"; tail -40 build/fuzz/$$f.log; exit 255; fi'


build/podhealth: build/musl/podhealth
	@cp $< $@
	@echo "build/podhealth: $$(stat -c %s $@) bytes, $$(file -b $@ 2>/dev/null | cut -d, -f1-2)"

unit: $(UNIT:%=build/gcc/tests/%) $(UNIT:%=build/asan/tests/%)
	@for t in $^; do echo "== $$t"; $$t || exit 1; done

# Test peers built with Debian 13's Go 1.24, grpc-go and x/net (tools/deps.sh go unpacks
# them under build/go; nothing is installed), offline, in GOPATH mode: kubelet's prober
# logic on Go's net/http and grpc-go (the oracle of the differential tests), and grpc-go's
# and x/net's servers. Debian 12's Go (1.19) was six releases behind kubelet 1.37's.
GO_ROOT := $(CURDIR)/build/go/root
GO := GOROOT=$(GO_ROOT)/usr/lib/go-1.24 GO111MODULE=off GOPATH=$(GO_ROOT)/usr/share/gocode \
	GOCACHE=$(CURDIR)/build/gocache GOFLAGS= GOTOOLCHAIN=local GOTELEMETRY=off \
	$(GO_ROOT)/usr/lib/go-1.24/bin/go
build/peers/%: tests/*/%.go build/.deps-go
	@mkdir -p $(@D)
	$(SAY) GO $@
	$(Q)$(GO) build -o $@ $(filter %.go,$^)
PEERS := build/peers/kubelet_probe build/peers/grpc_health_server build/peers/h2_only_server

# The end-to-end suite four times: the shipped binary; an ASan+UBSan build; the shipped
# binary under a 4 MiB address-space limit (but for the three wait tests whose Python
# children would share the limit); a glibc build under valgrind's memcheck (any error or
# leak fails).
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
# The Kubernetes API schema the manifests are validated against (npm kubernetes-models,
# pinned by tests/deploy/package-lock.json; test_deploy.py): a test tool, never shipped.
SCHEMA := build/deploy-schema/.installed
$(SCHEMA): tests/deploy/package.json tests/deploy/package-lock.json tests/deploy/validate.mjs \
		build/.deps-test
	@mkdir -p $(@D)
	$(SAY) NPM $(@D)
	$(Q)cp tests/deploy/package.json tests/deploy/package-lock.json tests/deploy/validate.mjs \
		$(@D)/ && cd $(@D) && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch .installed
E2E_DEPS := build/podhealth build/asan/podhealth build/gcc/podhealth build/.deps-test $(PEERS) \
	$(SCHEMA)
# Each pass on every core (pytest-xdist): no test depends on the machine's speed, and the
# skips are listed with their reasons (-rs), each from conftest.SKIP_CLASSES.
PYTEST := $(PYTHON) -m pytest -q -rs -n $(NPROC) -p no:cacheprovider
e2e: e2e-static e2e-asan e2e-memlimit e2e-valgrind
e2e-static: $(E2E_DEPS)
	PODHEALTH_BIN=$(CURDIR)/build/podhealth $(PYTEST) tests/e2e
e2e-asan: $(E2E_DEPS)
	PODHEALTH_BIN=$(CURDIR)/build/asan/podhealth PODHEALTH_SANITIZED=1 $(PYTEST) tests/e2e
e2e-memlimit: $(E2E_DEPS)
	PODHEALTH_BIN=$(CURDIR)/build/podhealth PODHEALTH_WRAP="prlimit --as=4194304" \
		$(PYTEST) -m "not rows" tests/e2e
e2e-valgrind: $(E2E_DEPS)
	PODHEALTH_BIN=$(CURDIR)/build/gcc/podhealth PODHEALTH_WRAP="$(VALGRIND)" \
		$(PYTEST) -m "not rows" tests/e2e
# The lines of podhealth and Mbed TLS that only the tests marked rows reach, which the two
# passes above leave out: none but those doc/development.md names.
wrapped-coverage: build/cov/podhealth build/.deps-test $(PEERS) $(SCHEMA)
	$(PYTHON) tools/wrapped_coverage.py
# One pass against the shipped binary, for development.
e2e-once: e2e-static
# The inner loop, minutes apart: the unit tests (glibc build) and every e2e test not marked
# slow, against the shipped binary alone, on every core (pytest-xdist), stopping at the
# first failure. make test runs everything, under every wrapper.
check: $(UNIT:%=build/gcc/tests/%) build/podhealth build/.deps-test $(PEERS) $(SCHEMA)
	@for t in $(UNIT:%=build/gcc/tests/%); do $$t >build/gcc/tests/$$(basename $$t).log 2>&1 \
		|| { cat build/gcc/tests/$$(basename $$t).log; exit 1; }; done; \
		echo "unit: $(words $(UNIT)) suites passed"
	PODHEALTH_BIN=$(CURDIR)/build/podhealth $(PYTEST) -x -m "not slow" tests/e2e
# The linux/arm64 binary, tested and not only built: under qemu-user, a representative part
# of the suite in make test (every check kind, serve, wait with a command, probe, the command
# line); all of it in make test-arm64.
ARM64_E2E := tests/e2e/test_checks.py tests/e2e/test_tls_grpc.py tests/e2e/test_wait.py tests/e2e/test_probe.py \
	tests/e2e/test_cli.py
ARM64_ENV := PODHEALTH_BIN=$(CURDIR)/build/arm64/podhealth PODHEALTH_WRAP=qemu-aarch64-static
e2e-arm64: build/arm64/podhealth build/.deps-arm64 $(E2E_DEPS)
	$(ARM64_ENV) $(PYTEST) $(ARM64_E2E)
test-arm64: build/arm64/podhealth build/.deps-arm64 $(E2E_DEPS)
	$(ARM64_ENV) $(PYTEST) tests/e2e

format-check: build/.deps-test
	clang-format --dry-run --Werror src/*.c src/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c

# Every stage runs even when one before it failed; then one line per stage and a total,
# and the exit status says whether all passed.
STAGES := format-check unit e2e-static e2e-asan e2e-memlimit e2e-valgrind e2e-arm64 shipping \
	  prometheus fuzz
test: build/.deps-test
	@tools/stages.sh $(STAGES)

demo: build/podhealth
	$(PYTHON) demo/demo.py build/podhealth

measure: build/podhealth
	$(PYTHON) bench/measure.py build/podhealth

bench: build/podhealth build/arm64/podhealth build/.deps-bench build/peers/grpc_health_server \
		build/peers/kubelet_probe
	$(PYTHON) bench/bench.py build/podhealth

# linux/amd64 and linux/arm64: binaries, archives with the notices, SPDX SBOMs, SHA256SUMS.
release: build/musl/podhealth build/arm64/podhealth
	tools/release.sh

# A multi-arch OCI image layout (build/image), daemonless and rootless: tools/image.sh.
build/.deps-image: tools/deps.sh
	@mkdir -p build && tools/deps.sh image && touch $@
image: build/musl/podhealth build/arm64/podhealth build/.deps-image
	tools/image.sh

# The release and the image as a user gets them: archives, notices, SBOMs, the OCI layout,
# the image's binary run from its unpacked root (tests/shipping).
shipping: release image build/.deps-test
	$(PYTHON) -m pytest -q tests/shipping

# The alert rules (promtool check and unit tests) and the dashboard's PromQL.
prometheus: build/podhealth build/.deps-test
	promtool check rules deploy/prometheus/podhealth-rules.yaml
	promtool test rules tests/prometheus/podhealth-rules.test.yaml
	$(PYTHON) -m pytest -q tests/prometheus

install: build/podhealth
	install -D -m 0755 build/podhealth $(DESTDIR)$(PREFIX)/bin/podhealth
	install -D -m 0644 doc/podhealth.1 $(DESTDIR)$(PREFIX)/share/man/man1/podhealth.1

clean:
	rm -rf build
