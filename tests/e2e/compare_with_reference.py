#!/usr/bin/python3
"""Strata against the independent PyTorch reference (tests/reference), f32, GPT-2 and Llama.

For each family (tests/e2e/models/*-small-odd.yaml, the sizes of tests/reference/configs/*.json):

  1. `strata-compile MODEL.yaml -o M.strata`; the description must state the reference config's
     model, and its parameters, mapped to Hugging Face names, must be the reference checkpoint's.
  2. `cli.py init --seed S` writes a checkpoint (Hugging Face names, f32), whose norm weights and
     biases are then randomized (1 + N(0, 0.1), N(0, 0.02): unit scales and zero biases would
     hide a backward pass that forgets them); tokens are uniform.
  3. `strata-run eval|grad|train` and `cli.py eval|grad|train` on the same files.
  4. Compared, with these metrics (a = Strata, b = reference):
       logits          max|a - b| / max|b| over the whole [rows, seq, vocab] tensor  <= 1e-4
       loss            |a - b| (eval, grad, and each training step's)                <= 1e-5
       each gradient   ||a - b||_2 / ||b||_2 per tensor                              <= 1e-4
       parameters after 5 AdamW steps, per tensor  max|a - b|                        <= 1e-4
         over the well-conditioned elements (below)
     in two training runs: plain AdamW (lr 1e-3), and AdamW with weight decay 0.1, beta2 0.95 and
     global-norm clipping at 1.0 (the gradient norm of these models at init is about 2 to 3, so
     the clipping is active; checked). The relative norm of the difference of the updates,
     ||(a - p0) - (b - p0)|| / ||b - p0||, is printed too (for information).
     Eval and grad use 2 micro-batches of rows (eval/grad accumulate over micro-batches); the
     GPT-2 model has 2 micro-batches per step, so its training runs accumulate gradients.

     Ill-conditioned elements. AdamW divides by sqrt(v) + eps: an element whose gradient is near
     zero (|g| ~ eps = 1e-8, e.g. an embedding row whose token first appears in the last step, or
     GPT-2's key bias, whose exact gradient is 0) turns f32 rounding of g into an update of up to
     about lr. No two f32 implementations agree there: the reference in f32 and in f64 differ by
     4e-4 on such an element. So the reference also trains in f64, and elements where its f32
     run is more than PARAM_TOL / 2 from its f64 run are left out of the max|a - b| check; they
     must be at most ILL_CONDITIONED_MAX of all elements (a handful in ~400k; more would mean the
     fixture itself is badly conditioned).
  5. Interface checks (must be bit-identical): int64 tokens give the same logits as int32; a
     GPT-2 checkpoint with `transformer.`-prefixed names gives the same logits.

Prints a table of every measured error; exits 1 with the failing rows (or the failing command)
on failure, 77 (ctest's skip) when PyTorch is missing.

    /usr/bin/python3 tests/e2e/compare_with_reference.py \\
        --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run [-v]

--reference-only runs the reference half alone and prints the strata-run commands it would run
(for checking this script where strata-run cannot run the models).
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as e2e  # noqa: E402
from e2e_common import E2EError  # noqa: E402

LOGITS_TOL = 1e-4   # max|a - b| / max|b|
LOSS_TOL = 1e-5     # |a - b|
GRAD_TOL = 1e-4     # ||a - b|| / ||b|| per tensor
PARAM_TOL = 1e-4    # max|a - b| per tensor after the training steps (well-conditioned elements)
ILL_CONDITIONED_MAX = 1e-4  # at most this fraction of the elements may be left out
STEPS = 5

# The two training runs: name -> hyperparameters (every one passed explicitly to both sides).
TRAIN_RUNS = {
    "adamw": dict(lr=1e-3, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8, clip_grad=0.0),
    "adamw+wd+clip": dict(lr=1e-3, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8,
                          clip_grad=1.0),
}


def hyper_args(h):
    return ["--lr", repr(h["lr"]), "--weight-decay", repr(h["weight_decay"]),
            "--beta1", repr(h["beta1"]), "--beta2", repr(h["beta2"]), "--eps", repr(h["eps"]),
            "--clip-grad", repr(h["clip_grad"])]


class FamilyRun:
    """The files and commands of one family."""

    def __init__(self, args, family, work):
        self.args, self.family = args, family
        self.dir = Path(work) / family.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.f = lambda name: str(self.dir / name)

    def prepare(self):
        a, fam, f = self.args, self.family, self.f
        self.config = e2e.compile_config(a.strata_compile, fam.model)
        e2e.check_matches_reference(self.config, fam)
        self.mbs = self.config["micro_batch_size"]
        self.gbs = self.config["global_batch_size"]
        self.seq = self.config["seq_length"]
        self.vocab = self.config["padded_vocab_size"]
        self.artifact = e2e.compile_artifact(a.strata_compile, fam.model, f("model.strata"))
        self.checkpoint = f("checkpoint.safetensors")
        e2e.reference(a.python, "init", fam, "--seed", str(a.seed), "--out", self.checkpoint)
        e2e.save(e2e.randomize_norms_and_biases(e2e.load(self.checkpoint), a.seed + 3),
                 self.checkpoint)
        self.num_params, self.num_elements = e2e.check_parameter_table(
            a.strata_compile, fam, self.checkpoint)
        # eval/grad: two micro-batches of rows.
        self.eval_rows = 2 * self.mbs
        tokens = e2e.make_tokens(self.vocab, self.eval_rows, self.seq, a.seed + 1)
        self.tokens = f("tokens.npy")
        np.save(self.tokens, tokens.astype(np.int32))
        self.tokens64 = f("tokens-int64.npy")
        np.save(self.tokens64, tokens.astype(np.int64))
        # train: exactly STEPS global batches.
        self.train_tokens = f("train-tokens.npy")
        np.save(self.train_tokens,
                e2e.make_tokens(self.vocab, STEPS * self.gbs, self.seq, a.seed + 2))
        if fam.name == "gpt2":
            self.prefixed = f("checkpoint-transformer-prefix.safetensors")
            e2e.save({"transformer." + k: v for k, v in e2e.load(self.checkpoint).items()},
                     self.prefixed)

    def reference_jobs(self):
        a, fam, f = self.args, self.family, self.f
        common = ["--checkpoint", self.checkpoint, "--dtype", "float32"]
        jobs = [
            ("ref eval", lambda: e2e.reference(a.python, "eval", fam, *common, "--tokens",
                                               self.tokens, "--out", f("ref-eval.safetensors"))),
            ("ref grad", lambda: e2e.reference(a.python, "grad", fam, *common, "--tokens",
                                               self.tokens, "--out", f("ref-grad.safetensors"))),
        ]
        for run, h in TRAIN_RUNS.items():
            for dtype, prefix in (("float32", "ref"), ("float64", "ref64")):
                jobs.append((f"{prefix} train {run}", lambda run=run, h=h, dtype=dtype,
                             prefix=prefix: e2e.reference(
                    a.python, "train", fam, "--checkpoint", self.checkpoint, "--dtype", dtype,
                    "--tokens", self.train_tokens, "--steps", str(STEPS), *hyper_args(h),
                    "--save", f(f"{prefix}-train-{run}.safetensors"),
                    "--out", f(f"{prefix}-train-{run}-loss.safetensors"))))
        return jobs

    def strata_commands(self):
        a, f = self.args, self.f
        sr = [a.strata_run]
        cmds = [
            ("strata eval", sr + ["eval", self.artifact, "--checkpoint", self.checkpoint,
                                  "--tokens", self.tokens, "--out", f("strata-eval.safetensors")]),
            ("strata eval int64", sr + ["eval", self.artifact, "--checkpoint", self.checkpoint,
                                        "--tokens", self.tokens64,
                                        "--out", f("strata-eval-int64.safetensors")]),
            ("strata grad", sr + ["grad", self.artifact, "--checkpoint", self.checkpoint,
                                  "--tokens", self.tokens, "--out", f("strata-grad.safetensors")]),
        ]
        if self.family.name == "gpt2":
            cmds.append(("strata eval prefixed", sr + [
                "eval", self.artifact, "--checkpoint", self.prefixed, "--tokens", self.tokens,
                "--out", f("strata-eval-prefixed.safetensors")]))
        for run, h in TRAIN_RUNS.items():
            cmds.append((f"strata train {run}", sr + [
                "train", self.artifact, "--checkpoint", self.checkpoint,
                "--tokens", self.train_tokens, "--steps", str(STEPS), *hyper_args(h),
                "--save", f(f"strata-train-{run}.safetensors"),
                "--out", f(f"strata-train-{run}-loss.safetensors")]))
        return cmds

    def strata_jobs(self):
        env = e2e.strata_env(self.args.threads)
        return [(name, lambda cmd=cmd: e2e.run(cmd, env=env))
                for name, cmd in self.strata_commands()]

    # --------------------------------------------------------------------------------------------
    def compare(self, table, verbose):
        name, f = self.family.name, self.f
        ref_eval, ref_grad = e2e.load(f("ref-eval.safetensors")), e2e.load(f("ref-grad.safetensors"))
        s_eval, s_grad = e2e.load(f("strata-eval.safetensors")), e2e.load(f("strata-grad.safetensors"))

        # Logits and losses.
        a, b = s_eval["logits"], ref_eval["logits"]
        expect(a.shape == b.shape, f"{name}: strata logits {list(a.shape)}, reference {list(b.shape)}")
        expect(a.dtype == np.float32, f"{name}: strata logits are {a.dtype}, expected float32")
        a, b = a.astype(np.float64), b.astype(np.float64)
        table.add(name, "logits", "max|a-b|/max|b|",
                  np.abs(a - b).max() / np.abs(b).max(), LOGITS_TOL)
        table.add(name, "loss (eval)", "|a-b|", abs(scalar(s_eval["loss"]) - scalar(ref_eval["loss"])),
                  LOSS_TOL)
        table.add(name, "loss (grad)", "|a-b|", abs(scalar(s_grad["loss"]) - scalar(ref_grad["loss"])),
                  LOSS_TOL)

        # Gradients: the same names and shapes, then per tensor.
        s_names = {k for k in s_grad if k.startswith("grad.")}
        r_names = {k for k in ref_grad if k.startswith("grad.")}
        expect(s_names == r_names,
               f"{name}: gradient names differ; only strata: {sorted(s_names - r_names)}; "
               f"only reference: {sorted(r_names - s_names)}")
        errors = {}
        for k in sorted(r_names):
            a, b = s_grad[k], ref_grad[k]
            expect(a.shape == b.shape, f"{name}: {k}: strata {list(a.shape)}, reference {list(b.shape)}")
            errors[k[len("grad."):]] = rel_norm(a, b)
        add_per_tensor(table, name, "gradient", "||a-b||/||b||", errors, GRAD_TOL, verbose)
        norm = np.sqrt(sum(float(np.sum(ref_grad[k].astype(np.float64) ** 2)) for k in r_names))
        table.add(name, "reference gradient norm", "||g||", norm)
        clip = max(h["clip_grad"] for h in TRAIN_RUNS.values())
        expect(norm > clip, f"{name}: the gradient norm {norm:.3f} is below the clipping "
                            f"threshold {clip}: the clipped run would not clip; change the fixture")

        # Training runs.
        p0 = e2e.load(self.checkpoint)
        for run in TRAIN_RUNS:
            s, r = e2e.load(f(f"strata-train-{run}.safetensors")), e2e.load(f(f"ref-train-{run}.safetensors"))
            r64 = e2e.load(f(f"ref64-train-{run}.safetensors"))
            expect(set(s) == set(r),
                   f"{name}: train {run}: parameter names differ; only strata: "
                   f"{sorted(set(s) - set(r))}; only reference: {sorted(set(r) - set(s))}")
            max_abs, update_rel, ill, total = {}, {}, 0, 0
            for k in sorted(r):
                expect(s[k].shape == r[k].shape,
                       f"{name}: train {run}: {k}: strata {list(s[k].shape)}, reference {list(r[k].shape)}")
                a, b, c = (x.astype(np.float64) for x in (s[k], r[k], p0[k]))
                # Elements where the f32 reference itself is off its f64 run by more than half
                # the tolerance are ill-conditioned (see the module docstring); left out.
                conditioned = np.abs(b - r64[k]) <= PARAM_TOL / 2
                ill += int(conditioned.size - conditioned.sum())
                total += conditioned.size
                max_abs[k] = float(np.abs(a - b)[conditioned].max(initial=0.0))
                update_rel[k] = rel_norm(a - c, b - c)
            sl = e2e.load(f(f"strata-train-{run}-loss.safetensors"))["loss"].astype(np.float64)
            rl = e2e.load(f(f"ref-train-{run}-loss.safetensors"))["loss"].astype(np.float64)
            expect(sl.shape == rl.shape == (STEPS,),
                   f"{name}: train {run}: strata losses {list(sl.shape)}, reference "
                   f"{list(rl.shape)}, expected [{STEPS}]")
            table.add(name, f"loss of each step ({run})", "max |a-b|", np.abs(sl - rl).max(),
                      LOSS_TOL)
            add_per_tensor(table, name, f"params after {STEPS} steps ({run})", "max|a-b|",
                           max_abs, PARAM_TOL, verbose)
            table.add(name, f"  ill-conditioned elements ({run}): {ill} of {total}",
                      "fraction left out", ill / total, ILL_CONDITIONED_MAX)
            worst = max(update_rel, key=update_rel.get)
            table.add(name, f"updates ({run})", "||Δa-Δb||/||Δb||", update_rel[worst],
                      where=worst)

        # Interface: int64 tokens and transformer.-prefixed names change nothing.
        same = np.array_equal(e2e.load(f("strata-eval-int64.safetensors"))["logits"], s_eval["logits"])
        table.add(name, "int64 tokens = int32 tokens", "bit-identical (0 = yes)", 0 if same else 1, 0)
        if self.family.name == "gpt2":
            same = np.array_equal(e2e.load(f("strata-eval-prefixed.safetensors"))["logits"],
                                  s_eval["logits"])
            table.add(name, "transformer.-prefixed checkpoint", "bit-identical (0 = yes)",
                      0 if same else 1, 0)

    def summarize_reference(self):
        """--reference-only: what the reference produced."""
        f = self.f
        ev, gr = e2e.load(f("ref-eval.safetensors")), e2e.load(f("ref-grad.safetensors"))
        names = [k for k in gr if k.startswith("grad.")]
        norm = np.sqrt(sum(float(np.sum(gr[k].astype(np.float64) ** 2)) for k in names))
        print(f"{self.family.name}: {self.num_params} parameters ({self.num_elements} elements) match "
              f"the compiled model; micro-batch {self.mbs}, global batch {self.gbs}, seq {self.seq}, "
              f"vocab {self.vocab}")
        print(f"  reference eval: logits {list(ev['logits'].shape)} loss {scalar(ev['loss']):.6f}; "
              f"grad: {len(names)} tensors, norm {norm:.4f}")
        for run in TRAIN_RUNS:
            losses = e2e.load(f(f"ref-train-{run}-loss.safetensors"))["loss"]
            print(f"  reference train {run}: losses {np.array2string(losses, precision=5)}")


def scalar(x):
    x = np.asarray(x)
    if x.size != 1:
        raise E2EError(f"expected a scalar loss, got shape {list(x.shape)}")
    return float(x.reshape(()))


def rel_norm(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    nb = np.linalg.norm(b)
    return np.linalg.norm(a - b) / nb if nb > 0 else (0.0 if np.linalg.norm(a) == 0 else np.inf)


def expect(cond, message):
    if not cond:
        raise E2EError(message)


def add_per_tensor(table, family, what, metric, errors, tol, verbose):
    """One row for the worst tensor (every tensor with -v, and every failing one always)."""
    worst = max(errors, key=errors.get)
    table.add(family, f"{what}, {len(errors)} tensors", metric, errors[worst], tol, where=worst)
    for k, v in errors.items():
        if k != worst and (verbose or not v <= tol):
            table.add(family, f"  {what}", metric, v, tol, where=k)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(e2e.REPO / "build" / "bin" / "strata-compile"))
    p.add_argument("--strata-run", default=str(e2e.REPO / "build" / "bin" / "strata-run"))
    p.add_argument("--python", default=sys.executable, help="runs tests/reference/cli.py")
    p.add_argument("--families", nargs="+", choices=sorted(e2e.FAMILIES), default=["gpt2", "llama"],
                   help="gpt2-layernorm1p and llama-partial-rotary: NeMo's variants (a ctest of "
                        "their own)")
    p.add_argument("--work-dir", help="keep the files here (default: a temporary directory)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--jobs", type=int, default=2, help="tool runs at a time")
    p.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS of strata-run")
    p.add_argument("--reference-only", action="store_true",
                   help="run only the reference half; print the strata-run commands")
    p.add_argument("-v", "--verbose", action="store_true", help="a row for every tensor")
    args = p.parse_args(argv)

    e2e.check_torch(args.python)
    work = args.work_dir or tempfile.mkdtemp(prefix="strata-e2e-compare-")
    rc = 1
    try:
        rc = run_all(args, work)
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
    if rc != 0 or args.reference_only:
        print(f"(files kept in {work})", file=sys.stderr if rc else sys.stdout)
    elif not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return rc


def run_all(args, work):
    runs = [FamilyRun(args, e2e.FAMILIES[name], work) for name in args.families]
    e2e.parallel(lambda r: r.prepare(), runs, args.jobs)
    jobs = [job for r in runs for job in r.reference_jobs()]
    if not args.reference_only:
        check_strata_run(args.strata_run)
        jobs += [job for r in runs for job in r.strata_jobs()]
    e2e.parallel(lambda job: job[1](), jobs, args.jobs)
    if args.reference_only:
        for r in runs:
            r.summarize_reference()
            print("  strata-run commands:")
            for _, cmd in r.strata_commands():
                print("    " + " ".join(str(c) for c in cmd))
        return 0
    table = e2e.Table()
    for r in runs:
        r.compare(table, args.verbose)
    table.print()
    if table.failures():
        table.print_failures()
        return 1
    print(f"\nPASSED: Strata matches the PyTorch reference for {', '.join(args.families)}")
    return 0


def check_strata_run(strata_run):
    out = e2e.run([strata_run, "--help"])
    missing = [c for c in ("eval", "grad", "train") if not any(
        line.strip().startswith(c + " ") or line.strip() == c for line in out.splitlines())]
    if missing:
        raise E2EError(f"{strata_run} has no {', '.join(missing)} subcommand(s); "
                       f"`strata-run --help` lists:\n{out}")


if __name__ == "__main__":
    sys.exit(main())
