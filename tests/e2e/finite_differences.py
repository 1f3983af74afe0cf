#!/usr/bin/python3
"""Strata's gradients against finite differences of its own loss, in f64, GPT-2 and Llama.

For each family (tests/e2e/models/*-small-odd.yaml):

  1. `strata-compile MODEL.yaml model.precision=64 -o M.strata`: the f64 program.
  2. A checkpoint: the reference's `cli.py init`, norm weights and biases randomized, stored as
     f64; tokens: two micro-batches of uniform rows.
  3. `strata-run grad` gives every gradient g.
  4. For --coords coordinates (16), one parameter of each kind (embeddings, each norm, q/k/v,
     output projections, MLP weights and biases...) from a random layer, then random others,
     each at a random element (embedding rows restricted to the tokens and positions the batch
     uses), the derivative of `strata-run eval`'s loss from a checkpoint perturbed there with
     numpy, by the fourth-order central difference
         (-L(x + 2h) + 8 L(x + h) - 8 L(x - h) + L(x - 2h)) / (12 h),   h = 1e-3.
  5. Each coordinate passes when |fd - g| / max(|g|, 1e-4) <= 1e-6.

Why this stencil: in f64 the loss (about 5.4) carries rounding errors of about 1e-14, so the
plain central difference (L(x + h) - L(x - h)) / 2h with h = 1e-6 is only good to ~5e-10
absolutely, i.e. 1e-5 relative for a typical gradient element of 1e-4 (measured with the f64
PyTorch reference: errors 1e-10..8e-10). The fourth-order stencil with h = 1e-3 measured errors
of 2e-13..9e-13. The floor of 1e-4 under |g| turns the check into an absolute one (1e-10) for the
small elements. `--stencil 2 --step 1e-6 --rtol 1e-5` gives the plain central difference.

    /usr/bin/python3 tests/e2e/finite_differences.py \\
        --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run

--backend reference runs the same procedure on the PyTorch reference in f64 instead of
strata-run (to check this script itself). Exits 1 on failure, 77 without PyTorch (the
checkpoint comes from the reference's init).
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as e2e  # noqa: E402
from e2e_common import E2EError  # noqa: E402

OVERRIDES = ["model.precision=64"]
STENCILS = {
    # offsets (in units of h) and weights; the derivative is sum(w * L(x + o h)) / (denominator h)
    2: ([1, -1], [1, -1], 2),
    4: ([2, 1, -1, -2], [-1, 8, -8, 1], 12),
}


def kind_of(name):
    """The parameter's kind: its name without the layer index."""
    return re.sub(r"\.\d+\.", ".N.", name)


