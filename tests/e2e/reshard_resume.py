#!/usr/bin/env python3
"""Checkpoints are global: training resumed under another parallel layout continues exactly.

tests/e2e/models/tp-train.yaml trains on the bundled corpus (dropout on) under mpirun:
  * a reference run at tensor parallel 2 for 6 steps (checkpoints at 3 and 6);
  * its step-3 checkpoint resumed at tensor parallel 4, on a single rank, at tensor parallel 2
    with sequence parallelism (dropout masks of sequence-split tensors) and at data parallel 2
    (each rank trains half the batch; masks drawn per global micro-batch), and at data parallel
    2 and pipeline parallel 2 x data parallel 2 with the distributed optimizer (AdamW moments
    split over dp: each rank loads its block of the global moments), to step 6;
  * runs at tensor parallel 2 x data parallel 2 and pipeline parallel 2 x data parallel 2 with
    the distributed optimizer for 6 steps (equal to the reference), their step-3 checkpoints
    (moments gathered over dp, then tp or pp) resumed at tensor parallel 2 without it;
  * a run at tensor parallel 2 x pipeline parallel 2 (4 ranks, two stages of one layer each,
    the tied embeddings on both) for 6 steps, its step-3 checkpoint resumed at tensor parallel 4
    x pipeline parallel 1; and the reference's step-3 checkpoint resumed at tensor parallel 2 x
    pipeline parallel 2.
The losses of steps 4-6 must equal the reference's within 1e-5 relative: the checkpoint holds
the global tensors (parameters and AdamW moments), the data order and the dropout counter, and
dropout masks are drawn by global element index, so a layout change changes nothing but
rounding. Finally the reference's last checkpoint generates 12 greedy tokens at tensor parallel
1, 2 and 4 (inference artifacts: each rank caches its heads' keys and values); the tokens must
be the same.

Usage: reshard_resume.py --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run
"""
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

MODEL = e2e.REPO / "tests" / "e2e" / "models" / "tp-train.yaml"
CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
TOLERANCE = 1e-5


def mpirun(args, ranks):
    if ranks == 1:
        return []
    return [args.mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1",
            "--mca", "btl", "self,vader", "-np", str(ranks)]


