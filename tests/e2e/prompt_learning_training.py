#!/usr/bin/env python3
"""`strata-run train --data` for a prompt-learning model (issue 14).

On a tiny GPT base (trained for a few steps on the shipped corpora), prompt
tuning trains on NeMo's JSON-lines examples of two tasks and checks:
  - the validation loss is reported at step 0 (the frozen base) and per task,
    in the log and the metrics file;
  - a checkpoint holds the prompt tables only, and the base's identity;
  - --resume from a mid-run checkpoint gives bitwise the losses of the
    uninterrupted run;
  - resuming on another base is an error naming both bases;
  - generate --task runs from the adapter checkpoint over its base, and
    refuses another base and an unknown task;
  - bad input is a clear error: a line whose task is not the artifact's, a
    line without a template field (file and line), --eval-every without
    validation data, --checkpoint for a model trained on a frozen base;
  - LoRA alone trains on the same examples through templates without virtual
    tokens: the per-task validation loss goes down from the frozen base's,
    and a checkpoint holds the adapters only.

  prompt_learning_training.py --strata-compile BIN --strata-run BIN
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common  # noqa: E402
import prompt_tasks_from_corpora  # noqa: E402

ARCHITECTURE = """\
name: {name}
trainer: {{devices: 1, num_nodes: 1, accelerator: cpu, precision: 32}}
model:
  micro_batch_size: 4
  global_batch_size: 8
  encoder_seq_length: 48
  max_position_embeddings: 48
  num_layers: 1
  hidden_size: 32
  ffn_hidden_size: 64
  num_attention_heads: 2
  hidden_dropout: 0.1
  attention_dropout: 0.1
  tokenizer: {{library: megatron, type: GPT2BPETokenizer}}
