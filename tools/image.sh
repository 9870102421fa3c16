#!/bin/sh
# make image: a multi-arch OCI image layout in build/image, built without a daemon and
# without root by umoci: for linux/amd64 and linux/arm64 an empty base with /podhealth and
# /licenses/, user 65532:65532, entrypoint /podhealth, command serve, and the
# org.opencontainers.image.* labels. Tags: amd64, arm64, and VERSION for the index of both.
# Times come from SOURCE_DATE_EPOCH (default: the last commit's), file owners are 0:0; the
# source label from IMAGE_SOURCE (default: git's origin).
set -eu
version=$(cat VERSION)
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
layout=build/image
work=build/image-work
rm -rf "$layout" "$work"
mkdir -p "$work"
umoci init --layout "$layout"
for arch in amd64 arm64; do
	case $arch in amd64) bin=build/musl/podhealth ;; arm64) bin=build/arm64/podhealth ;; esac
	umoci new --image "$layout:$arch"
	umoci unpack --rootless --image "$layout:$arch" "$work/$arch"
	root=$work/$arch/rootfs
	install -m 0755 "$bin" "$root/podhealth"
	tools/libs.sh notices "$root/licenses"
	chmod 0644 "$root"/licenses/*
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	umoci repack --image "$layout:$arch" --history.created "$created" \
		--history.created_by "tools/image.sh: /podhealth and /licenses" "$work/$arch"
	umoci config --no-history --image "$layout:$arch" --created "$created" \
		--architecture "$arch" --os linux --config.user 65532:65532 \
		--config.entrypoint /podhealth --config.cmd serve --config.exposedports 8081/tcp \
		--config.label "org.opencontainers.image.title=podhealth" \
		--config.label "org.opencontainers.image.version=$version" \
		--config.label "org.opencontainers.image.licenses=Apache-2.0 AND MIT" \
		--config.label "org.opencontainers.image.revision=$revision" \
		--config.label "org.opencontainers.image.created=$created" \
		--config.label "org.opencontainers.image.source=$source"
done
umoci gc --layout "$layout"
# The index of both platforms: umoci 0.4 tags one manifest at a time and records no
# platform, and no other daemonless tool in Debian 12 writes an image index into an OCI
# layout, so this one step is done here (OCI image-spec, image-index.md).
python3 - "$layout" "$version" <<'PY'
import hashlib, json, os, sys
layout, version = sys.argv[1:3]
with open(os.path.join(layout, "index.json")) as f:
    top = json.load(f)
by_tag = {d["annotations"]["org.opencontainers.image.ref.name"]: d for d in top["manifests"]}
entries = []
for arch in ("amd64", "arm64"):
    d = {k: v for k, v in by_tag[arch].items() if k != "annotations"}
    d["platform"] = {"architecture": arch, "os": "linux"}
    entries.append(d)
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": entries}, sort_keys=True).encode()
digest = hashlib.sha256(index).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
    f.write(index)
top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + digest, "size": len(index),
                         "annotations": {"org.opencontainers.image.ref.name": version}})
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(top, f, sort_keys=True)
PY
rm -rf "$work"
echo "$layout: linux/amd64 and linux/arm64, tag $version (push: skopeo copy --all oci:$layout:$version docker://REGISTRY/podhealth:$version)"
