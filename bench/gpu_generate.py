#!/usr/bin/env python3
"""Benchmark (not a test): greedy GPT-2 decoding on a GPU, Strata beside PyTorch, in the same run.

GPT-2 124M with random weights (the same checkpoint on both sides), bf16, a prompt of
--prompt-tokens tokens, then --new-tokens greedy tokens, at each batch size of --batches:

  strata            `strata-run --device cuda generate --timing` on an inference artifact
                    compiled with bf16 parameters (megatron_amp_O2) for that micro batch; decode
                    tokens/s as it prints them (per row, times the batch)
  pytorch-graphs    a gpt-fast-style decoder (bench/gpu_peers.py: static KV cache written in
                    place) with its decode step under torch.compile(mode="reduce-overhead"), i.e.
                    captured in a CUDA graph; prefill eager
  pytorch-eager     the same decoder without torch.compile

Decode tokens/s counts every row's tokens (batch x new tokens / decode time, the first token,
which prefill makes, excluded). On the GPU machine the artifacts come precompiled from the bundle
(--artifact-dir holding gpt2-124m-infer-b<B>.strata); on a development machine --device cpu
--model tiny-gpt --variants strata pytorch-eager is a quick smoke run.

    bench/gpu_generate.py [--artifact-dir D | --strata-compile BIN] [--strata-run "CMD"]
        [--device cuda] [--batches 1 32] [--prompt-tokens 128] [--new-tokens 256]
"""

import argparse
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests" / "reference"))
import gpu_peers  # noqa: E402
from gpu_train import MODELS, device_name, sync  # noqa: E402

BF16_INFERENCE = ["trainer.precision=bf16-mixed", "model.precision=bf16-mixed",
                  "model.megatron_amp_O2=true"]


def artifact_name(model, batch):
    return f"{model}-infer-b{batch}.strata"


def compile_inference(args, description, batch, out):
    subprocess.run([args.strata_compile, str(description), "--target", args.device, "--mode",
                    "infer", "--prefill-length", str(args.prompt_tokens),
                    f"model.micro_batch_size={batch}", "-o", str(out)] + BF16_INFERENCE,
                   check=True)


def strata_decode(args, artifact, checkpoint, batch, work):
    """Decode tokens/s over all rows, time to first token, the prompt's ids and the first
    row's new ids."""
    prompts = Path(work) / "prompts.txt"
    prompts.write_text((args.prompt_text + "\n") * batch)
    cmd = args.strata_run + ["--device", args.device, "generate", str(artifact), "--checkpoint",
                             str(checkpoint), "--prompt-file", str(prompts), "--max-new-tokens",
                             str(args.new_tokens), "--temperature", "0", "--timing",
                             "--print-ids"]
    if args.tokenizer:
        cmd += ["--tokenizer", args.tokenizer]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"strata-run generate failed ({run.returncode}):\n{run.stderr[-3000:]}")
    m = re.search(r"time to first token ([\d.]+) s; decode ([\d.]+) tokens/s per row", run.stdout)
    ids = re.search(r"ids:([\d ]*)\|([\d ]*)", run.stdout)
    if not m or not ids:
        raise RuntimeError(f"no timing or ids in strata-run's output:\n{run.stdout[-2000:]}")
    return (float(m.group(2)) * batch, float(m.group(1)),
            [int(t) for t in ids.group(1).split()], [int(t) for t in ids.group(2).split()])


