#!/usr/bin/python3
"""Benchmark (not a test): one training step on the CPU, Strata beside PyTorch, in the same run.

For each model, the same step (forward, backward, global-norm clipping at 1.0, AdamW with weight
decay 0.1, no dropout) on the same batch shape, both sides on 2 threads:

  strata   `strata-run train` (OMP_NUM_THREADS=2) on the artifact of the model description,
           per-step wall times as strata-run prints them ("step i/N ... (T s)"); without those
           lines, (time of 1 + N steps - time of 1 step) / N for the whole process
  pytorch  the independent reference (tests/reference/models.py) in this process,
           torch.set_num_threads(2), the loop of its `train` timed per step

Both: `--warmup` untimed steps first (1), then `--steps` timed steps (5); the table shows the
median step time, tokens per second and the ratio strata / pytorch (below 1: Strata is faster).

`--precisions f32 bf16` also times Strata in bf16 mixed precision O2 (bf16 parameters and
activations, f32 main parameters, gradients and moments: model.megatron_amp_O2=true) on the same
batch, and prints each model's bf16 speed-up over Strata's f32 step of the same run (PyTorch
runs in f32 only).

Models (--models):
  tiny-gpt   examples/tiny-gpt.yaml as it is (micro batch 8, seq 128), dropout off
  gpt2-124m  examples/gpt2-124m.yaml with micro batch 4, seq 256, one micro-batch per step,
             dropout off

    /usr/bin/python3 bench/cpu_train.py [--strata-compile build/bin/strata-compile]
        [--strata-run build/bin/strata-run] [--models tiny-gpt gpt2-124m] [--steps 5]
        [--precisions f32 bf16]

Run it on an otherwise idle machine; results go to docs/performance.md.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

THREADS = 2
os.environ["OMP_NUM_THREADS"] = str(THREADS)  # before numpy and torch load their thread pools
# This machine image pins OpenBLAS (PyTorch's BLAS on Debian) to an older kernel through
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, for the sake of old builds elsewhere; for a fair
# benchmark this process drops both (together) before numpy and torch load OpenBLAS, and prints
# the kernel it then runs. --keep-openblas-env keeps them.
if "--keep-openblas-env" not in sys.argv:
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(var, None)

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests" / "reference"))
import e2e_common as e2e  # noqa: E402

NO_DROPOUT = ["model.hidden_dropout=0", "model.attention_dropout=0", "model.ffn_dropout=0"]
MODELS = {
    "tiny-gpt": (ROOT / "examples" / "tiny-gpt.yaml", NO_DROPOUT),
    "gpt2-124m": (ROOT / "examples" / "gpt2-124m.yaml",
                  ["model.micro_batch_size=4", "model.global_batch_size=4",
                   "model.encoder_seq_length=256"] + NO_DROPOUT),
}
PRECISIONS = {
    "f32": [],
    "bf16": ["trainer.precision=bf16-mixed", "model.precision=bf16-mixed",
             "model.megatron_amp_O2=true"],
}
HYPER = dict(lr=6e-4, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8, clip_grad=1.0)


def reference_config(c):
    """The reference's config.json for a Strata configuration (tfm.config)."""
    if c["normalization"] == "layernorm" and c["position_embedding_type"] == "learned_absolute":
        return {"family": "gpt2", "num_layers": c["num_layers"], "hidden": c["hidden_size"],
                "heads": c["num_attention_heads"], "ffn": c["ffn_hidden_size"],
                "vocab": c["padded_vocab_size"], "max_positions": c["max_position_embeddings"],
                "eps": c["layernorm_epsilon"],
                "activation": "gelu" if c["activation"] == "gelu" else "gelu_new",
                "bias": c["bias"], "tie_embeddings": c["share_embeddings_and_output_weights"]}
    return {"family": "llama", "num_layers": c["num_layers"], "hidden": c["hidden_size"],
            "heads": c["num_attention_heads"], "query_groups": c["num_query_groups"],
            "ffn": c["ffn_hidden_size"], "vocab": c["padded_vocab_size"],
            "eps": c["layernorm_epsilon"], "rope_base": c["rotary_base"],
            "tie_embeddings": c["share_embeddings_and_output_weights"]}


def strata_steps(args, artifact, tokens, steps, out_dir):
    """Wall time of strata-run train over `steps` steps and its per-step times (may be [])."""
    cmd = [args.strata_run, "train", artifact, "--tokens", tokens, "--steps", str(steps),
           "--lr", repr(HYPER["lr"]), "--weight-decay", repr(HYPER["weight_decay"]),
           "--beta1", repr(HYPER["beta1"]), "--beta2", repr(HYPER["beta2"]),
           "--eps", repr(HYPER["eps"]), "--clip-grad", repr(HYPER["clip_grad"]),
           "--save", os.path.join(out_dir, "params.safetensors")]
    start = time.perf_counter()
    out = e2e.run(cmd, env={"OMP_NUM_THREADS": str(THREADS)})
    wall = time.perf_counter() - start
    per_step = [float(m.group(1)) for m in
                re.finditer(r"^step \d+/\d+ .*\(([0-9.eE+-]+) s\)\s*$", out, re.MULTILINE)]
    return wall, per_step