def losses(directory):
    out = {}
    for line in (Path(directory) / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "loss" in record:
            out[record["step"]] = record["loss"]
    return out


def train(args, work, tp, directory, resume=False, sp=False, dp=1, pp=1, dopt=False):
    artifact = work / (f"tp-train-tp{tp}{'sp' if sp else ''}-dp{dp}-pp{pp}"
                       f"{'-dopt' if dopt else ''}.strata")
    if not artifact.exists():
        e2e.compile_artifact(args.strata_compile, MODEL, artifact,
                             [f"model.tensor_model_parallel_size={tp}",
                              f"model.pipeline_model_parallel_size={pp}",
                              f"trainer.devices={tp * dp * pp}",
                              f"model.sequence_parallel={'true' if sp else 'false'}"] +
                             (["model.optim.name=distributed_fused_adam"] if dopt else []))
    # The schedule is a flag: model.optim.name=... alone makes an optim block without sched,
    # which NeMo (and Strata) run at a constant rate, unlike the default cosine.
    cmd = mpirun(args, tp * dp * pp) + [args.strata_run, "train", artifact, "--data", CORPUS,
                              "--steps", "6", "--save-every", "3", "--checkpoint-dir", directory,
                              "--seed", "11", "--threads", "1",
                              "--lr-schedule", "CosineAnnealing"]
    e2e.run(cmd + (["--resume"] if resume else []), env={"OMP_NUM_THREADS": "1"})


def compare_losses(what, got, want, steps):
    failures = []
    for step in steps:
        rel = abs(got[step] - want[step]) / abs(want[step])
        print(f"{what}: step {step} loss {got[step]:.7f} vs {want[step]:.7f} (rel {rel:.1e})")
        if not rel <= TOLERANCE:
            failures.append(f"{what} step {step}: rel {rel:.1e}")
    return failures


def compare_generation(args, work, checkpoint):
    ids = {}
    for tp in (1, 2, 4):
        artifact = work / f"tp-train-infer-tp{tp}.strata"
        e2e.compile_artifact(args.strata_compile, MODEL, artifact,
                             [f"model.tensor_model_parallel_size={tp}", f"trainer.devices={tp}",
                              "model.micro_batch_size=1", "--mode", "infer"])
        out = e2e.run(mpirun(args, tp) + [
            args.strata_run, "generate", artifact, "--checkpoint",
            checkpoint / "model.safetensors", "--prompt", "Call me Ishmael.",
            "--max-new-tokens", "12", "--print-ids", "--threads", "1"],
            env={"OMP_NUM_THREADS": "1"})
        ids[tp] = [line for line in out.splitlines() if line.startswith("ids:")]
        print(f"generate at tp {tp}: {ids[tp][0] if ids[tp] else '(no ids)'}")
    return [f"generate at tp {tp} differs from tp 1" for tp in (2, 4)
            if not ids[tp] or ids[tp] != ids[1]]


def main(argv=None):
    args = e2e.mpi_tool_args(__doc__, argv)
    if args is None:
        return e2e.SKIP
    work = Path(tempfile.mkdtemp(prefix="strata-reshard-"))
    failures = []
    try:
        reference = work / "tp2"
        train(args, work, 2, reference)
        want = losses(reference)
        # At tp 2 x pp 2 each pipeline stage takes its own parameters and moments from the
        # global files.
        for tp, sp, dp, pp, dopt in ((4, False, 1, 1, False), (1, False, 1, 1, False),
                                     (2, True, 1, 1, False), (1, False, 2, 1, False),
                                     (2, False, 1, 2, False), (1, False, 2, 1, True),
                                     (1, False, 2, 2, True)):
            layout = (f"tp {tp}{' sp' if sp else ''}{f' dp {dp}' if dp > 1 else ''}"
                      f"{f' pp {pp}' if pp > 1 else ''}"
                      f"{' distributed optimizer' if dopt else ''}")
            resumed = work / (f"tp2-then-tp{tp}{'sp' if sp else ''}-dp{dp}-pp{pp}"
                              f"{'-dopt' if dopt else ''}")
            resumed.mkdir()
            shutil.copytree(reference / "step-00000003", resumed / "step-00000003")
            train(args, work, tp, resumed, resume=True, sp=sp, dp=dp, pp=pp, dopt=dopt)
            failures += compare_losses(f"tp 2 -> {layout}", losses(resumed), want, (4, 5, 6))
        # The distributed optimizer's checkpoints (moments gathered over dp, then tp or pp):
        # trained with it for 6 steps (the reference's losses), resumed at tp 2 without it.
        for tp, pp in ((2, 1), (1, 2)):
            layout = f"tp {tp} x pp {pp} x dp 2 distributed optimizer"
            zero = work / f"tp{tp}pp{pp}dp2-dopt"
            train(args, work, tp, zero, dp=2, pp=pp, dopt=True)
            want_zero = losses(zero)
            failures += compare_losses(f"{layout} vs tp 2", want_zero, want, range(1, 7))
            resumed = work / f"tp{tp}pp{pp}dp2-dopt-then-tp2"
            resumed.mkdir()
            shutil.copytree(zero / "step-00000003", resumed / "step-00000003")
            train(args, work, 2, resumed, resume=True)
            failures += compare_losses(f"{layout} -> tp 2", losses(resumed), want_zero,
                                       (4, 5, 6))
        # Pipeline parallelism: trained at tp 2 x pp 2, resumed at tp 4 x pp 1, against the
        # run that stayed at tp 2 x pp 2.
        pipelined = work / "tp2pp2"
        train(args, work, 2, pipelined, pp=2)
        want_pp = losses(pipelined)
        resumed = work / "tp2pp2-then-tp4"
        resumed.mkdir()
        shutil.copytree(pipelined / "step-00000003", resumed / "step-00000003")
        train(args, work, 4, resumed, resume=True)
        failures += compare_losses("tp 2 x pp 2 -> tp 4", losses(resumed), want_pp, (4, 5, 6))
        failures += compare_generation(args, work, reference / "step-00000006")
    except e2e.E2EError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
