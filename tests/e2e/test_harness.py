"""The suite's own rules, tested: a skip outside the fixed list fails (conftest.SKIP_CLASSES)."""
import os
import subprocess
import sys

E2E = os.path.dirname(os.path.abspath(__file__))


def test_a_skip_outside_the_fixed_list_fails(tmp_path):
    # The suite's conftest hook, loaded under another name beside two skipping tests.
    (tmp_path / "conftest.py").write_text(
        "import importlib.util\n"
        "spec = importlib.util.spec_from_file_location('e2e_conftest', %r)\n"
        "m = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(m)\n"
        "pytest_runtest_makereport = m.pytest_runtest_makereport\n" % os.path.join(E2E, "conftest.py"))
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n"
        "def test_unlisted():\n    pytest.skip('port 8081 is in use here')\n"
        "@pytest.mark.skipif(True, reason='wrapper: listed')\n"
        "def test_listed():\n    pass\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        str(tmp_path)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "1 failed, 1 skipped" in r.stdout, r.stdout + r.stderr
    assert "skipped for a reason outside the fixed list (wrapper, network, chroot): port 8081" in r.stdout, r.stdout
