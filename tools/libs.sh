#!/bin/sh
# What is compiled into the static binary, from the Debian packages it was built from:
#   tools/libs.sh versions        one line: "musl 1.2.3-1, llhttp 8.1.0, ..." (Debian versions)
#   tools/libs.sh notices DIR     each library's licence notice into DIR, for release
#                                 archives and the image's /licenses/ (never in the repo)
#   tools/libs.sh table           name, Debian source package, version, licence, notice file
# Mbed TLS's notice comes from its unpacked source package (build/deps/src): LICENSE and
# debian/copyright;
# Mbed TLS is "Apache-2.0 OR GPL-2.0-or-later": podhealth takes it under Apache-2.0;
# musl's and llhttp's from debian/copyright as their packages install it.
set -eu
src=build/deps/src
changelog_version() { sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$1/debian/changelog"; }
pkg_version() { dpkg-query -W -f='${Version}' "$1"; }
musl=$(pkg_version "musl-dev:$(dpkg --print-architecture)") # not the cross one
llhttp=$(pkg_version node-llhttp)
mbedtls=$(changelog_version $src/mbedtls)
case "${1:-versions}" in
versions)
	echo "musl $musl, llhttp ${llhttp%%~*}, mbedtls $mbedtls"
	;;
table)
	printf '%s\t%s\t%s\t%s\t%s\n' \
		musl musl "$musl" MIT musl-COPYRIGHT \
		llhttp node-undici "$llhttp" MIT llhttp-copyright \
		mbedtls mbedtls "$mbedtls" Apache-2.0 mbedtls-LICENSE
	;;
notices)
	dir=$2
	mkdir -p "$dir"
	cp LICENSE "$dir/podhealth-LICENSE"
	cp /usr/share/doc/musl-dev/copyright "$dir/musl-COPYRIGHT"
	cp /usr/share/doc/node-llhttp/copyright "$dir/llhttp-copyright"
	# Its licence, then its debian/copyright: who holds what in its tree, Project
	# Everest's X25519 (INRIA and Microsoft, Apache-2.0) among them.
	{
		cat $src/mbedtls/LICENSE
		printf '\n--- debian/copyright of the source package ---\n\n'
		cat $src/mbedtls/debian/copyright
	} >"$dir/mbedtls-LICENSE"
	;;
*)
	echo "usage: tools/libs.sh versions|table|notices DIR" >&2
	exit 2
	;;
esac
