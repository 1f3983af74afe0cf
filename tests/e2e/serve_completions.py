"""strata-serve end to end (issue 15): greedy completions equal `strata-run generate`'s tokens, alone
and under 32 concurrent requests of mixed lengths (continuous batching over a paged KV cache small
enough that sequences are preempted and recomputed); streamed completions; every bad request gets a
4xx in OpenAI's error shape while the server keeps serving; a client that disconnects mid-stream
frees its KV blocks (seen in /metrics); a full queue answers 429 with Retry-After; SIGTERM finishes
the running requests and exits 0; random request bodies crash nothing. With --mpirun, the same
greedy tokens from `mpirun -np 2 strata-serve` of a tensor-parallel artifact, with the checkpoint
trained at tp 1, and of a pipeline-parallel one (pp 2, mixed and split steps).

    serve_completions.py --strata-compile BIN --strata-run BIN --strata-serve BIN [--mpirun CMD]
"""

import argparse
import concurrent.futures
import http.client
import json
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_common import E2EError, generated_ids, run  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "tests/e2e/models/tiny-train.yaml"
CONTEXT = 64
# 4 heads (tiny-train has 5): tensor parallelism splits them in 2. The vocabulary is padded to a
# multiple of 128 x tp: 50304 rows at tp 1, 50432 at tp 2.
SHAPE = [f"model.encoder_seq_length={CONTEXT}", f"model.max_position_embeddings={CONTEXT}",
         "model.num_attention_heads=4"]
BATCH = 4          # rows of the served artifact's prefill and decode
NEW = 20           # the reference's new tokens; requests ask for up to this many
MODEL_NAME = "tiny"


def corpus_prompts(count, seed):
    """Prompts of 2 to 20 words from the bundled corpora (mixed lengths, all within the
    context with NEW tokens more)."""
    words = (REPO / "data/corpora/moby-dick.txt").read_text(encoding="utf-8").split()
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        n = rng.randint(2, 20)
        start = rng.randrange(len(words) - n)
        out.append(" ".join(words[start:start + n]))
    return out


