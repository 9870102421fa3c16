#!/usr/bin/env python3
"""Writes the SPDX 2.3 JSON document of one release binary: podhealth and every component
compiled into it, with its Debian source package, version, licence and checksum.

usage: tools/sbom.py BINARY ARCH VERSION > podhealth-VERSION-linux-ARCH.spdx.json
What is compiled in comes from tools/libs.sh table (the Debian packages the build used);
the creation time from SOURCE_DATE_EPOCH, so that the same commit gives the same bytes."""
import hashlib
import json
import os
import subprocess
import sys
import time


def main():
    binary, arch, version = sys.argv[1:4]
    with open(binary, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    name = "podhealth-%s-linux-%s" % (version, arch)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or subprocess.run(
        ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True).stdout.strip() or 0)
    table = subprocess.run(["tools/libs.sh", "table"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    packages = [{
        "SPDXID": "SPDXRef-podhealth",
        "name": "podhealth",
        "versionInfo": version,
        "packageFileName": os.path.basename(binary),
        "supplier": "NOASSERTION",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "checksums": [{"algorithm": "SHA256", "checksumValue": digest}],
        "licenseConcluded": "Apache-2.0",
        "licenseDeclared": "Apache-2.0",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": "SPDXRef-podhealth"}]
    for line in table:
        lib, source, debver, licence, _notice = line.split("\t")
        ref = "SPDXRef-" + lib
        packages.append({
            "SPDXID": ref,
            "name": lib,
            "versionInfo": debver,
            "supplier": "Organization: Debian",
            "downloadLocation": "NOASSERTION",
            "sourceInfo": "compiled from the Debian source package %s %s" % (source, debver),
            "filesAnalyzed": False,
            "licenseConcluded": licence,
            "licenseDeclared": licence,
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": "pkg:deb/debian/%s@%s?arch=source" % (source, debver)}],
        })
        relationships.append({"spdxElementId": "SPDXRef-podhealth", "relationshipType": "CONTAINS",
                              "relatedSpdxElement": ref})
    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": "https://spdx.org/spdxdocs/%s-%s" % (name, digest),
        "creationInfo": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)),
            "creators": ["Tool: podhealth-tools/sbom.py"],
        },
        "packages": packages,
        "relationships": relationships,
    }
    json.dump(doc, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
