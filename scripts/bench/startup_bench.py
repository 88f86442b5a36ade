#!/usr/bin/env python3
"""Start-up cost of freshet's model-free verbs, as whole processes: median wall time (fork to exit)
and peak RSS (from wait4) over several runs. Run from the repository root after ./scripts/demo.sh.

usage: scripts/bench/startup_bench.py [FRESHET] [--runs N]"""
import os
import statistics
import subprocess
import sys
import time


def measure(cmd, runs):
    walls, rss, code = [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)
        code = os.waitstatus_to_exitcode(status)
    return statistics.median(walls) * 1000, statistics.median(rss), code


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 9
    if "--runs" in sys.argv:
        args.remove(str(runs))
    freshet = args[0] if args else "build/freshet"
    config = ["-c", "configs/churn.yaml"]
    for name, cmd in [("--version", ["--version"]),
                      ("retrain, nothing to do", ["-q", "retrain"] + config),
                      ("registry list churn", ["-q", "registry", "list", "churn"] + config),
                      ("registry fsck", ["-q", "registry", "fsck"] + config)]:
        wall, peak, code = measure([freshet] + cmd, runs)
        print("%-24s median %7.1f ms wall, %6.1f MiB peak RSS (exit %d, %d runs)"
              % (name, wall, peak, code, runs))


if __name__ == "__main__":
    main()