class FamilyRun:
    def __init__(self, args, family, work):
        self.args, self.family = args, family
        self.dir = Path(work) / family.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.f = lambda name: str(self.dir / name)
        self.rng = np.random.default_rng(args.seed)

    def prepare(self):
        a, fam, f = self.args, self.family, self.f
        self.config = e2e.compile_config(a.strata_compile, fam.model, OVERRIDES)
        if self.config["precision"] != "64":
            raise E2EError(f"{fam.model} with {OVERRIDES}: precision {self.config['precision']}, "
                           f"expected 64")
        e2e.check_matches_reference(self.config, fam)
        self.mbs, self.seq = self.config["micro_batch_size"], self.config["seq_length"]
        self.vocab = self.config["padded_vocab_size"]
        if a.backend == "strata":
            self.artifact = e2e.compile_artifact(a.strata_compile, fam.model, f("model-f64.strata"),
                                                 OVERRIDES)
        init = f("init.safetensors")
        e2e.reference(a.python, "init", fam, "--seed", str(a.seed), "--out", init)
        e2e.check_parameter_table(a.strata_compile, fam, init, OVERRIDES)
        params = e2e.randomize_norms_and_biases(e2e.load(init), a.seed + 3)
        self.params = {k: v.astype(np.float64) for k, v in params.items()}
        self.checkpoint = f("checkpoint-f64.safetensors")
        e2e.save(self.params, self.checkpoint)
        tokens = e2e.make_tokens(self.vocab, 2 * self.mbs, self.seq, a.seed + 1)
        self.inputs = tokens[:, :-1]
        self.tokens = f("tokens.npy")
        np.save(self.tokens, tokens)

    # The two operations, on strata-run or (--backend reference) on the f64 reference.
    def _tool(self, mode, checkpoint, out):
        a = self.args
        if a.backend == "strata":
            e2e.run([a.strata_run, mode, self.artifact, "--checkpoint", checkpoint,
                     "--tokens", self.tokens, "--out", out], env=e2e.strata_env(a.threads))
        else:
            e2e.reference(a.python, mode, self.family, "--dtype", "float64", "--checkpoint",
                          checkpoint, "--tokens", self.tokens, "--out", out)
        return e2e.load(out)

    def gradients(self):
        out = self._tool("grad", self.checkpoint, self.f("grad.safetensors"))
        loss = out["loss"]
        if loss.dtype != np.float64:
            raise E2EError(f"{self.family.name}: the f64 program's loss is {loss.dtype}")
        self.grads = {k[len("grad."):]: v for k, v in out.items() if k.startswith("grad.")}
        if set(self.grads) != set(self.params):
            raise E2EError(f"{self.family.name}: gradient names differ from the checkpoint's: "
                           f"{sorted(set(self.grads) ^ set(self.params))}")
        for k, g in self.grads.items():
            if g.dtype != np.float64 or g.shape != self.params[k].shape:
                raise E2EError(f"{self.family.name}: grad.{k} is {g.dtype}{list(g.shape)}, "
                               f"expected float64{list(self.params[k].shape)}")

    def choose(self, count):
        """count (name, index) pairs: every kind once (a random layer), then random others."""
        names = list(self.params)
        by_kind = {}
        for n in names:
            by_kind.setdefault(kind_of(n), []).append(n)
        kinds = list(by_kind)
        self.rng.shuffle(kinds)
        chosen = [str(self.rng.choice(by_kind[k])) for k in kinds][:count]
        rest = [n for n in names if n not in chosen]
        chosen += [str(n) for n in self.rng.choice(rest, max(0, count - len(chosen)),
                                                   replace=False)]
        coords = []
        used_tokens = np.unique(self.inputs)
        for n in chosen:
            shape = self.params[n].shape
            index = [int(self.rng.integers(0, d)) for d in shape]
            if n in ("wte.weight", "model.embed_tokens.weight"):
                index[0] = int(self.rng.choice(used_tokens))
            elif n == "wpe.weight":
                index[0] = int(self.rng.integers(0, self.seq))
            coords.append((n, tuple(index)))
        return coords

    def loss_at(self, job):
        (name, index), offset, tag = job
        h = self.args.step
        perturbed = dict(self.params)
        t = perturbed[name].copy()
        t[index] += offset * h
        perturbed[name] = t
        path = self.f(f"ckpt-{tag}.safetensors")
        e2e.save(perturbed, path)
        loss = self._tool("eval", path, self.f(f"eval-{tag}.safetensors"))["loss"]
        os.remove(path)
        return float(loss.reshape(()))

    def run(self, table, jobs):
        a = self.args
        offsets, weights, denominator = STENCILS[a.stencil]
        coords = self.choose(a.coords)
        work = [((c, o, f"{i}-{j}")) for i, c in enumerate(coords) for j, o in enumerate(offsets)]
        losses = e2e.parallel(self.loss_at, work, jobs)
        for i, (name, index) in enumerate(coords):
            ls = losses[i * len(offsets):(i + 1) * len(offsets)]
            fd = sum(w * l for w, l in zip(weights, ls)) / (denominator * a.step)
            g = float(self.grads[name][index])
            err = abs(fd - g) / max(abs(g), a.floor)
            where = f"{name}[{','.join(map(str, index))}]"
            table.add(self.family.name, f"g = {g:+.6e}, fd = {fd:+.6e}", "|fd-g|/max(|g|,floor)",
                      err, a.rtol, where=where)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(e2e.REPO / "build" / "bin" / "strata-compile"))
    p.add_argument("--strata-run", default=str(e2e.REPO / "build" / "bin" / "strata-run"))
    p.add_argument("--python", default=sys.executable, help="runs tests/reference/cli.py")
    p.add_argument("--backend", choices=("strata", "reference"), default="strata")
    p.add_argument("--families", nargs="+", choices=sorted(e2e.FAMILIES), default=["gpt2", "llama"])
    p.add_argument("--coords", type=int, default=16, help="coordinates per family")
    p.add_argument("--stencil", type=int, choices=sorted(STENCILS), default=4)
    p.add_argument("--step", type=float, default=1e-3, help="h")
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--floor", type=float, default=1e-4, help="|g| below this counts as this")
    p.add_argument("--seed", type=int, default=4321)
    p.add_argument("--jobs", type=int, default=2, help="tool runs at a time")
    p.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS of strata-run")
    p.add_argument("--work-dir", help="keep the files here (default: a temporary directory)")
    args = p.parse_args(argv)

    e2e.check_torch(args.python)
    work = args.work_dir or tempfile.mkdtemp(prefix="strata-e2e-fd-")
    rc = 1
    try:
        runs = [FamilyRun(args, e2e.FAMILIES[n], work) for n in args.families]
        e2e.parallel(lambda r: r.prepare(), runs, args.jobs)
        e2e.parallel(lambda r: r.gradients(), runs, args.jobs)
        table = e2e.Table(where_header="coordinate")
        for r in runs:
            r.run(table, args.jobs)
        table.print()
        if table.failures():
            table.print_failures()
        else:
            print(f"\nPASSED: {args.coords} gradient coordinates per family match finite "
                  f"differences ({args.backend}, f64, stencil {args.stencil}, h {args.step:g})")
            rc = 0
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
    if rc != 0:
        print(f"(files kept in {work})", file=sys.stderr)
    elif not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