def pytorch_decode(args, model, prompt_ids, batch, graphs):
    import torch
    device = args.device
    decoder = gpu_peers.StaticCacheDecoder(model, batch, len(prompt_ids) + args.new_tokens,
                                           torch.bfloat16)
    step = torch.compile(decoder, mode="reduce-overhead", fullgraph=True) if graphs else decoder
    ids = torch.tensor([prompt_ids] * batch, device=device)
    prompt_positions = torch.arange(len(prompt_ids), device=device)

    def generate():
        with torch.no_grad():
            sync(device)
            start = time.perf_counter()
            token = decoder(ids, prompt_positions)  # prefill (eager: one shape per prompt)
            sync(device)
            ttft = time.perf_counter() - start
            out = [token]
            start = time.perf_counter()
            for i in range(args.new_tokens - 1):
                pos = torch.tensor([len(prompt_ids) + i], device=device)
                token = step(token[:, None], pos)
                if graphs:
                    token = token.clone()  # the graph's output is overwritten by its next replay
                out.append(token)
            sync(device)
            decode = time.perf_counter() - start
        return ttft, batch * (args.new_tokens - 1) / decode, torch.stack(out, 1)[0].tolist()

    generate()  # warm-up: compiles and captures the graphs
    return generate()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--artifact-dir", help="precompiled inference artifacts (<model>-infer-b<B>)")
    p.add_argument("--strata-compile", default=str(ROOT / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(ROOT / "build/bin/strata-run"),
                   help="strata-run's command line (e.g. a loader before the binary)")
    p.add_argument("--tokenizer", help="strata-run's --tokenizer (GPT-2's files; default: its own)")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--model", default="gpt2-124m", choices=list(MODELS))
    p.add_argument("--batches", nargs="+", type=int, default=[1, 32])
    p.add_argument("--prompt-tokens", type=int, default=128,
                   help="prompt length (the artifacts' prefill length)")
    p.add_argument("--new-tokens", type=int, default=256)
    p.add_argument("--variants", nargs="+", default=["strata", "pytorch-graphs", "pytorch-eager"],
                   choices=["strata", "pytorch-graphs", "pytorch-eager"])
    args = p.parse_args(argv)
    args.strata_run = shlex.split(args.strata_run)

    import torch
    import models
    import safetensors_io
    description, peer = MODELS[args.model]
    config = gpu_peers.GPTConfig(**peer)
    reference = models.make_config(dict(family="gpt2", num_layers=config.num_layers,
                                        hidden=config.hidden, heads=config.heads,
                                        ffn=4 * config.hidden, vocab=config.vocab,
                                        max_positions=config.max_positions,
                                        activation="gelu_new"))
    arrays = models.init_params(reference, 0)
    model = gpu_peers.GPT(config)
    model.load_hugging_face(arrays)
    model = model.to(args.device, torch.bfloat16).eval()
    corpus = (ROOT / "data/corpora/moby-dick.txt").read_text()
    # About 3.5 characters a token: a prompt within the prefill length.
    args.prompt_text = corpus[corpus.index("Call me Ishmael"):][:int(args.prompt_tokens * 3.5)] \
        .replace("\n", " ")

    rows = []
    with tempfile.TemporaryDirectory(prefix="strata-gpu-bench-") as work:
        checkpoint = Path(work) / "gpt2.safetensors"
        safetensors_io.save_file(arrays, str(checkpoint))
        prompt_ids = None
        for batch in args.batches:
            results = {}
            if "strata" in args.variants:
                if args.artifact_dir:
                    artifact = Path(args.artifact_dir) / artifact_name(args.model, batch)
                else:
                    artifact = Path(work) / artifact_name(args.model, batch)
                    compile_inference(args, description, batch, artifact)
                rate, ttft, prompt_ids, new = strata_decode(args, artifact, checkpoint, batch,
                                                            work)
                results["strata"] = (rate, ttft, new)
            if prompt_ids is None:  # without Strata's tokenizer: any ids of the prompt's length
                prompt_ids = list(range(1000, 1000 + args.prompt_tokens))
            for variant in ("pytorch-graphs", "pytorch-eager"):
                if variant in args.variants:
                    ttft, rate, new = pytorch_decode(args, model, prompt_ids, batch,
                                                     variant == "pytorch-graphs")
                    results[variant] = (rate, ttft, new)
            for variant, (rate, ttft, new) in results.items():
                same = ""
                if variant != "strata" and "strata" in results:
                    theirs = results["strata"][2]
                    agree = next((i for i, (a, b) in enumerate(zip(new, theirs)) if a != b),
                                 min(len(new), len(theirs)))
                    same = f"{agree}"
                rows.append((batch, variant, len(prompt_ids), rate, ttft, same))
                print(f"batch {batch} {variant}: {rate:.0f} tokens/s", file=sys.stderr, flush=True)

    print(f"{args.model} greedy decoding, bf16, {args.new_tokens} new tokens after a prompt, "
          f"random weights, on {device_name(args.device)}")
    print(f"{'batch':>5} {'':15} {'prompt':>6} {'decode tok/s':>12} {'ttft ms':>8} "
          f"{'strata/this':>11} {'same first tokens':>17}")
    for batch, variant, n, rate, ttft, same in rows:
        base = next((r for b, v, _, r, _, _ in rows if b == batch and v == "strata"), None)
        ratio = f"{base / rate:11.2f}" if base else f"{'':11}"
        print(f"{batch:5} {variant:15} {n:6} {rate:12.0f} {ttft * 1e3:8.1f} {ratio} {same:>17}")
    print("decode tok/s: all rows' tokens per second of decoding (prefill excluded); "
          "strata/this above 1: Strata is faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
