#!/bin/sh
# Installs the Debian packages a make target needs, only when something is missing.
# Usage: tools/deps.sh build|test|bench
set -eu
need=""
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
want() { has_pkg "$1" || need="$need $1"; }

want musl-tools
want node-llhttp
want file
case "${1:-build}" in
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
	;;
bench)
	want nginx-light
	want wrk
	;;
esac

[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "podhealth: missing Debian packages:$need (run as root, or: sudo apt-get install$need)" >&2
	exit 1
fi
echo "podhealth: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