class Server:
    """A strata-serve process on a free port of 127.0.0.1."""

    def __init__(self, command, work, name):
        self.port_file = work / f"{name}.port"
        self.log = open(work / f"{name}.log", "w+")
        self.process = subprocess.Popen([str(c) for c in command] +
                                        ["--port", "0", "--port-file", str(self.port_file)],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not self.port_file.exists():
            if self.process.poll() is not None or time.time() > deadline:
                self.fail("did not start")
            time.sleep(0.1)
        self.port = int(self.port_file.read_text())

    def fail(self, message):
        self.log.seek(0)
        log = self.log.read()
        self.process.kill()
        sys.exit(f"strata-serve {message}:\n{log}")

    def request(self, method, path, body=None, timeout=300):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        payload = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        connection.request(method, path, body=payload,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        headers = dict(response.getheaders())
        connection.close()
        return response.status, data, headers

    def complete(self, **fields):
        status, data, headers = self.request("POST", "/v1/completions",
                                             {"model": MODEL_NAME, **fields})
        return status, json.loads(data), headers

    def metric(self, series):
        _, data, _ = self.request("GET", "/metrics")
        for line in data.decode().splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        self.fail(f"has no metric {series}")

    def alive(self):
        status, data, _ = self.request("GET", "/health")
        if status != 200 or json.loads(data)["status"] != "ok":
            self.fail(f"is not healthy: {status} {data}")

    def stop(self, ranks=False):
        """SIGTERM to strata-serve; with |ranks|, to every rank mpirun started (as a batch
        system does), not to mpirun."""
        if ranks:
            subprocess.run(["pkill", "-TERM", "-P", str(self.process.pid)], check=True)
        else:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=120)
        if code != 0:
            self.fail(f"exited {code} after SIGTERM")
        self.log.close()


def expect(condition, message):
    if not condition:
        sys.exit(message)


def check_greedy(server, prompts, reference, label):
    """Each prompt's greedy completion (max_tokens varying) is a prefix of its reference."""
    rng = random.Random(7)
    limits = [rng.randint(1, NEW) for _ in prompts]

    def one(i):
        status, body, _ = server.complete(prompt=prompts[i], max_tokens=limits[i], temperature=0)
        expect(status == 200, f"{label}: request {i} got {status}: {body}")
        return body["choices"][0]

    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        choices = list(pool.map(one, range(len(prompts))))
    for i, choice in enumerate(choices):
        want = reference[i][:limits[i]]
        expect(choice["token_ids"] == want,
               f"{label}: prompt {i} ({prompts[i]!r}) gave {choice['token_ids']}, strata-run "
               f"generate gave {want}")
        reason = "length" if len(want) == limits[i] else "stop"
        expect(choice["finish_reason"] == reason,
               f"{label}: prompt {i}: finish_reason {choice['finish_reason']}, expected {reason}")
    return sum(len(c["token_ids"]) for c in choices)


def stream_events(server, fields, read_events=None):
    """The parsed events of a streamed completion (all, or the first |read_events| and then the
    connection is dropped)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=300)
    body = json.dumps({"model": MODEL_NAME, "stream": True, **fields}).encode()
    sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    reader = sock.makefile("rb")
    status = reader.readline()
    expect(b" 200 " in status, f"stream: status line {status!r}")
    while reader.readline() not in (b"\r\n", b""):
        pass
    events = []
    while True:
        size_line = reader.readline()
        if not size_line:
            break
        size = int(size_line.strip(), 16)
        if size == 0:
            break
        chunk = reader.read(size)
        reader.readline()
        for part in chunk.decode().split("\n\n"):
            if part.startswith("data: "):
                events.append(part[6:])
        if read_events is not None and len(events) >= read_events:
            break
    reader.close()
    sock.close()
    return events


def check_stream(server, prompt, reference):
    events = stream_events(server, {"prompt": prompt, "max_tokens": NEW, "temperature": 0})
    expect(events and events[-1] == "[DONE]", f"stream: no [DONE] at the end: {events[-3:]}")
    chunks = [json.loads(e) for e in events[:-1]]
    tokens = [t for c in chunks for t in c["choices"][0]["token_ids"]]
    expect(tokens == reference, f"stream: tokens {tokens}, generate gave {reference}")
    text = "".join(c["choices"][0]["text"] for c in chunks)
    _, whole, _ = server.complete(prompt=prompt, max_tokens=NEW, temperature=0)
    expect(text == whole["choices"][0]["text"],
           f"stream: text {text!r} differs from the unstreamed {whole['choices'][0]['text']!r}")
    expect(chunks[-1]["choices"][0]["finish_reason"] in ("length", "stop"),
           f"stream: last chunk has no finish_reason: {chunks[-1]}")


def check_bad_requests(server):
    long_prompt = list(range(1, CONTEXT + 5))
    cases = [
        (b"{not json", 400, None),
        (b"[1, 2, 3]", 400, None),
        ({"prompt": "x"}, 400, "model"),
        ({"model": "nope", "prompt": "x"}, 404, "model"),
        ({"model": MODEL_NAME, "prompt": 7}, 400, "prompt"),
        ({"model": MODEL_NAME, "prompt": "x", "max_tokens": -1}, 400, "max_tokens"),
        ({"model": MODEL_NAME, "prompt": "x", "max_tokens": "ten"}, 400, "max_tokens"),
        ({"model": MODEL_NAME, "prompt": "x", "max_tokens": 10 ** 12}, 400, "max_tokens"),
        ({"model": MODEL_NAME, "prompt": long_prompt, "max_tokens": 1}, 400, "prompt"),
        ({"model": MODEL_NAME, "prompt": [60000]}, 400, "prompt"),
        ({"model": MODEL_NAME, "prompt": "x", "temperature": "hot"}, 400, "temperature"),
        ({"model": MODEL_NAME, "task": "squad", "fields": {"context": "x"}}, 400, "task"),
        ({"model": MODEL_NAME, "prompt": "x", "task": "squad"}, 400, "prompt"),
        ({"model": MODEL_NAME, "prompt": "x", "stream": 1}, 400, "stream"),
    ]
    for body, status, param in cases:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        got, data, _ = server.request("POST", "/v1/completions", payload)
        expect(got == status, f"bad request {body!r}: status {got}, expected {status}: {data}")
        error = json.loads(data)["error"]
        expect(error["message"] and error["type"],
               f"bad request {body!r}: not an OpenAI error: {error}")
        expect(error["param"] == param, f"bad request {body!r}: param {error['param']}, "
               f"expected {param}")
    got, _, _ = server.request("GET", "/v1/nothing")
    expect(got == 404, f"unknown path: {got}")
    server.alive()


def check_disconnect(server):
    before = server.metric('strata_requests_total{outcome="cancelled"}')
    events = stream_events(server, {"prompt": "The whale", "max_tokens": NEW, "temperature": 0,
                                    "ignore_eos": True}, read_events=1)
    expect(len(events) == 1, f"disconnect: read {events}")
    deadline = time.time() + 60
    while time.time() < deadline:
        if (server.metric('strata_requests_total{outcome="cancelled"}') == before + 1
                and server.metric("strata_kv_blocks_used") == 0
                and server.metric("strata_running_sequences") == 0):
            return
        time.sleep(0.2)
    server.fail("kept the disconnected request's blocks: "
                f"{server.metric('strata_kv_blocks_used')} used")


def check_fuzz(server, count=300):
    rng = random.Random(11)
    fields = ["model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "n", "stream",
              "logprobs", "stop", "seed", "echo", "ignore_eos", "best_of", "user", "suffix"]
    values = [None, True, False, 0, -1, 1, 3, 2 ** 31, 2 ** 64, -2 ** 63, 0.5, 1e308, "", "x",
              MODEL_NAME, [], [1, 2], [[3]], ["a", "b"], {}, {"a": 1}, [None], "\ud7ff\u00e9"]
    for i in range(count):
        body = {"model": MODEL_NAME, "prompt": "Call me", "max_tokens": 2}
        for _ in range(rng.randint(1, 4)):
            body[rng.choice(fields)] = rng.choice(values)
        payload = json.dumps(body).encode()
        if rng.random() < 0.2:  # broken JSON too
            cut = rng.randrange(len(payload))
            payload = payload[:cut] + bytes([rng.randrange(256)]) + payload[cut + 1:]
        if body.get("stream") is True:
            body["stream"] = False
            payload = json.dumps(body).encode()
        status, data, _ = server.request("POST", "/v1/completions", payload)
        expect(status in (200, 400, 404, 413), f"fuzz {i}: {payload!r} got {status}: {data}")
        if status != 200:
            expect("error" in json.loads(data), f"fuzz {i}: {data}")
    server.alive()


def check_queue_and_sigterm(args, infer, checkpoint, work, prompts, reference):
    """--max-queue 1: more requests than rows and queue get 429 with Retry-After; SIGTERM then
    lets the running ones finish, and the server exits 0."""
    server = Server([args.strata_serve, infer, "--checkpoint", checkpoint, "--threads", "1",
                     "--model-name", MODEL_NAME, "--max-queue", "1"], work, "queue")
    results = {}

    def one(i):
        status, body, headers = server.complete(prompt=prompts[i], max_tokens=NEW,
                                                temperature=0, ignore_eos=True)
        results[i] = (status, body, headers)

    threads = [concurrent.futures.ThreadPoolExecutor(1) for _ in range(BATCH + 4)]
    futures = [t.submit(one, i) for i, t in enumerate(threads)]
    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    for f in futures:
        f.result()
    code = server.process.wait(timeout=120)
    expect(code == 0, f"SIGTERM: strata-serve exited {code}")
    statuses = sorted(s for s, _, _ in results.values())
    rejected = [r for r in results.values() if r[0] == 429]
    expect(rejected, f"a full queue never answered 429: {statuses}")
    expect(all(r[2].get("Retry-After") for r in rejected), "429 without Retry-After")
    served = [(i, r) for i, r in results.items() if r[0] == 200]
    expect(served, f"SIGTERM: nothing finished: {statuses}")
    for i, (_, body, _) in served:
        expect(len(body["choices"][0]["token_ids"]) == NEW,
               f"SIGTERM cut request {i} short: {body['choices'][0]}")
    expect(all(s in (200, 429, 503) for s in statuses), f"statuses {statuses}")
    return len(served), len(rejected)


def check_rank_death(args, artifact, checkpoint, work):
    """SIGKILL of the second rank of a tp 2 server ends the whole job, non-zero, with a message
    that names the rank, within a minute; no rank hangs."""
    server = Server(args.mpirun.split() + ["2", args.strata_serve, artifact, "--checkpoint",
                                           checkpoint, "--threads", "1", "--model-name",
                                           MODEL_NAME], work, "rank-death")
    server.alive()
    ranks = sorted(int(pid) for pid in subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout.split())
    expect(len(ranks) == 2, f"rank death: expected 2 ranks under mpirun, found {ranks}")
    subprocess.run(["kill", "-KILL", str(ranks[-1])], check=True)
    try:  # the first rank's next call meets the dead rank
        server.complete(prompt="The whale", max_tokens=4, temperature=0)
    except (OSError, http.client.HTTPException):
        pass
    try:
        code = server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.fail("kept running for 60 s after a rank died")
    server.log.seek(0)
    log = server.log.read()
    expect(code != 0, f"rank death: the job exited 0:\n{log}")
    expect(re.search(r"rank 1|process rank", log), f"rank death: no message names the rank:\n{log}")
    message = next(line for line in log.splitlines() if re.search(r"rank 1|process rank", line))
    print(f"SIGKILL of rank 1 ended the tp 2 job with exit code {code}: {message.strip()}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--strata-serve", required=True)
    p.add_argument("--mpirun", help="mpirun command line (with its flags) for the tp 2 check")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-serve-"))
    try:
        train, infer = work / "train.strata", work / "infer.strata"
        run([args.strata_compile, MODEL, "--compile-to=training", "-o", train, *SHAPE])
        # Paged: 8 positions per block; 9 blocks hold one full context (and 72 positions), not 4
        # rows of them, so 32 concurrent requests preempt and recompute. Mixed steps (the default) feed prompt
        # tokens and decode tokens as the 4 rows of one decode call; split steps prefill 2 rows
        # beside the 4 that decode.
        infer_flags = ["--mode", "infer", "--prefill-length", "8", "--kv-block-size", "8",
                       f"model.micro_batch_size={BATCH}", *SHAPE]
        run([args.strata_compile, MODEL, *infer_flags, "--kv-blocks", "10", "--prefill-batch",
            "2", "-o", infer])
        # The reference generates with a block per row and position (the default pool).
        reference_artifact = work / "reference.strata"
        run([args.strata_compile, MODEL, *infer_flags, "-o", reference_artifact])
        run([args.strata_run, "train", train, "--data", REPO / "data/corpora/moby-dick.txt",
            "--steps", "30", "--lr", "3e-3", "--checkpoint-dir", work / "ck", "--threads", "2",
            "--cache-dir", work / "cache"])
        checkpoint = next((work / "ck").glob("step-*")) / "model.safetensors"

        prompts = corpus_prompts(32, seed=3)
        reference = []
        for first in range(0, len(prompts), BATCH):
            command = [args.strata_run, "generate", reference_artifact, "--checkpoint", checkpoint,
                       "--max-new-tokens", str(NEW), "--temperature", "0", "--print-ids",
                       "--threads", "2"]
            for text in prompts[first:first + BATCH]:
                command += ["--prompt", text]
            reference += [new for _, new in generated_ids(run(command))]

        server = Server([args.strata_serve, infer, "--checkpoint", checkpoint, "--threads", "2",
                         "--model-name", MODEL_NAME, "--max-running", str(BATCH)], work, "main")
        server.alive()
        status, data, _ = server.request("GET", "/v1/models")
        expect(status == 200 and json.loads(data)["data"][0]["id"] == MODEL_NAME,
               f"/v1/models: {status} {data}")
        alone = sum(check_greedy(server, [prompts[i]], [reference[i]], f"alone {i}")
                    for i in range(3))
        together = check_greedy(server, prompts, reference, "32 concurrent")
        preempted = server.metric("strata_preemptions_total")
        expect(preempted > 0, "32 concurrent requests over 9 blocks preempted nothing")
        check_stream(server, prompts[5], reference[5])
        check_bad_requests(server)
        check_disconnect(server)
        check_fuzz(server)
        expect(server.metric("strata_kv_blocks_used") == 0, "blocks leaked after the checks")
        server.stop()
        print(f"greedy tokens equal strata-run generate's: {alone} tokens alone, {together} under "
              f"32 concurrent requests ({int(preempted)} preemptions); streaming, bad requests, "
              f"disconnect and fuzz checks passed")
        server = Server([args.strata_serve, infer, "--checkpoint", checkpoint, "--threads", "2",
                         "--model-name", MODEL_NAME, "--steps", "split"], work, "split")
        split = check_greedy(server, prompts, reference, "32 concurrent, split steps")
        split_preempted = server.metric("strata_preemptions_total")
        server.stop()
        print(f"split steps (a prefill call of 2 rows and a decode call): {split} greedy tokens "
              f"equal under 32 concurrent requests ({int(split_preempted)} preemptions)")
        served, rejected = check_queue_and_sigterm(args, infer, checkpoint, work, prompts,
                                                   reference)
        print(f"--max-queue 1: {rejected} requests got 429; SIGTERM finished {served} running "
              f"requests and exited 0")
        if args.mpirun:
            infer_tp = work / "infer-tp2.strata"
            run([args.strata_compile, MODEL, *infer_flags, "--tp", "2", "trainer.devices=2", "-o",
                infer_tp])
            server = Server(args.mpirun.split() + ["2", args.strata_serve, infer_tp,
                                                   "--checkpoint", checkpoint, "--threads", "1",
                                                   "--model-name", MODEL_NAME], work, "tp2")
            tokens = check_greedy(server, prompts[:8], reference[:8], "tp 2")
            server.stop(ranks=True)
            print(f"tp 2 (checkpoint trained at tp 1): {tokens} greedy tokens equal one rank's")
            infer_pp = work / "infer-pp2.strata"
            run([args.strata_compile, MODEL, *infer_flags, "--kv-blocks", "17",
                 "model.pipeline_model_parallel_size=2", "trainer.devices=2", "-o", infer_pp])
            for steps in ("mixed", "split"):
                server = Server(args.mpirun.split() + ["2", args.strata_serve, infer_pp,
                                                       "--checkpoint", checkpoint, "--threads",
                                                       "1", "--model-name", MODEL_NAME,
                                                       "--steps", steps], work, f"pp2-{steps}")
                tokens = check_greedy(server, prompts[:12], reference[:12], f"pp 2 {steps}")
                server.stop(ranks=True)
                print(f"pp 2 ({steps} steps): {tokens} greedy tokens of 12 concurrent requests "
                      f"equal one rank's")
            check_rank_death(args, infer_tp, checkpoint, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except E2EError as e:
        sys.exit(f"FAILED: {e}")