"""

PROMPT_TUNING = ("  virtual_prompt_style: prompt-tuning\n" +
                 prompt_tasks_from_corpora.task_templates(
                     {"moby": [4], "union": [4, 2]}))

# LoRA alone on the same tasks (NeMo's PEFT on task data): templates with
# fields and no virtual tokens; forward takes no virtual_tokens.
LORA_TASKS = ("  peft: {peft_scheme: lora, lora_tuning: {adapter_dim: 4, "
              "target_modules: [all]}}\n" +
              prompt_tasks_from_corpora.task_templates())

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def run(args, expect_ok=True):
    result = subprocess.run(args, capture_output=True, text=True)
    if expect_ok and result.returncode != 0:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}")
    return result


def safetensors_header(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(size))


def metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def eval_batch(work):
    """eval's flags for a micro-batch of random tokens whose rows start with
    their task's virtual tokens (moby's 4, union's first 4), all labels
    counted but the virtual positions'."""
    rng = np.random.default_rng(7)
    rows, seq, virtual = 4, 48, 4
    tokens = rng.integers(0, 50257, size=(rows, seq)).astype(np.int32)
    labels = rng.integers(0, 50257, size=(rows, seq)).astype(np.int32)
    rows_of = np.full((rows, seq), -1, dtype=np.int32)
    for r in range(rows):
        offset = 0 if r % 2 == 0 else 4  # moby's rows 0..3, union's 4..9
        rows_of[r, :virtual] = offset + np.arange(virtual)
    labels[:, :virtual - 1] = -1
    flags = []
    for name, array in (("tokens", tokens), ("labels", labels),
                        ("virtual-tokens", rows_of)):
        path = os.path.join(work, f"eval-{name}.npy")
        np.save(path, array)
        flags += [f"--{name}", path]
    return flags


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--strata-compile", required=True)
    parser.add_argument("--strata-run", required=True)
    parser.add_argument("--python")  # the e2e tools' common flags
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="strata-prompt-training-")
    try:
        train, val = prompt_tasks_from_corpora.build(
            os.path.join(work, "data"), train_per_task=24, val_per_task=6)
        cache = ["--cache-dir", os.path.join(work, "cache")]

        # Two bases: the same architecture, trained from other seeds.
        with open(os.path.join(work, "base.yaml"), "w") as f:
            f.write(ARCHITECTURE.format(name="base"))
        base_artifact = os.path.join(work, "base.strata")
        run([args.strata_compile, os.path.join(work, "base.yaml"), "-o", base_artifact])
        bases = []
        for seed in (1, 2):
            directory = os.path.join(work, f"base-{seed}")
            run([args.strata_run, "train", base_artifact, "--data",
                 os.path.join(work, "data", "pretrain"), "--steps", "2",
                 "--lr", "1e-3", "--seed", str(seed), "--checkpoint-dir",
                 directory] + cache)
            bases.append(os.path.join(directory, "step-00000002"))

        with open(os.path.join(work, "prompt.yaml"), "w") as f:
            f.write(ARCHITECTURE.format(name="prompt") + PROMPT_TUNING)
        artifact = os.path.join(work, "prompt.strata")
        run([args.strata_compile, os.path.join(work, "prompt.yaml"), "-o", artifact])

        def train_command(directory, *extra, base=bases[0], steps=6):
            return [args.strata_run, "train", artifact, "--data", train,
                    "--validation-data", val, "--base-checkpoint", base,
                    "--steps", str(steps), "--lr", "1e-2", "--eval-every", "3",
                    "--save-every", "3", "--keep-last", "0",
                    "--checkpoint-dir", directory] + list(extra)

        # The uninterrupted run.
        whole = os.path.join(work, "whole")
        log = run(train_command(whole)).stdout
        check("step 0: validation loss" in log and "moby " in log and "union " in log,
              "the log shows the frozen base's validation loss per task at step 0")
        records = metrics(os.path.join(whole, "metrics.jsonl"))
        validation = {r["step"]: r for r in records if "val_loss" in r}
        check(sorted(validation) == [0, 3, 6] and
              all(set(r["val_loss_by_task"]) == {"moby", "union"}
                  for r in validation.values()),
              "metrics.jsonl has val_loss and val_loss_by_task at steps 0, 3 and 6")
        header = safetensors_header(os.path.join(whole, "step-00000006", "model.safetensors"))
        tensors = sorted(k for k in header if k != "__metadata__")
        check(tensors == ["prompt_table.moby.weight", "prompt_table.union.weight"],
              f"the checkpoint holds the prompt tables only ({tensors})")
        meta = header.get("__metadata__", {})
        check(meta.get("strata_base_model", "").startswith("base@") and
              meta.get("strata_base_path", "").startswith(bases[0]),
              f"the checkpoint names its base ({meta})")

        # Resume from step 3: bitwise the same steps 4..6.
        resumed = os.path.join(work, "resumed")
        os.makedirs(resumed)
        shutil.copytree(os.path.join(whole, "step-00000003"),
                        os.path.join(resumed, "step-00000003"))
        run(train_command(resumed, "--resume"))
        def losses(directory):
            return {r["step"]: r["loss"] for r in metrics(os.path.join(directory, "metrics.jsonl"))
                    if "loss" in r}
        after = losses(resumed)
        before = losses(whole)
        check(sorted(after) == [4, 5, 6] and all(after[s] == before[s] for s in after),
              f"--resume from step 3 repeats steps 4..6 bitwise ({after} vs {before})")

        # On another base.
        other = os.path.join(work, "other")
        os.makedirs(other)
        shutil.copytree(os.path.join(whole, "step-00000003"),
                        os.path.join(other, "step-00000003"))
        result = run(train_command(other, "--resume", base=bases[1]), expect_ok=False)
        check(result.returncode != 0 and
              "holds adapters trained on another base model" in result.stderr and
              meta["strata_base_model"] in result.stderr and bases[1] in result.stderr,
              "resuming on another base fails naming both: " + result.stderr.strip()[:300])

        # Generation from the adapter checkpoint over its base.
        inference = os.path.join(work, "prompt.infer.strata")
        run([args.strata_compile, os.path.join(work, "prompt.yaml"), "--mode", "infer",
             "model.micro_batch_size=2", "-o", inference])
        def generate(base, task="moby"):
            return run([args.strata_run, "generate", inference, "--checkpoint",
                        os.path.join(whole, "step-00000006"), "--base-checkpoint", base,
                        "--task", task, "--field", "context=Call me Ishmael.",
                        "--max-new-tokens", "4", "--temperature", "0"], expect_ok=False)
        result = generate(bases[0])
        check(result.returncode == 0 and "Continue:" in result.stdout,
              "generate --task from the adapter checkpoint over its base: " +
              (result.stdout + result.stderr).strip()[:200])
        result = generate(bases[1])
        check(result.returncode != 0 and
              "holds adapters trained on another base model" in result.stderr,
              "generate on another base fails: " + result.stderr.strip()[:200])
        result = generate(bases[0], task="squad")
        check(result.returncode != 0 and "squad" in result.stderr and
              "moby" in result.stderr,
              "generate --task unknown names the task and the tasks: " +
              result.stderr.strip()[:200])

        # eval and grad over the base: the adapter checkpoint's parameters are
        # exactly the whole model's (base and adapters in one file).
        batch = eval_batch(work)
        def evaluate(command, checkpoint, *extra):
            out = os.path.join(work, command + ".safetensors")
            result = run([args.strata_run, command, artifact, "--checkpoint", checkpoint,
                          *extra, *batch, "--out", out], expect_ok=False)
            return result, (e2e_common.load(out)["loss"].item()
                            if result.returncode == 0 else None)
        adapters = os.path.join(whole, "step-00000006")
        combined = os.path.join(work, "combined.safetensors")
        e2e_common.save({**e2e_common.load(os.path.join(bases[0], "model.safetensors")),
                         **e2e_common.load(os.path.join(adapters, "model.safetensors"))},
                        combined)
        for command in ("eval", "grad"):
            _, over_base = evaluate(command, adapters, "--base-checkpoint", bases[0])
            _, from_whole = evaluate(command, combined)
            _, earlier = evaluate(command, os.path.join(whole, "step-00000003"),
                                  "--base-checkpoint", bases[0])
            check(over_base is not None and over_base == from_whole and over_base != earlier,
                  f"{command} --checkpoint step-6 --base-checkpoint equals the whole "
                  f"model's loss bitwise ({over_base} vs {from_whole}; step 3: {earlier})")
        result, _ = evaluate("eval", adapters, "--base-checkpoint", bases[1])
        check(result.returncode != 0 and
              "holds adapters trained on another base model" in result.stderr,
              "eval on another base fails: " + result.stderr.strip()[:200])
        out = os.path.join(work, "no-checkpoint.safetensors")
        result = run([args.strata_run, "eval", artifact, "--base-checkpoint", bases[0],
                      *batch, "--out", out], expect_ok=False)
        check(result.returncode != 0 and "none is given" in result.stderr,
              "eval --base-checkpoint without --checkpoint fails: " +
              result.stderr.strip()[:200])
        result, _ = evaluate("eval", combined, "--base-checkpoint", bases[0])
        check(result.returncode != 0 and "holds the whole model" in result.stderr,
              "eval --base-checkpoint with a whole checkpoint fails: " +
              result.stderr.strip()[:200])

        # Bad input.
        bad = os.path.join(work, "bad.jsonl")
        with open(bad, "w") as f:
            f.write(json.dumps({"taskname": "moby", "context": "a", "answer": "b"}) + "\n")
            f.write(json.dumps({"taskname": "squad", "context": "a", "answer": "b"}) + "\n")
        result = run([args.strata_run, "train", artifact, "--data", bad,
                      "--base-checkpoint", bases[0], "--steps", "1"],
                     expect_ok=False)
        check(result.returncode != 0 and "bad.jsonl:2" in result.stderr and
              "squad" in result.stderr and "moby" in result.stderr,
              "a line of an unknown task names the file, line and tasks: " +
              result.stderr.strip()[:300])
        missing = os.path.join(work, "missing.jsonl")
        with open(missing, "w") as f:
            f.write(json.dumps({"taskname": "union", "context": "a"}) + "\n")
        result = run([args.strata_run, "train", artifact, "--data", train,
                      "--validation-data", missing, "--base-checkpoint", bases[0],
                      "--steps", "1"], expect_ok=False)
        check(result.returncode != 0 and "missing.jsonl:1" in result.stderr and
              "answer" in result.stderr,
              "a line without a field names the file, line and field: " +
              result.stderr.strip()[:300])
        result = run([args.strata_run, "train", artifact, "--data", train,
                      "--base-checkpoint", bases[0], "--steps", "1",
                      "--eval-every", "1"], expect_ok=False)
        check(result.returncode != 0 and "--validation-data" in result.stderr,
              "--eval-every without --validation-data: " + result.stderr.strip()[:200])
        result = run([args.strata_run, "train", artifact, "--data", train,
                      "--checkpoint", os.path.join(bases[0], "model.safetensors"),
                      "--steps", "1"], expect_ok=False)
        check(result.returncode != 0 and "--base-checkpoint" in result.stderr,
              "--checkpoint on a model with a frozen base: " + result.stderr.strip()[:200])
        result = run([args.strata_run, "train", artifact, "--data", train,
                      "--steps", "1"], expect_ok=False)
        check(result.returncode != 0 and "language_model_path" in result.stderr,
              "no base at all: " + result.stderr.strip()[:200])

        # LoRA alone on the same examples.
        with open(os.path.join(work, "lora.yaml"), "w") as f:
            f.write(ARCHITECTURE.format(name="lora") + LORA_TASKS)
        lora = os.path.join(work, "lora.strata")
        run([args.strata_compile, os.path.join(work, "lora.yaml"), "-o", lora])
        inspect = run([args.strata_run, "inspect", lora]).stdout
        check("tasks          moby union (no virtual tokens)" in inspect,
              "inspect shows LoRA's tasks without virtual tokens")
        lora_dir = os.path.join(work, "lora")
        log = run([args.strata_run, "train", lora, "--data", train,
                   "--validation-data", val, "--base-checkpoint", bases[0],
                   "--steps", "6", "--lr", "1e-2", "--eval-every", "6",
                   "--save-every", "6", "--keep-last", "0",
                   "--checkpoint-dir", lora_dir]).stdout
        validation = {r["step"]: r for r in metrics(os.path.join(lora_dir, "metrics.jsonl"))
                      if "val_loss" in r}
        check(sorted(validation) == [0, 6] and
              all(set(r["val_loss_by_task"]) == {"moby", "union"}
                  for r in validation.values()) and
              validation[6]["val_loss"] < validation[0]["val_loss"],
              "LoRA alone: the per-task validation loss goes down from the "
              f"frozen base's ({ {s: r['val_loss'] for s, r in validation.items()} })")
        header = safetensors_header(os.path.join(lora_dir, "step-00000006", "model.safetensors"))
        tensors = [k for k in header if k != "__metadata__"]
        check(tensors and all(".lora_" in k for k in tensors),
              f"LoRA alone: the checkpoint holds the adapters only ({sorted(tensors)[:3]} ...)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
