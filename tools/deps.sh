#!/bin/sh
# Installs the Debian packages a make target needs, only when something is missing.
# Usage: tools/deps.sh build|test|bench|go|arm64|image
#   build also unpacks the Debian source packages of BearSSL and nghttp2 into
#   build/deps/src (apt-get source; deb-src entries are added when there are none): the
#   static musl binary compiles them, since Debian ships them built for glibc only.
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
	;;
test)
	want libcmocka-dev
	want python3-pytest
	want clang-format
	want iproute2
	want util-linux
	want clang
	want libclang-rt-14-dev
	want valgrind
	want python3-yaml
	want python3-cryptography
	want libbearssl-dev
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
[ -f "$src/bearssl/inc/bearssl.h" ] && [ -f "$src/nghttp2/lib/nghttp2_hd.c" ] && exit 0
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
	apt-get update -qq
fi
rm -rf "$src" && mkdir -p "$src/get"
(cd "$src/get" && apt-get source -qq bearssl nghttp2 >/dev/null 2>&1) || {
	echo "podhealth: apt-get source bearssl nghttp2 failed" >&2
	exit 1
}
mv "$src"/get/bearssl-*/ "$src/bearssl"
mv "$src"/get/nghttp2-*/ "$src/nghttp2"
rm -rf "$src/get"
