#!/usr/bin/env python3
"""A rank that dies mid-step ends the whole job within a bounded time.

`mpirun -np 2 strata-run train --data ...` trains tests/e2e/models/tp-train.yaml at tensor
parallel 2 (two collectives per layer and direction, so the ranks wait on each other all the
time). Once training is under way, one rank is killed with SIGKILL; the job (mpirun and every
other rank) must exit non-zero within 60 seconds, never hang. Run for each of the two ranks
(rank 0 writes the metrics and checkpoints, rank 1 only computes), then for the last stage of
a pipeline-parallel 2 job (send/recv between the stages).

Usage: rank_failure.py --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

MODEL = e2e.REPO / "tests" / "e2e" / "models" / "tp-train.yaml"
CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
LIMIT_S = 60


def rank_pid(marker, rank):
    """The pid of the strata-run process of |rank| whose command line holds |marker|."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if (any(b"strata-run" in part for part in cmdline[:1]) and
                any(marker.encode() in part for part in cmdline) and
                f"OMPI_COMM_WORLD_RANK={rank}".encode() in environ):
            return int(entry.name)
    return None


def kill_rank(args, work, artifact, victim):
    directory = work / f"run-kill-{artifact.stem}-{victim}"
    cmd = [args.mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1",
           "--mca", "btl", "self,vader", "-np", "2", args.strata_run, "train", str(artifact),
           "--data", str(CORPUS), "--steps", "100000", "--checkpoint-dir", str(directory),
           "--save-every", "50", "--seed", "3", "--threads", "1"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    job = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           start_new_session=True)
    try:
        metrics = directory / "metrics.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # training under way: a few steps logged
            if metrics.exists() and len(metrics.read_text().splitlines()) >= 5:
                break
            if job.poll() is not None:
                raise e2e.E2EError(f"training ended before the kill:\n"
                                   f"{e2e.tail(job.stdout.read().decode(errors='replace'))}")
            time.sleep(0.1)
        else:
            raise e2e.E2EError("training did not log 5 steps within 120 s")
        pid = rank_pid(str(artifact), victim)
        if pid is None:
            raise e2e.E2EError(f"no strata-run process of rank {victim} found")
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        try:
            output, _ = job.communicate(timeout=LIMIT_S + 30)
        except subprocess.TimeoutExpired:
            raise e2e.E2EError(f"killing rank {victim}: the job still runs after "
                               f"{LIMIT_S + 30} s (it hangs)")
        elapsed = time.monotonic() - killed
        print(f"killed rank {victim}: job exited with {job.returncode} after {elapsed:.1f} s")
        if job.returncode == 0:
            raise e2e.E2EError(f"killing rank {victim}: the job exited 0\n"
                               f"{e2e.tail(output.decode(errors='replace'))}")
        if elapsed > LIMIT_S:
            raise e2e.E2EError(f"killing rank {victim}: the job took {elapsed:.1f} s to end")
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()


def main(argv=None):
    args = e2e.mpi_tool_args(__doc__, argv)
    if args is None:
        return e2e.SKIP
    work = Path(tempfile.mkdtemp(prefix="strata-rank-failure-"))
    try:
        artifact = work / "tp-train-tp2.strata"
        e2e.compile_artifact(args.strata_compile, MODEL, artifact,
                             ["model.tensor_model_parallel_size=2", "trainer.devices=2"])
        for victim in (1, 0):
            kill_rank(args, work, artifact, victim)
        # Pipeline parallel 2: the stages wait on each other's sends and receives; the last
        # stage dies.
        pipelined = work / "tp-train-pp2.strata"
        e2e.compile_artifact(args.strata_compile, MODEL, pipelined,
                             ["model.pipeline_model_parallel_size=2", "trainer.devices=2"])
        kill_rank(args, work, pipelined, 1)
    except e2e.E2EError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
