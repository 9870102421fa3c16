#!/bin/sh
# Installs the Debian packages a make target needs, only when something is missing.
# Usage: tools/deps.sh build|test|bench|go|arm64|image
#   go downloads Debian 13's Go 1.24, grpc-go and x/net (and the golang-* packages they
#   need) and unpacks them under build/go with dpkg -x: the test peers' toolchain, never
#   installed, never in the shipped binary.
#   build also unpacks the Debian source package of Mbed TLS into build/deps/src (apt-get
#   source; deb-src entries are added when there are none, and one for Debian 13, whose
#   Mbed TLS 3.6 speaks TLS 1.3 where Debian 12's 2.28 does not): the static musl binary
#   compiles it, since Debian ships it built for glibc only.
#   Mbed TLS gets tools/mbedtls-*.patch (each names the upstream fix it stands for, or says
#   it is a footprint choice).
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
	want python3-grpcio
	want nginx-light
	want openssl
	want prometheus
	# The manifests' API schema check (tests/deploy): node and npm, unless present
	command -v node >/dev/null || want nodejs
	command -v npm >/dev/null || want npm
	# The database kinds' servers and their own clients (tests/e2e/test_databases.py)
	want postgresql
	want mariadb-server-core
	want mariadb-client
	want redis-server
	want redis-tools
	;;
bench)
	want nginx-light
	want wrk
	want openssl
	;;
go) # the Go test peers: Debian 13's Go and libraries, unpacked under build/go (below)
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
	# apt's own errors are shown; debconf's notes (no apt-utils, no terminal) are not.
	log=$(mktemp)
	# shellcheck disable=SC2086
	if ! apt-get install -y -qq --no-install-recommends $need >/dev/null 2>"$log"; then
		cat "$log" >&2
		rm -f "$log"
		exit 1
	fi
	grep -v '^debconf: ' "$log" >&2 || true
	rm -f "$log"
fi

# Debian 13 (trixie) through a private apt configuration under build/apt: its own sources
# (the system's, as trixie: deb-src for Mbed TLS's source, deb for the Go peers' packages),
# package lists and cache, so nothing under /etc/apt or /var/lib/apt is written, and
# nothing from Debian 13 is installed.
apt_dir=$PWD/build/apt
apt_get() {
	"$@" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/sources.d" \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
		-o Dir::State::status=/dev/null -o APT::Sandbox::User=root -o Debug::NoLocking=1
}
trixie_lists() {
	rm -rf "$apt_dir" && mkdir -p "$apt_dir/sources.d" "$apt_dir/lists/partial" "$apt_dir/cache"
	release=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed -e 's/^Types: deb$/Types: deb deb-src/' -e "s/$release/trixie/g" \
			/etc/apt/sources.list.d/debian.sources >"$apt_dir/sources.d/debian.sources"
	fi
	grep -hsE '^deb ' /etc/apt/sources.list | sed -e "s/$release/trixie/g" -e 'p' -e 's/^deb /deb-src /' \
		>"$apt_dir/sources.d/debian.list"
	echo "podhealth: reading Debian 13's package lists (private: build/apt)" >&2
	apt_get apt-get update -qq >/dev/null || {
		echo "podhealth: apt-get update of Debian 13's lists failed" >&2
		exit 1
	}
}

if [ "${1:-build}" = go ]; then
	# Go 1.24 (golang-1.24-go), grpc-go (golang-google-grpc-dev) and x/net
	# (golang-golang-x-net-dev), each with the golang-* packages it depends on, as Debian 13
	# has them; the versions are written to build/go/versions.
	[ -x build/go/root/usr/lib/go-1.24/bin/go ] && exit 0
	trixie_lists
	pkgs=$(apt_get apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances --no-pre-depends \
		golang-1.24-go golang-google-grpc-dev golang-golang-x-net-dev | grep -E '^golang-' | sort -u)
	rm -rf build/go && mkdir -p build/go/debs build/go/root
	echo "podhealth: fetching Debian 13's Go 1.24, grpc-go and x/net for the test peers" >&2
	# shellcheck disable=SC2086
	(cd build/go/debs && apt_get apt-get download -qq $pkgs >/dev/null) || {
		echo "podhealth: apt-get download of Debian 13's Go packages failed" >&2
		exit 1
	}
	for deb in build/go/debs/*.deb; do
		dpkg -x "$deb" build/go/root
		dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>build/go/versions
	done
	# Links to absolute paths (Go's src, the gocode tree) lead inside build/go/root.
	find build/go/root -type l | while read -r link; do
		case "$(readlink "$link")" in
		/*) ln -sfn "$PWD/build/go/root$(readlink "$link")" "$link" ;;
		esac
	done
	rm -rf build/go/debs
	exit 0
fi

[ "${1:-build}" = build ] || exit 0
src=build/deps/src
# The sources as unpacked and patched: fetched again when the patches change.
patched=$(cat tools/mbedtls-*.patch | cksum)
[ -f "$src/mbedtls/include/mbedtls/ssl.h" ] &&
	[ "$(cat "$src/.patched" 2>/dev/null)" = "$patched" ] && exit 0
trixie_lists
# Each from its suite, a security update first.
fetch() {
	pkg=$1
	shift
	for suite; do
		rm -rf "$src/get" && mkdir -p "$src/get"
		if (cd "$src/get" && apt_get apt-get source -qq "$pkg/$suite" >/dev/null 2>&1); then
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
