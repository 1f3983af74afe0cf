#!/usr/bin/env python3
# Part of Strata. SPDX-License-Identifier: Apache-2.0
"""Runs an MPI job in which a rank dies or stalls and checks that the job
ends, non-zero, in bounded time (mpi_fault_test.cc explains the modes).

Usage: mpi_fault_test.py --limit-s 60 [--expect TEXT] -- mpirun ... prog MODE

The command runs under `timeout 90` so that a hang fails this test instead
of the whole ctest run; TEXT must appear in the job's output.
"""
import argparse
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit-s", type=float, default=60)
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")

    start = time.monotonic()
    job = subprocess.run(["timeout", "-k", "5", "90"] + command,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace")
    elapsed = time.monotonic() - start
    print(job.stdout)
    print(f"exit code {job.returncode} after {elapsed:.1f} s")

    problems = []
    if job.returncode == 0:
        problems.append("the job exited 0 although a rank failed")
    if job.returncode == 124 or elapsed >= args.limit_s:
        problems.append(f"the job took {elapsed:.1f} s; the limit is "
                        f"{args.limit_s:g} s")
    for text in args.expect:
        if text not in job.stdout:
            problems.append(f"the output lacks '{text}'")
    for problem in problems:
        print("FAIL: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
