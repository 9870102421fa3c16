"""A command for podhealth wait to run. Usage: child.py OUTFILE MODE
MODE signals: write "ready", then one line per signal received; exit 0 on SIGTERM.
MODE orphans: leave 5 grandchildren to be reparented to PID 1, then sleep and exit 0.
MODE env: write $PODHEALTH_TEST_VAR, whether fd $PODHEALTH_TEST_FD is open, and pid/ppid."""
import os
import signal
import sys
import time

out, mode = sys.argv[1], sys.argv[2]


def write(line):
    with open(out, "a") as f:
        f.write(line + "\n")


if mode == "signals":
    def handler(sig, frame):
        write(signal.Signals(sig).name)
        if sig == signal.SIGTERM:
            sys.exit(0)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(s, handler)
    write("ready")
    while True:
        time.sleep(0.01)
elif mode == "orphans":
    for _ in range(5):
        if os.fork() == 0:
            if os.fork() == 0:
                time.sleep(0.05)
                write("orphan exited")
                os._exit(0)  # an orphan whose parent is gone: PID 1 must reap it
            os._exit(0)
        os.wait()
    write("spawned")
    time.sleep(1.0)
    sys.exit(0)
elif mode == "env":
    write(os.environ.get("PODHEALTH_TEST_VAR", "<unset>"))
    fd = os.environ["PODHEALTH_TEST_FD"]
    write("fd open" if os.path.exists("/proc/self/fd/" + fd) else "fd closed")
    write("%d %d" % (os.getpid(), os.getppid()))
