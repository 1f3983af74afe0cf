#!/usr/bin/python3
"""Benchmark (not a test): text generation on the CPU, Strata beside a PyTorch KV-cache decoder.

For each model and batch size, the same greedy generation: a prompt of --prompt-tokens tokens (the
same in every row), then --new-tokens tokens, 2 threads on both sides:

  strata   `strata-run generate --timing` on an inference artifact (strata-compile --mode infer,
           micro batch = the batch, prefill length = the prompt length): the time to the first token
           (prefill) and decode tokens/s per row, as it prints them
  pytorch  a KV-cache decoder over the reference GPT-2 (tests/reference/models.py) in this process:
           prefill the prompt, then one token at a time with the keys and values of earlier
           positions cached (torch.cat), torch.set_num_threads(2), torch.no_grad()

Both load the same random checkpoint (tests/reference init). Models: tiny-gpt
(examples/tiny-gpt.yaml) and gpt2-124m (examples/gpt2-124m.yaml). Results go to docs/performance.md.

    /usr/bin/python3 bench/cpu_generate.py [--models tiny-gpt gpt2-124m] [--batches 1 8]
        [--prompt-tokens 32] [--new-tokens 32]
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
import numpy as np  # noqa: E402

MODELS = {
    # name: (description, reference config)
    "tiny-gpt": (REPO / "examples/tiny-gpt.yaml",
                 dict(family="gpt2", num_layers=4, hidden=128, heads=4, ffn=512, vocab=50304,
                      max_positions=128, activation="gelu_new")),
    "gpt2-124m": (REPO / "examples/gpt2-124m.yaml",
                  dict(family="gpt2", num_layers=12, hidden=768, heads=12, ffn=3072, vocab=50304,
                       max_positions=1024, activation="gelu_new")),
}


def strata_generate(args, work, name, description, checkpoint, batch, prompt):
    artifact = work / f"{name}-b{batch}.strata"
    subprocess.run([args.strata_compile, str(description), "--mode", "infer",
                    f"model.micro_batch_size={batch}", "--prefill-length",
                    str(args.prompt_tokens), "-o", str(artifact)], check=True)
    prompts = work / "prompts.txt"
    prompts.write_text((prompt.replace("\n", "\\n") + "\n") * batch)
    env = dict(os.environ, OMP_NUM_THREADS="2")
    out = subprocess.run([args.strata_run, "generate", str(artifact), "--checkpoint",
                          str(checkpoint), "--prompt-file", str(prompts), "--max-new-tokens",
                          str(args.new_tokens), "--temperature", "0", "--timing",
                          "--print-ids", "--threads", "2"],
                         check=True, capture_output=True, text=True, env=env).stdout
    m = re.search(r"time to first token ([\d.]+) s; decode ([\d.]+) tokens/s per row", out)
    ids = re.search(r"ids:([\d ]*)\|([\d ]*)", out)
    return (float(m.group(1)), float(m.group(2)), [int(t) for t in ids.group(1).split()],
            [int(t) for t in ids.group(2).split()])


def torch_generate(cfg, p, prompt_ids, batch, new_tokens):
    import torch
    import models
    L = cfg.num_layers
    caches = [None] * L

    def step(tokens, start):
        T = tokens.shape[1]
        h = p["wte.weight"][tokens] + p["wpe.weight"][start:start + T]
        for i in range(L):
            a = models.layer_norm(cfg, p, f"h.{i}.ln_1", h)
            q, k, v = models.gpt2_qkv(cfg, p, i, a)
            if caches[i] is not None:
                k = torch.cat([caches[i][0], k], dim=2)
                v = torch.cat([caches[i][1], v], dim=2)
            caches[i] = (k, v)
            scores = q @ k.transpose(-1, -2) / math.sqrt(cfg.head_dim)
            if T > 1:  # prefill: causal within the new positions
                allowed = torch.ones(T, k.shape[2], dtype=torch.bool).tril(k.shape[2] - T)
                scores = scores.masked_fill(~allowed, float("-inf"))
            a = models.merge_heads(torch.softmax(scores, dim=-1) @ v)
            h = h + models.conv1d(p, f"h.{i}.attn.c_proj", a)
            m = models.layer_norm(cfg, p, f"h.{i}.ln_2", h)
            h = h + models.conv1d(p, f"h.{i}.mlp.c_proj",
                                  models.gelu(models.conv1d(p, f"h.{i}.mlp.c_fc", m),
                                              cfg.activation))
        h = models.layer_norm(cfg, p, "ln_f", h[:, -1])
        return h @ p["wte.weight"].t()

    with torch.no_grad():
        ids = torch.tensor([prompt_ids] * batch, dtype=torch.int64)
        start = time.perf_counter()
        token = step(ids, 0)[:, :50257].argmax(-1)
        ttft = time.perf_counter() - start
        generated = [token]
        start = time.perf_counter()
        for s in range(new_tokens - 1):
            token = step(token[:, None], len(prompt_ids) + s)[:, :50257].argmax(-1)
            generated.append(token)
        decode = time.perf_counter() - start
    return ttft, (new_tokens - 1) / decode, torch.stack(generated, 1)[0].tolist()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(REPO / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(REPO / "build/bin/strata-run"))
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    p.add_argument("--prompt-tokens", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=32)
    args = p.parse_args()
    import torch
    import models
    import safetensors_io
    torch.set_num_threads(2)
    corpus = (REPO / "data/corpora/moby-dick.txt").read_text()
    prompt = corpus[corpus.index("Call me Ishmael"):][:4000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp:
        work = Path(tmp)
        for name in args.models:
            description, config = MODELS[name]
            cfg = models.make_config(config)
            arrays = models.init_params(cfg, 0)
            checkpoint = work / f"{name}.safetensors"
            safetensors_io.save_file(arrays, str(checkpoint))
            params = models.params_from_arrays(cfg, arrays, torch.float32)
            # A prompt of at most --prompt-tokens tokens (about 3.5 characters a token).
            text = prompt[:int(args.prompt_tokens * 3.5)]
            for batch in args.batches:
                while True:
                    ttft, rate, ids, generated = strata_generate(args, work, name, description, checkpoint,
                                                      batch, text)
                    if len(ids) <= args.prompt_tokens:
                        break
                    text = text[:int(len(text) * args.prompt_tokens / len(ids))]
                t_ttft, t_rate, t_generated = torch_generate(cfg, params, ids, batch,
                                                             args.new_tokens)
                same = "yes" if generated == t_generated[:len(generated)] else "no"
                rows.append((name, batch, len(ids), ttft, rate, t_ttft, t_rate, same))
                print(f"{name} batch {batch}: strata ttft {ttft:.3f} s, {rate:.1f} tok/s/row; "
                      f"pytorch ttft {t_ttft:.3f} s, {t_rate:.1f} tok/s/row", flush=True)
    print(f"greedy generation, {args.new_tokens} new tokens, 2 threads each; tok/s is per row")
    print(f"{'model':10} {'batch':>5} {'prompt':>6} {'strata ttft':>12} {'pytorch ttft':>12} "
          f"{'strata tok/s':>12} {'pytorch tok/s':>13} {'decode speed-up':>15} "
          f"{'same tokens':>11}")
    for name, batch, n, ttft, rate, t_ttft, t_rate, same in rows:
        print(f"{name:10} {batch:5} {n:6} {ttft:12.3f} {t_ttft:12.3f} {rate:12.1f} {t_rate:13.1f} "
              f"{rate / t_rate:15.2f} {same:>11}")


if __name__ == "__main__":
    main()