def time_strata(args, model, overrides, config, tmp):
    artifact = os.path.join(tmp, "model.strata")
    e2e.compile_artifact(args.strata_compile, model, artifact, overrides)
    g, seq = config["global_batch_size"], config["seq_length"]
    total = args.warmup + args.steps
    tokens = os.path.join(tmp, "tokens.npy")
    np.save(tokens, e2e.make_tokens(config["vocab_size"] or config["padded_vocab_size"],
                                    total * g, seq, 1))
    _, per_step = strata_steps(args, artifact, tokens, total, tmp)
    if len(per_step) == total:
        return statistics.median(per_step[args.warmup:]), "per-step lines"
    # No per-step lines: the difference of two whole runs.
    short = os.path.join(tmp, "tokens-short.npy")
    np.save(short, np.load(tokens)[:args.warmup * g] if args.warmup else np.load(tokens)[:g])
    base, _ = strata_steps(args, artifact, short, max(args.warmup, 1), tmp)
    full, _ = strata_steps(args, artifact, tokens, total, tmp)
    return (full - base) / (total - max(args.warmup, 1)), "process difference (mean)"


def time_pytorch(args, config):
    import torch
    import models
    torch.set_num_threads(THREADS)
    cfg = models.make_config(reference_config(config))
    params = models.params_from_arrays(cfg, models.init_params(cfg, 0), torch.float32)
    g, seq = config["global_batch_size"], config["seq_length"]
    total = args.warmup + args.steps
    vocab = config["vocab_size"] or config["padded_vocab_size"]
    tokens = torch.as_tensor(e2e.make_tokens(vocab, total * g, seq, 1), dtype=torch.int64)
    opt = models.make_adamw(params, HYPER["lr"], HYPER["weight_decay"], HYPER["beta1"],
                            HYPER["beta2"], HYPER["eps"])
    times = []
    for step in range(total):
        start = time.perf_counter()
        # The step of models.train: zero, forward, backward, clip, AdamW.
        opt.zero_grad(set_to_none=True)
        _, loss = models.evaluate(cfg, params, tokens[step * g:(step + 1) * g])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), HYPER["clip_grad"])
        opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[args.warmup:])


def pytorch_build():
    """PyTorch's version and the BLAS it runs (OpenBLAS: its configuration and kernel)."""
    import ctypes
    import torch
    text = f"{torch.__version__}"
    try:
        blas = ctypes.CDLL("libblas.so.3")
        blas.openblas_get_config.restype = ctypes.c_char_p
        blas.openblas_get_corename.restype = ctypes.c_char_p
        text += (f", {blas.openblas_get_config().decode()} "
                 f"(kernel {blas.openblas_get_corename().decode()})")
    except (OSError, AttributeError):
        text += ", BLAS: not OpenBLAS or not found"
    return text


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(ROOT / "build" / "bin" / "strata-compile"))
    p.add_argument("--strata-run", default=str(ROOT / "build" / "bin" / "strata-run"))
    p.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--skip-pytorch", action="store_true")
    p.add_argument("--precisions", nargs="+", choices=list(PRECISIONS), default=["f32"],
                   help="Strata's precisions (f32; bf16: mixed precision O2)")
    p.add_argument("--keep-openblas-env", action="store_true",
                   help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for PyTorch's OpenBLAS")
    args = p.parse_args(argv)

    rows = []
    speedups = []
    for name in args.models:
        model, overrides = MODELS[name]
        config = e2e.compile_config(args.strata_compile, model, overrides)
        params = sum(int(np.prod(s)) for s in
                     e2e.strata_parameters(args.strata_compile, model, overrides).values())
        torch_s = float("nan") if args.skip_pytorch else time_pytorch(args, config)
        seconds = {}
        for precision in args.precisions:
            with tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp:
                strata, how = time_strata(args, model, overrides + PRECISIONS[precision],
                                          config, tmp)
            seconds[precision] = strata
            label = name if precision == "f32" else f"{name} {precision}"
            rows.append((label, params, f"{config['global_batch_size']}x{config['seq_length']}",
                         strata, torch_s, how))
            print(f"{label}: strata {strata:.4f} s/step ({how}), pytorch {torch_s:.4f} s/step",
                  file=sys.stderr, flush=True)
        if "f32" in seconds and "bf16" in seconds:
            speedups.append((name, seconds["f32"], seconds["bf16"]))

    print(f"one training step (forward, backward, clip, AdamW), {THREADS} threads each, "
          f"median of {args.steps} after {args.warmup} warm-up")
    if not args.skip_pytorch:
        print(f"pytorch: {pytorch_build()}")
    header = ("model", "params", "batch", "strata s/step", "pytorch s/step", "strata tok/s",
              "pytorch tok/s", "strata/pytorch")
    print("{:<15} {:>11} {:>7} {:>14} {:>15} {:>12} {:>13} {:>15}".format(*header))
    for name, params, batch, s, t, _ in rows:
        b, q = (int(x) for x in batch.split("x"))
        print("{:<15} {:>11,} {:>7} {:>14.4f} {:>15.4f} {:>12.0f} {:>13.0f} {:>15.3f}".format(
            name, params, batch, s, t, b * q / s, b * q / t, s / t))
    for name, f32, bf16 in speedups:
        print(f"{name}: bf16 O2 step {bf16:.4f} s, f32 step {f32:.4f} s: bf16 is "
              f"{f32 / bf16:.2f}x as fast")
    return 0


if __name__ == "__main__":
    sys.exit(main())
