#!/usr/bin/env python3
"""What the valgrind and memory-limit passes leave unrun: the e2e suite once against a gcov
build (build/cov: podhealth and Mbed TLS at -O0 --coverage), each test's processes writing
their counts to a directory of its own, then the lines of src/ and of Mbed TLS's library
that some test reached and no test outside the `rows` marker did. Those passes run
-m "not rows" (Makefile), so a row must add no path of its own: this prints the lines it
would take from them (make wrapped-coverage).

Also the pytest plugin that gives each test its directory (-p wrapped_coverage)."""
import collections
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OBJ = os.path.join(ROOT, "build", "cov")
OUT = os.path.join(ROOT, "build", "cov-tests")


def pytest_runtest_setup(item):
    d = os.path.join(OUT, re.sub(r"[^A-Za-z0-9_.-]", "_", item.nodeid))
    os.makedirs(d, exist_ok=True)
    if item.get_closest_marker("rows"):
        open(os.path.join(d, "ROWS"), "w").close()
    os.environ["GCOV_PREFIX"] = d  # podhealth's counts land under d/<absolute object path>


def lines_of(test_dir):
    """{(source, line)} a test's processes executed."""
    reached = set()
    for sub in ("", "deps/mbedtls"):
        obj = os.path.join(OBJ, sub)
        d = test_dir + obj
        for gcno in glob.glob(obj + "/*.gcno"):
            if os.path.isdir(d) and not os.path.exists(os.path.join(d, os.path.basename(gcno))):
                os.symlink(gcno, os.path.join(d, os.path.basename(gcno)))
        gcdas = glob.glob(d + "/*.gcda")
        if not gcdas:
            continue
        out = subprocess.run(["gcov", "--json-format", "--stdout", "-o", d] + gcdas, cwd=obj,
                             capture_output=True, text=True, check=True).stdout
        for doc in filter(str.strip, out.splitlines()):
            for f in json.loads(doc)["files"]:
                name = f["file"]
                if name.startswith("src/") or "/library/" in name:
                    reached |= {(name.split("/library/")[-1], l["line_number"])
                                for l in f["lines"] if l["count"]}
    return reached


def main():
    subprocess.run(["rm", "-rf", OUT], check=True)
    env = dict(os.environ, PODHEALTH_BIN=os.path.join(OBJ, "podhealth"),
               PYTHONPATH=os.path.join(ROOT, "tools"))
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", str(os.cpu_count()),
                            "-p", "no:cacheprovider", "-p", "wrapped_coverage", "tests/e2e"],
                           cwd=ROOT, env=env)
    every, wrapped, rows = set(), set(), 0
    for t in os.listdir(OUT):
        reached = lines_of(os.path.join(OUT, t))
        every |= reached
        if os.path.exists(os.path.join(OUT, t, "ROWS")):
            rows += 1
        else:
            wrapped |= reached
    missed = collections.defaultdict(list)
    for source, line in sorted(every - wrapped):
        missed[source].append(line)
    print("%d lines reached, %d by the %d rows alone" % (len(every), len(every - wrapped), rows))
    for source, numbers in missed.items():
        print("  %s: %s" % (source, " ".join(map(str, numbers))))
    return suite.returncode


if __name__ == "__main__":
    sys.exit(main())
