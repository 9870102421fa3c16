#!/bin/sh
# make release: for linux/amd64 and linux/arm64, the static binary, an archive with it, the
# man page, LICENSE and the notices of what is compiled in (licenses/), and its SPDX SBOM;
# then SHA256SUMS over every artefact. Times come from SOURCE_DATE_EPOCH (default: the last
# commit's), so the same commit gives the same bytes.
set -eu
version=$(cat VERSION)
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
out=build/release
rm -rf "$out" && mkdir -p "$out"
for arch in amd64 arm64; do
	case $arch in amd64) bin=build/musl/podhealth ;; arm64) bin=build/arm64/podhealth ;; esac
	name=podhealth-$version-linux-$arch
	file -b "$bin" | grep -q "statically linked" || { echo "$bin is not static" >&2; exit 1; }
	cp "$bin" "$out/$name"
	stage=$out/stage/$name
	mkdir -p "$stage"
	cp "$bin" "$stage/podhealth"
	cp doc/podhealth.1 "$stage/podhealth.1"
	cp LICENSE "$stage/LICENSE"
	tools/libs.sh notices "$stage/licenses"
	tar -C "$out/stage" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 \
		--numeric-owner --mode=go-w -cf - "$name" | gzip -9n > "$out/$name.tar.gz"
	python3 tools/sbom.py "$bin" "$arch" "$version" > "$out/$name.spdx.json"
done
cp doc/podhealth.1 "$out/podhealth-$version.1"
rm -rf "$out/stage"
(cd "$out" && sha256sum podhealth-* > SHA256SUMS && cat SHA256SUMS)
