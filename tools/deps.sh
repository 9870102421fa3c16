#!/bin/sh
# Installs the Debian packages a make target needs, only when something is missing.
# Usage: tools/deps.sh build|test|bench|go|arm64|image
#   build also unpacks the Debian source packages of Mbed TLS and nghttp2 into
#   build/deps/src (apt-get source; deb-src entries are added when there are none, and
#   one for Debian 13, whose Mbed TLS 3.6 speaks TLS 1.3 where Debian 12's 2.28 does not):
#   the static musl binary compiles them, since Debian ships them built for glibc only.
#   Mbed TLS gets tools/mbedtls-*.patch (each names the upstream fix it stands for).
set -eu
need=""
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
want() { has_pkg "$1" || need="$need $1"; }
root() {
	if [ "$(id -u)" != 0 ]; then
		echo "podhealth: $1 (run as root, or do it by hand)" >&2
		exit 1
	fi
}

want musl-tools
want node-llhttp
want file
case "${1:-build}" in
build)
	want dpkg-dev
	want patch # tools/mbedtls-*.patch
	;;
test)
	want libcmocka-dev
	want python3-pytest
	want python3-pytest-xdist # make check: the e2e tests on every core
	want clang-format
	want iproute2
	want util-linux
	want clang
	want libclang-rt-14-dev
	want valgrind
	want python3-yaml
	want python3-cryptography
	want libnghttp2-dev
	want golang-go
	want golang-google-grpc-dev
	want python3-grpcio
	want nginx-light
	want openssl
	want prometheus
	;;
bench)
	want nginx-light
	want wrk
	want golang-go
	want golang-google-grpc-dev
	want openssl
	;;
go) # the Go test peers: kubelet's prober on net/http, and grpc-go's health server
	want golang-go
	want golang-google-grpc-dev
	;;
image) # the OCI image: umoci builds it, skopeo inspects and pushes it
	want umoci
	want skopeo
	;;
arm64) # the linux/arm64 binary: Debian's cross compiler, multiarch musl, and qemu to test it
	want gcc-aarch64-linux-gnu
	want musl-dev:arm64
	want qemu-user-static
	;;
esac

if [ -n "$need" ]; then
	root "missing Debian packages:$need"
	echo "podhealth: installing$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	case "$need" in
	*:arm64*) dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
	esac
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

[ "${1:-build}" = build ] || exit 0
src=build/deps/src
# The sources as unpacked and patched: fetched again when the patches change.
patched=$(cat tools/mbedtls-*.patch | cksum)
[ -f "$src/mbedtls/include/mbedtls/ssl.h" ] && [ -f "$src/nghttp2/lib/nghttp2_hd.c" ] &&
	[ "$(cat "$src/.patched" 2>/dev/null)" = "$patched" ] && exit 0
update=""
if ! grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	root "apt has no deb-src entries for apt-get source"
	echo "podhealth: adding deb-src entries for apt-get source" >&2
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/podhealth-src.sources
	else
		grep -hE '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/podhealth-src.list
	fi
	update=1
fi
# Source packages only: no binary package comes from Debian 13.
if ! grep -rqsE '^(deb-src .* trixie|Suites:.*trixie)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	root "apt has no deb-src entry for Debian 13 (trixie), for Mbed TLS 3.6"
	echo "podhealth: adding a deb-src entry for Debian 13 (trixie)" >&2
	printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
		'Suites: trixie trixie-updates' 'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' '' \
		'Types: deb-src' 'URIs: http://deb.debian.org/debian-security' \
		'Suites: trixie-security' 'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
		>/etc/apt/sources.list.d/podhealth-trixie-src.sources
	update=1
fi
[ -z "$update" ] || apt-get update -qq
# Each from its suite (a security update first): Mbed TLS from Debian 13 (3.6; Debian 12's is
# 2.28), nghttp2 from Debian 12, as the test builds' libnghttp2.
fetch() {
	pkg=$1
	shift
	for suite; do
		rm -rf "$src/get" && mkdir -p "$src/get"
		if (cd "$src/get" && apt-get source -qq "$pkg/$suite" >/dev/null 2>&1); then
			mv "$src"/get/"$pkg"-*/ "$src/$pkg" && rm -rf "$src/get" && return 0
		fi
	done
	echo "podhealth: apt-get source $pkg failed (from $*)" >&2
	exit 1
}
rm -rf "$src" && mkdir -p "$src"
fetch mbedtls trixie-security trixie
fetch nghttp2 bookworm-security bookworm
case "$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$src/mbedtls/debian/changelog")" in
3.6.*) ;;
*)
	echo "podhealth: apt-get source mbedtls did not fetch 3.6 (Debian 13's)" >&2
	exit 1
	;;
esac
for p in tools/mbedtls-*.patch; do
	patch -d "$src/mbedtls" -p1 -s --no-backup-if-mismatch <"$p" || {
		echo "podhealth: $p does not apply to Debian's mbedtls" >&2
		exit 1
	}
done
echo "$patched" >"$src/.patched"
