#!/usr/bin/env python3
"""Benchmark (not a test): one GPT-2 training step on a GPU, Strata beside PyTorch, in the same run.

The step (forward, backward, global-norm clipping at 1.0, AdamW, no dropout) of GPT-2 124M on a
batch of 16 x 1024 tokens in bf16 mixed precision:

  strata          `strata-run --device cuda train --tokens` on the artifact compiled with bf16 O2
                  (bf16 parameters and activations, f32 main parameters, gradients and moments);
                  per-step times as strata-run prints them
  pytorch-eager   nanoGPT's model (bench/gpu_peers.py): bf16 autocast, fused AdamW, flash
                  scaled-dot-product attention
  pytorch-compile the same under torch.compile (the first steps compile; they are warm-up)

For each: the median step time after --warmup untimed steps, tokens/s, model TFLOP/s and MFU
against the bf16 GEMM peak measured in this run (torch.matmul on 8192^3), and memory: Strata's
arena (the memory plan: everything a step needs) beside PyTorch's peak allocated bytes.

On the GPU machine (scripts/gpu-check.sh) the artifact comes precompiled from the bundle and
strata-run through the bundle's loader (--strata-run takes a command line). On a development
machine: --device cpu --model tiny-gpt --variants strata pytorch-eager is a quick smoke run.

    bench/gpu_train.py [--artifact A | --strata-compile BIN] [--strata-run "CMD"]
        [--device cuda] [--model gpt2-124m] [--batch 16] [--seq 1024] [--warmup 3] [--steps 10]
"""

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpu_peers  # noqa: E402

MODELS = {  # name: (description, the peer's GPTConfig)
    "gpt2-124m": (ROOT / "examples/gpt2-124m.yaml",
                  dict(num_layers=12, hidden=768, heads=12, vocab=50304, max_positions=1024)),
    "tiny-gpt": (ROOT / "examples/tiny-gpt.yaml",
                 dict(num_layers=4, hidden=128, heads=4, vocab=50304, max_positions=128)),
}
HYPER = dict(lr=6e-4, weight_decay=0.1, beta1=0.9, beta2=0.95, eps=1e-8, clip_grad=1.0)
BF16_O2 = ["trainer.precision=bf16-mixed", "model.precision=bf16-mixed",
           "model.megatron_amp_O2=true"]
NO_DROPOUT = ["model.hidden_dropout=0", "model.attention_dropout=0", "model.ffn_dropout=0"]


def compile_overrides(batch, seq, max_positions):
    return BF16_O2 + NO_DROPOUT + [f"model.micro_batch_size={batch}",
                                   f"model.global_batch_size={batch}",
                                   f"model.encoder_seq_length={seq}",
                                   f"model.max_position_embeddings={max_positions}"]


def arena_bytes(strata_run, artifact):
    out = subprocess.run(strata_run + ["inspect", str(artifact)], check=True,
                         capture_output=True, text=True).stdout
    return int(re.search(r"^\s*arena\s+(\d+) bytes", out, re.MULTILINE).group(1))


def time_strata(args, artifact, tmp, vocab):
    total = args.warmup + args.steps
    tokens = Path(tmp) / "tokens.npy"
    rng = np.random.default_rng(1)
    np.save(tokens, rng.integers(0, vocab, size=(total * args.batch, args.seq + 1), dtype=np.int32))
    cmd = args.strata_run + ["--device", args.device, "train", str(artifact), "--tokens",
                             str(tokens), "--steps", str(total), "--lr", repr(HYPER["lr"]),
                             "--weight-decay", repr(HYPER["weight_decay"]),
                             "--beta1", repr(HYPER["beta1"]), "--beta2", repr(HYPER["beta2"]),
                             "--eps", repr(HYPER["eps"]), "--clip-grad", repr(HYPER["clip_grad"]),
                             "--save", str(Path(tmp) / "params.safetensors")]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"strata-run failed ({run.returncode}):\n{run.stderr[-3000:]}")
    per_step = [float(m.group(1)) for m in
                re.finditer(r"^step \d+/\d+ .*\(([0-9.eE+-]+) s\)\s*$", run.stdout, re.MULTILINE)]
    if len(per_step) != total:
        raise RuntimeError(f"strata-run printed {len(per_step)} step times, expected {total}:\n"
                           f"{run.stdout[-2000:]}")
    return statistics.median(per_step[args.warmup:])


def sync(device):
    if device == "cuda":
        import torch
        torch.cuda.synchronize()


