#!/usr/bin/env python3
"""Every shell command shown in README.md and docs/*.md runs as written.

What runs: each fenced block whose info string is `sh`, `bash` or `shell` (the whole block), or
`console` (its `$ ` lines), in the order of the file, through `bash -e -o pipefail`. Every other
fence must say what it is (```text for output and synopses, ```yaml, ```json, ```mlir, ...): a fence
without an info string is an error, so a command cannot hide from this test by accident. Files
that generate themselves (docs/reference/) are not read.

Where: each Markdown file gets a fresh scratch directory holding a symbolic link to every entry of
the repository (`examples/`, `data/`, `tests/`, `scripts/`, `bench/`, ...) and `build` linked to
the build under test, so `build/bin/strata-run ... --data data/corpora/...` resolves as in a
checkout while every file a command writes (`tiny.strata`, `runs/`) lands in the scratch
directory. The build's `bin/` is first on PATH, for the pages that write `strata-compile ...`.
The blocks of one file share the directory (a later block uses what an earlier one wrote); shell
variables do not carry over. After each block, anything it left running (a server started with
`&`) is stopped: the block runs in its own session and the whole process group is killed.

Shortened, as documented in docs/getting-started.md ("Commands in these docs"): long training
runs are written `--steps ${STEPS:-1200} ... --warmup-steps ${WARMUP:-60}`, which reads as 1200
steps to a person pasting it; this test sets STEPS=2 and WARMUP=1. mpirun as root: the test
exports OMPI_ALLOW_RUN_AS_ROOT=1, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1,
OMPI_MCA_rmaps_base_oversubscribe=1 and OMPI_MCA_pml=ob1, OMPI_MCA_btl=self,vader (shared memory
on one machine): Open MPI's documented environment forms of the flags docs/launchers.md explains.

Skipped: a block right after `<!-- doc-test: skip: REASON -->` (blank lines allowed between) is
not run, and the reason is printed: GPU-only commands, a Slurm cluster, files the reader brings,
benchmarks that take minutes, the install script. A skip marker must have a reason and stand
before a runnable block.

Usage: doc_commands.py --build-dir build [--repo DIR] [--only README.md docs/cli.md ...]
                       [--list] [--keep] [--timeout 300]
Exit status: 0 when every runnable block exits 0, 1 otherwise (the failing block, its file and
line, and the tail of its output are printed).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RUN_LANGUAGES = {"sh", "bash", "shell", "console"}
SKIP_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*skip\s*:\s*(?P<reason>.*?)\s*-->\s*$")
ANY_MARKER = re.compile(r"^\s*<!--\s*doc-test\b")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")

TEST_ENVIRONMENT = {
    "STEPS": "2",
    "WARMUP": "1",
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl": "self,vader",
}


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    body: str
    skip: str = ""  # the reason, when marked

    @property
    def runnable(self):
        return self.language in RUN_LANGUAGES

    def where(self, repo):
        return f"{self.path.relative_to(repo)}:{self.line}"

    def script(self):
        if self.language != "console":
            return self.body
        # `$ cmd` lines and their backslash continuations; the rest is output.
        lines, continuing = [], False
        for text in self.body.splitlines():
            if continuing or text.startswith("$ "):
                lines.append(text if continuing else text[2:])
                continuing = text.endswith("\\")
        return "\n".join(lines) + "\n"


class DocError(Exception):
    pass


def parse_blocks(path, repo):
    """The fenced blocks of |path|; DocError lists unlabelled fences and stray markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, problems = [], []
    pending_skip, pending_line = None, 0
    i = 0
    while i < len(lines):
        text = lines[i]
        marker = SKIP_MARKER.match(text)
        if marker:
            if not marker.group("reason"):
                problems.append(f"{path.relative_to(repo)}:{i + 1}: doc-test skip marker without "
                                "a reason (write <!-- doc-test: skip: WHY -->)")
            pending_skip, pending_line = marker.group("reason") or "?", i + 1
            i += 1
            continue
        if ANY_MARKER.match(text):
            problems.append(f"{path.relative_to(repo)}:{i + 1}: unknown doc-test marker "
                            f"{text.strip()!r} (the one form is <!-- doc-test: skip: WHY -->)")
        opened = FENCE_OPEN.match(text)
        if not opened:
            if text.strip() and pending_skip is not None:
                problems.append(f"{path.relative_to(repo)}:{pending_line}: doc-test skip marker "
                                "not followed by a fenced block")
                pending_skip = None
            i += 1
            continue
        fence, info = opened.group("fence"), opened.group("info").strip()
        language = info.split()[0].lower() if info else ""
        body, j = [], i + 1
        closing = re.compile(r"^\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        while j < len(lines) and not closing.match(lines[j]):
            body.append(lines[j])
            j += 1
        if j == len(lines):
            problems.append(f"{path.relative_to(repo)}:{i + 1}: fence {fence} is never closed")
        indent = len(opened.group("indent"))
        block = Block(path, i + 1, language,
                      "\n".join(b[indent:] if b[:indent].isspace() else b for b in body) + "\n")
        if not language:
            problems.append(f"{path.relative_to(repo)}:{i + 1}: fenced block without an info "
                            "string: write ```sh if it is to run, ```text if it is output or a "
                            "synopsis")
        if pending_skip is not None:
            if not block.runnable:
                problems.append(f"{path.relative_to(repo)}:{pending_line}: doc-test skip marker "
                                f"before a ```{language or '(none)'} block, which never runs")
            block.skip = pending_skip
            pending_skip = None
        blocks.append(block)
        i = j + 1
    if pending_skip is not None:
        problems.append(f"{path.relative_to(repo)}:{pending_line}: doc-test skip marker at the end "
                        "of the file")
    return blocks, problems


def markdown_files(repo, only):
    if only:
        files = [repo / name for name in only]
        for f in files:
            if not f.is_file():
                raise DocError(f"--only {f}: no such file")
        return files
    return [repo / "README.md"] + sorted((repo / "docs").glob("*.md"))


def scratch_directory(root, repo, build, name):
    """A directory that looks like the checkout (links) with build/ pointing at |build|."""
    work = root / name
    work.mkdir()
    for entry in sorted(repo.iterdir()):
        if entry.name in (".git", "build"):
            continue
        (work / entry.name).symlink_to(entry)
    (work / "build").symlink_to(build)
    return work


def stop_group(pid):
    """Ends whatever the block's session left running (servers started with &)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def run_block(block, work, env, timeout, log):
    with open(log, "wb") as out:
        # Output to a file, not a pipe: a background server keeps a pipe open forever.
        proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", block.script()], cwd=work,
                                env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stop_group(proc.pid)
            if proc.poll() is None:
                proc.wait()
    return code


def tail(path, lines=40):
    text = Path(path).read_text(errors="replace").splitlines()
    return "\n".join("    " + t for t in text[-lines:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=Path)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--only", nargs="*", help="Markdown files relative to the repository")
    parser.add_argument("--list", action="store_true", help="list the blocks, run nothing")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per block")
    args = parser.parse_args()
    repo, build = args.repo.resolve(), args.build_dir.resolve()
    if not (build / "bin" / "strata-compile").exists():
        print(f"doc_commands: {build}/bin/strata-compile does not exist: build first")
        return 1

    try:
        files = markdown_files(repo, args.only)
    except DocError as e:
        print(f"doc_commands: {e}")
        return 1
    parsed, problems = [], []
    for f in files:
        blocks, found = parse_blocks(f, repo)
        parsed.append((f, blocks))
        problems += found
    if problems:
        print("doc_commands: fix these fences first:")
        print("\n".join("  " + p for p in problems))
        return 1

    if args.list:
        for f, blocks in parsed:
            for b in blocks:
                state = ("skip: " + b.skip) if b.skip else ("run" if b.runnable else b.language)
                print(f"{b.where(repo)}: {state}")
        return 0

    env = dict(os.environ, **TEST_ENVIRONMENT)
    env["PATH"] = f"{build / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    root = Path(tempfile.mkdtemp(prefix="strata-doc-commands-"))
    failures, skipped, ran = [], [], 0
    started = time.monotonic()
    for f, blocks in parsed:
        runnable = [b for b in blocks if b.runnable]
        if not runnable:
            continue
        work = scratch_directory(root, repo, build, f.stem)
        for index, block in enumerate(runnable):
            if block.skip:
                skipped.append(block)
                print(f"SKIP {block.where(repo)}: {block.skip}", flush=True)
                continue
            log = root / f"{f.stem}-{index}.log"
            t0 = time.monotonic()
            code = run_block(block, work, env, args.timeout, log)
            seconds = time.monotonic() - t0
            ran += 1
            if code == 0:
                print(f"ok   {block.where(repo)} ({seconds:.1f} s)", flush=True)
                continue
            why = f"timed out after {args.timeout:.0f} s" if code is None else f"exit {code}"
            print(f"FAIL {block.where(repo)}: {why} ({seconds:.1f} s)\n  the block:\n" +
                  "\n".join("    " + t for t in block.script().splitlines()) +
                  f"\n  its output (last lines, whole log {log}):\n{tail(log)}", flush=True)
            failures.append(block)
            # Later blocks of the page build on this one: report them once, not as noise.
            break
    print(f"doc_commands: {ran} blocks run, {len(failures)} failed, {len(skipped)} skipped "
          f"in {time.monotonic() - started:.0f} s")
    for block in skipped:
        print(f"  skipped {block.where(repo)}: {block.skip}")
    if not failures and not args.keep:
        subprocess.run(["rm", "-rf", str(root)], check=False)
    else:
        print(f"  scratch directories kept in {root}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
