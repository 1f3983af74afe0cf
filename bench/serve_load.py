#!/usr/bin/python3
"""Benchmark (not a test): strata-serve under load on GPT-2 124M, on loopback, against serving one
request at a time and against fixed batches of `strata-run generate`, in the same run.

Requests: prompts of 8 to 64 words and output lengths of 16 to 64 tokens drawn from the bundled
corpora (seeded), greedy, ignore_eos (random weights: every request generates its length).

  continuous   --clients concurrent streaming clients share the server (continuous batching): total
               generated tokens over the wall time; each request's time to first token (TTFT) and the
               gaps between its tokens (inter-token latency, ITL), p50 and p99
  one-at-a-time  the first --sequential requests, one after another, on the same server: their
               throughput, and a lone request's TTFT and ITL; and the same on a server of a batch-1
               artifact with split steps (the fastest a lone request runs: no padded rows, its
               prompt in prefill calls of --prefill-length tokens)
  fixed-batches  `strata-run generate` on the same requests in batches of the decode batch, each
               batch running to its longest output (what a server without continuous batching
               does); throughput counts each request's own tokens, time is prefill + decode as
               generate --timing prints it (no process start or load)

The artifact: --mode infer --kv-block-size 16, decode batch --batch. With --steps mixed (the
default) each step is one decode call of --batch token rows: --max-running sequences (default half
the rows) decode one token each and prompts fill the rest. With --steps split a step is a prefill
call (--prefill-batch rows of --prefill-length tokens) and a decode call of --batch rows. Fixed
batches have --max-running rows. Aims (issue 15): continuous >= 3x the throughput of one-at-a-time,
p99 ITL under 2x a lone request's. Results go to docs/serving.md.

    /usr/bin/python3 bench/serve_load.py [--requests 32] [--clients 32] [--threads 2]
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import numpy as np  # noqa: E402

GPT2 = dict(family="gpt2", num_layers=12, hidden=768, heads=12, ffn=3072, vocab=50304,
            max_positions=1024, activation="gelu_new")


def percentile(values, q):
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def draw_requests(count, seed):
    words = []
    for name in ("moby-dick.txt", "state-of-the-union-excerpt.txt"):
        path = REPO / "data/corpora" / name
        if path.exists():
            words += path.read_text(encoding="utf-8").split()
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        n = rng.randint(8, 64)
        start = rng.randrange(len(words) - n)
        requests.append((" ".join(words[start:start + n]), rng.randint(16, 64)))
    return requests


class Server:
    def __init__(self, command, env, work):
        self.port_file = work / "port"
        self.port_file.unlink(missing_ok=True)  # a previous server's
        self.log = open(work / "serve.log", "w+")
        self.process = subprocess.Popen(command + ["--port", "0", "--port-file",
                                                   str(self.port_file)],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=env)
        while not self.port_file.exists():
            if self.process.poll() is not None:
                self.log.seek(0)
                sys.exit(f"strata-serve did not start:\n{self.log.read()}")
            time.sleep(0.1)
        self.port = int(self.port_file.read_text())

    def stream(self, prompt, max_tokens):
        """(arrival times of each token, send time) of one streamed greedy completion."""
        body = json.dumps({"model": "gpt2", "prompt": prompt, "max_tokens": max_tokens,
                           "temperature": 0, "ignore_eos": True, "stream": True}).encode()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=3600)
        sent = time.perf_counter()
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        reader = sock.makefile("rb")
        status = reader.readline()
        if b" 200 " not in status:
            sys.exit(f"request failed: {status} {reader.read(2000)}")
        while reader.readline() not in (b"\r\n", b""):
            pass
        arrivals = []
        while True:
            size = int(reader.readline().strip(), 16)
            if size == 0:
                break
            chunk = reader.read(size)
            reader.readline()
            now = time.perf_counter()
            for part in chunk.decode().split("\n\n"):
                if part.startswith("data: ") and part != "data: [DONE]":
                    arrivals += [now] * len(json.loads(part[6:])["choices"][0]["token_ids"])
        sock.close()
        return sent, arrivals

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=600)


def latency_summary(runs):
    ttft = [arrivals[0] - sent for sent, arrivals in runs]
    itl = [b - a for _, arrivals in runs for a, b in zip(arrivals, arrivals[1:])]
    tokens = sum(len(arrivals) for _, arrivals in runs)
    return tokens, ttft, itl


def run_continuous(server, requests, clients):
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        runs = list(pool.map(lambda r: server.stream(*r), requests))
    wall = time.perf_counter() - start
    return wall, runs


def run_fixed_batches(args, artifact, checkpoint, requests, batch, env, work):
    total_tokens, seconds = 0, 0.0
    for first in range(0, len(requests), batch):
        group = requests[first:first + batch]
        prompts = work / "prompts.txt"
        prompts.write_text("".join(p.replace("\n", " ") + "\n" for p, _ in group))
        longest = max(n for _, n in group)
        out = subprocess.run([args.strata_run, "generate", str(artifact), "--checkpoint",
                              str(checkpoint), "--prompt-file", str(prompts), "--max-new-tokens",
                              str(longest), "--temperature", "0", "--timing", "--threads",
                              str(args.threads)], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            sys.exit(f"strata-run generate failed:\n{out.stderr}")
        out = out.stdout
        # "time to first token X s; decode R tokens/s per row (S steps, batch B)"
        m = re.search(r"time to first token ([\d.]+) s; decode ([\d.]+) tokens/s per row "
                      r"\((\d+) steps", out)
        if not m:
            sys.exit(f"generate --timing printed no timing:\n{out}")
        rate, steps = float(m.group(2)), int(m.group(3))
        seconds += float(m.group(1)) + (steps / rate if rate > 0 else 0.0)
        total_tokens += sum(n for _, n in group)
    return total_tokens, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(REPO / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(REPO / "build/bin/strata-run"))
    p.add_argument("--strata-serve", default=str(REPO / "build/bin/strata-serve"))
    p.add_argument("--requests", type=int, default=32)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--sequential", type=int, default=6,
                   help="requests of the one-at-a-time baseline (bounded: it is slow)")
    p.add_argument("--batch", type=int, default=12, help="the decode batch (rows)")
    p.add_argument("--steps", choices=("mixed", "split"), default="mixed")
    p.add_argument("--max-running", type=int, default=8,
                   help="sequences at once (default: half of --batch mixed, --batch split)")
    p.add_argument("--prefill-batch", type=int, default=1)
    p.add_argument("--prefill-length", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    running = args.max_running or (args.batch // 2 if args.steps == "mixed" else args.batch)

    import models
    import safetensors_io
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
    requests = draw_requests(args.requests, args.seed)
    with tempfile.TemporaryDirectory(prefix="strata-serve-bench-") as tmp:
        work = Path(tmp)
        checkpoint = work / "gpt2.safetensors"
        safetensors_io.save_file(models.init_params(models.make_config(GPT2), 0),
                                 str(checkpoint))
        description = REPO / "examples/gpt2-124m.yaml"
        served, fixed = work / "gpt2.strata", work / "gpt2-fixed.strata"
        lone = work / "gpt2-lone.strata"

        def compile_infer(batch, out, *extra):
            subprocess.run([args.strata_compile, str(description), "--mode", "infer",
                            "--kv-block-size", "16", f"model.micro_batch_size={batch}",
                            f"model.global_batch_size={batch}",
                            "--prefill-length", str(args.prefill_length), *extra, "-o", str(out)],
                           check=True)
        # Blocks for every running sequence at 192 positions (a prompt of up to ~100 tokens and
        # its output), plus scratch; generate's rows get their whole context (the default pool).
        compile_infer(args.batch, served, "--prefill-batch", str(args.prefill_batch),
                      "--kv-blocks", str(running * 12 + 1))
        compile_infer(running, fixed)
        compile_infer(1, lone, "--kv-blocks", "65")  # one whole context
        fixed_tokens, fixed_seconds = run_fixed_batches(args, fixed, checkpoint, requests,
                                                        running, env, work)
        server_env = dict(env, LD_PRELOAD=jemalloc) if Path(jemalloc).exists() else env

        def start(artifact, *extra):
            server = Server([args.strata_serve, str(artifact), "--checkpoint", str(checkpoint),
                             "--model-name", "gpt2", "--threads", str(args.threads), *extra],
                            server_env, work)
            server.stream("warm up", 2)
            return server

        # A lone request's fastest setting: one row, its prompt in prefill calls of P tokens.
        server = start(lone, "--steps", "split")
        begin = time.perf_counter()
        lone_runs = [server.stream(*r) for r in requests[:args.sequential]]
        lone_wall = time.perf_counter() - begin
        server.stop()
        server = start(served, "--steps", args.steps, "--max-running", str(running))
        begin = time.perf_counter()
        alone = [server.stream(*r) for r in requests[:args.sequential]]
        alone_wall = time.perf_counter() - begin
        wall, runs = run_continuous(server, requests, args.clients)
        server.stop()

    a_tokens, a_ttft, a_itl = latency_summary(alone)
    _, l_ttft, l_itl = latency_summary(lone_runs)
    c_tokens, c_ttft, c_itl = latency_summary(runs)
    rows = [
        ("continuous batching", c_tokens / wall, c_ttft, c_itl),
        ("one at a time", a_tokens / alone_wall, a_ttft, a_itl),
        ("one at a time, batch-1 artifact", a_tokens / lone_wall, l_ttft, l_itl),
        ("fixed batches (generate)", fixed_tokens / fixed_seconds, None, None),
    ]
    shape = (f"mixed steps of {args.batch} tokens" if args.steps == "mixed" else
             f"split steps: decode batch {args.batch}, prefill {args.prefill_batch} x "
             f"{args.prefill_length}")
    print(f"GPT-2 124M f32, {args.requests} requests, {args.clients} clients, {shape}, "
          f"{running} running, {args.threads} threads")
    print("| mode | tokens/s | TTFT p50 | TTFT p99 | ITL p50 | ITL p99 |")
    print("|---|---|---|---|---|---|")
    for name, rate, ttft, itl in rows:
        if ttft is None:
            print(f"| {name} | {rate:.1f} | | | | |")
        else:
            print(f"| {name} | {rate:.1f} | {percentile(ttft, 50):.2f} s | "
                  f"{percentile(ttft, 99):.2f} s | {percentile(itl, 50) * 1e3:.0f} ms | "
                  f"{percentile(itl, 99) * 1e3:.0f} ms |")
    print(f"throughput vs one at a time: {rows[0][1] / rows[1][1]:.2f}x (batch-1 artifact: "
          f"{rows[0][1] / rows[2][1]:.2f}x); vs fixed batches: {rows[0][1] / rows[3][1]:.2f}x; "
          f"p99 ITL vs a lone request's: {percentile(c_itl, 99) / percentile(a_itl, 99):.2f}x "
          f"(batch-1 artifact: {percentile(c_itl, 99) / percentile(l_itl, 99):.2f}x)")


if __name__ == "__main__":
    main()