def time_pytorch(args, config, compiled):
    """Median step time and peak allocated bytes of the nanoGPT peer."""
    import torch
    device = args.device
    torch.manual_seed(0)
    model = gpu_peers.GPT(config).to(device)
    fused = {"fused": True} if device == "cuda" else {}
    opt = torch.optim.AdamW(model.parameters(), lr=HYPER["lr"], weight_decay=HYPER["weight_decay"],
                            betas=(HYPER["beta1"], HYPER["beta2"]), eps=HYPER["eps"], **fused)
    step_model = torch.compile(model) if compiled else model
    total = args.warmup + args.steps
    gen = torch.Generator().manual_seed(1)
    data = torch.randint(0, config.vocab, (total, args.batch, args.seq + 1), generator=gen)
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for step in range(total):
        x = data[step, :, :-1].to(device, non_blocking=True)
        y = data[step, :, 1:].to(device, non_blocking=True)
        sync(device)
        start = time.perf_counter()
        with torch.autocast(device_type=device, dtype=torch.bfloat16):
            loss = step_model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), HYPER["clip_grad"])
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else float("nan")
    del model, opt, step_model
    return statistics.median(times[args.warmup:]), peak


def gemm_peak(device):
    """The bf16 GEMM FLOP/s of this device, measured: the best of 10 8192^3 matmuls (1024^3 in
    f32 on a CPU)."""
    import torch
    n, dtype = (8192, torch.bfloat16) if device == "cuda" else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(10):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


def device_name(device):
    import torch
    if device == "cuda":
        return torch.cuda.get_device_name()
    return f"CPU ({os.cpu_count()} cores)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--artifact", help="precompiled artifact (else compiled with --strata-compile)")
    p.add_argument("--strata-compile", default=str(ROOT / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(ROOT / "build/bin/strata-run"),
                   help="strata-run's command line (e.g. a loader before the binary)")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--model", default="gpt2-124m", choices=list(MODELS))
    p.add_argument("--batch", type=int, default=16, help="sequences per step")
    p.add_argument("--seq", type=int, default=1024, help="tokens per sequence")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--steps", type=int, default=10, help="timed steps (the median is reported)")
    p.add_argument("--variants", nargs="+", default=["strata", "pytorch-eager", "pytorch-compile"],
                   choices=["strata", "pytorch-eager", "pytorch-compile"])
    args = p.parse_args(argv)
    args.strata_run = shlex.split(args.strata_run)

    description, peer = MODELS[args.model]
    config = gpu_peers.GPTConfig(**dict(peer, max_positions=max(args.seq,
                                                                peer["max_positions"])))
    tokens = args.batch * args.seq
    flops = config.flops_per_token(args.seq) * tokens
    peak = gemm_peak(args.device)
    rows = []
    with tempfile.TemporaryDirectory(prefix="strata-gpu-bench-") as tmp:
        artifact = args.artifact
        if "strata" in args.variants and not artifact:
            artifact = Path(tmp) / "model.strata"
            subprocess.run([args.strata_compile, str(description), "--target", args.device, "-o",
                            str(artifact)] + compile_overrides(args.batch, args.seq,
                                                               config.max_positions), check=True)
        for variant in args.variants:
            if variant == "strata":
                seconds, memory = time_strata(args, artifact, tmp, config.vocab), \
                    arena_bytes(args.strata_run, artifact)
            else:
                seconds, memory = time_pytorch(args, config, variant == "pytorch-compile")
            rows.append((variant, seconds, memory))
            print(f"{variant}: {seconds * 1e3:.1f} ms/step", file=sys.stderr, flush=True)

    print(f"{args.model} training step (forward, backward, clip, AdamW), bf16 mixed precision, "
          f"batch {args.batch} x {args.seq}, median of {args.steps} after {args.warmup} warm-up, "
          f"on {device_name(args.device)}")
    print(f"measured GEMM peak: {peak / 1e12:.1f} TFLOP/s; model FLOPs per step "
          f"{flops / 1e12:.2f} T (6N + 12*L*h*T per token)")
    print(f"{'':16} {'ms/step':>9} {'tokens/s':>10} {'TFLOP/s':>8} {'MFU':>6} {'memory GiB':>11} "
          f"{'vs strata':>9}")
    base = next((s for v, s, _ in rows if v == "strata"), None)
    for variant, seconds, memory in rows:
        ratio = f"{seconds / base:9.2f}" if base else f"{'':9}"
        print(f"{variant:16} {seconds * 1e3:9.1f} {tokens / seconds:10.0f} "
              f"{flops / seconds / 1e12:8.1f} {flops / seconds / peak:6.1%} "
              f"{memory / 2**30:11.2f} {ratio}")
    print("memory: strata = the arena of the memory plan; pytorch = peak allocated. "
          "'vs strata' above 1: Strata is faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
