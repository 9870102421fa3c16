#!/bin/sh
# Installs the Debian packages a make target needs, only when something is missing.
# Usage: tools/deps.sh build|test|bench|go|arm64|image
#   build also unpacks the Debian source package of Mbed TLS into build/deps/src (apt-get
#   source; deb-src entries are added when there are none, and one for Debian 13, whose
#   Mbed TLS 3.6 speaks TLS 1.3 where Debian 12's 2.28 does not): the static musl binary
#   compiles it, since Debian ships it built for glibc only.
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
	want libnghttp2-dev # the HPACK decoder's differential oracle (fuzz_hpack)
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
[ -f "$src/mbedtls/include/mbedtls/ssl.h" ] &&
	[ "$(cat "$src/.patched" 2>/dev/null)" = "$patched" ] && exit 0
# Mbed TLS 3.6 is Debian 13's (trixie; Debian 12's is 2.28): its source package comes
# through a private apt configuration under build/apt, its own sources (the system's,
# as deb-src for trixie), package lists and cache, so nothing under /etc/apt or
# /var/lib/apt is written, and no binary package comes from Debian 13.
apt_dir=$PWD/build/apt
rm -rf "$apt_dir" && mkdir -p "$apt_dir/sources.d" "$apt_dir/lists/partial" "$apt_dir/cache"
release=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	sed -e 's/^Types: deb$/Types: deb-src/' -e "s/$release/trixie/g" \
		/etc/apt/sources.list.d/debian.sources >"$apt_dir/sources.d/debian.sources"
fi
grep -hsE '^deb ' /etc/apt/sources.list | sed -e 's/^deb /deb-src /' -e "s/$release/trixie/g" \
	>"$apt_dir/sources.d/debian.list"
apt_get() {
	apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/sources.d" \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
		-o APT::Sandbox::User=root -o Debug::NoLocking=1 "$@"
}
echo "podhealth: fetching Debian 13's Mbed TLS source package (private apt lists in build/apt)" >&2
apt_get update -qq >/dev/null || {
	echo "podhealth: apt-get update of Debian 13's source lists failed" >&2
	exit 1
}
# Each from its suite, a security update first.
fetch() {
	pkg=$1
	shift
	for suite; do
		rm -rf "$src/get" && mkdir -p "$src/get"
		if (cd "$src/get" && apt_get source -qq "$pkg/$suite" >/dev/null 2>&1); then
			mv "$src"/get/"$pkg"-*/ "$src/$pkg" && rm -rf "$src/get" && return 0
		fi
	done
	echo "podhealth: apt-get source $pkg failed (from $*)" >&2
	exit 1
}
rm -rf "$src" && mkdir -p "$src"
fetch mbedtls trixie-security trixie
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
