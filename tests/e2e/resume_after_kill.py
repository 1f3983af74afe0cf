"""Kill training with SIGKILL at random moments and resume: no checkpoint is ever corrupt, and the
resumed run's losses equal an uninterrupted run's bit for bit (issue 4's acceptance test).

    resume_after_kill.py --strata-compile BIN --strata-run BIN [--kills 8] [--steps 24] [--seed S]

The uninterrupted run and the interrupted runs save a checkpoint every step; the interrupted runs
are killed after a random delay, with $STRATA_FAULT_CHECKPOINT_PAUSE_MS widening the window
between a checkpoint's two files so that many kills land inside a save. After each kill every
complete checkpoint directory (step-N/) must load: `strata-run eval` from its model.safetensors,
and the trainer state file parses. Losses come from the metrics files (%.17g), the last value
written for each step.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import safetensors_io  # noqa: E402
import numpy as np  # noqa: E402


def losses(metrics):
    by_step = {}
    for line in Path(metrics).read_text().splitlines():
        record = json.loads(line)
        if "loss" in record:
            by_step[record["step"]] = record["loss"]
    return by_step


def train_command(args, artifact, checkpoint_dir, resume):
    command = [args.strata_run, "train", str(artifact), "--data", str(args.corpus),
               "--steps", str(args.steps), "--lr", "2e-3", "--warmup-steps", "3",
               "--eval-every", "6", "--eval-steps", "1", "--save-every", "1",
               "--sample-every", "8", "--sample-tokens", "4",
               "--keep-last", "2", "--checkpoint-dir", str(checkpoint_dir),
               "--seed", "7", "--threads", "2", "--cache-dir", str(args.work / "cache")]
    return command + (["--resume"] if resume else [])


def check_checkpoints(args, artifact, checkpoint_dir, tokens):
    for step_dir in sorted(Path(checkpoint_dir).glob("step-*")):
        files = {p.name for p in step_dir.iterdir()}
        if files != {"model.safetensors", "trainer.safetensors"}:
            sys.exit(f"checkpoint {step_dir} is incomplete: {sorted(files)}")
        trainer = safetensors_io.load_with_metadata(str(step_dir / "trainer.safetensors"))
        assert trainer[1]["format"] == "strata-trainer-1", step_dir
        out = args.work / "eval.safetensors"
        result = subprocess.run([args.strata_run, "eval", str(artifact), "--checkpoint",
                                 str(step_dir / "model.safetensors"), "--tokens", str(tokens),
                                 "--out", str(out)], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"checkpoint {step_dir} does not load: {result.stderr}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--kills", type=int, default=8)
    p.add_argument("--steps", type=int, default=24)
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--corpus", default=str(REPO / "data" / "corpora" / "moby-dick.txt"))
    args = p.parse_args()
    rng = random.Random(args.seed)
    args.work = Path(tempfile.mkdtemp(prefix="strata-resume-"))
    try:
        artifact = args.work / "m.strata"
        subprocess.run([args.strata_compile, str(REPO / "tests/e2e/models/tiny-train.yaml"),
                        "--compile-to=training", "-o", str(artifact)], check=True)
        tokens = args.work / "t.npy"
        np.save(tokens, np.arange(2 * 25, dtype=np.int32).reshape(2, 25) % 50257)

        straight = args.work / "straight"
        start = time.time()
        subprocess.run(train_command(args, artifact, straight, False), check=True,
                       stdout=subprocess.DEVNULL)
        duration = time.time() - start
        expected = losses(straight / "metrics.jsonl")
        assert sorted(expected) == list(range(1, args.steps + 1)), sorted(expected)

        interrupted = args.work / "interrupted"
        env = dict(os.environ, STRATA_FAULT_CHECKPOINT_PAUSE_MS="150")
        kills = in_save = 0
        while kills < args.kills:
            proc = subprocess.Popen(train_command(args, artifact, interrupted, True), env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.3, max(0.6, duration * 0.6)))
            if proc.poll() is not None:
                stderr = proc.stderr.read()
                if proc.returncode != 0:
                    sys.exit(f"training exited with {proc.returncode}: {stderr}")
                break  # finished before the kill
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            in_save += any(interrupted.glob(".tmp-*"))
            check_checkpoints(args, artifact, interrupted, tokens)
            print(f"kill {kills}: checkpoints "
                  f"{[d.name for d in sorted(interrupted.glob('step-*'))]} all load")
        # Finish the run.
        subprocess.run(train_command(args, artifact, interrupted, True), env=env, check=True,
                       stdout=subprocess.DEVNULL)
        check_checkpoints(args, artifact, interrupted, tokens)
        got = losses(interrupted / "metrics.jsonl")
        mismatches = [(s, expected[s], got.get(s)) for s in expected if got.get(s) != expected[s]]
        if mismatches:
            sys.exit("losses differ from the uninterrupted run (step, expected, got):\n" +
                     "\n".join(map(str, mismatches)))
        print(f"{kills} kills ({in_save} during a checkpoint save); all {len(expected)} losses equal the uninterrupted run bit for bit")
    finally:
        shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
