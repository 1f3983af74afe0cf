#!/usr/bin/env python3
"""Prompt tuning, p-tuning and LoRA on real text (issue 14's measurement).

A tiny GPT is pre-trained on the shipped corpora (Moby-Dick and the State of
the Union excerpt, less their held-out tenth), then frozen. Two tasks come
from the corpora (tests/e2e/prompt_tasks_from_corpora.py): continue a
Moby-Dick passage, continue a State of the Union passage, each with its own
template. Each method trains its adapters with `strata-run train --data
train.jsonl --validation-data val.jsonl`, which reports the answer-only
validation loss of each task at step 0 (the frozen base with the same
template and untrained adapters: LoRA's start is exactly the base) and after
the last step. The check: every method lowers every task's loss by at least
--min-gain (10%).

  bench/prompt_learning_real_text.py [--build build] [--work DIR]
      [--base CHECKPOINT] [--pretrain-steps N] [--steps N]

Takes about 25 minutes on 2 cores when nothing else runs (7 pre-training, 2 to
3 per method);
--base reuses a base (a checkpoint of this script's architecture) instead.
docs/prompt-learning.md ("On real text") has the numbers.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import prompt_tasks_from_corpora  # noqa: E402

ARCHITECTURE = """\
name: {name}
trainer: {{devices: 1, num_nodes: 1, accelerator: cpu, precision: 32}}
model:
  micro_batch_size: 8
  global_batch_size: 8
  encoder_seq_length: {seq}
  max_position_embeddings: {seq}
  num_layers: 4
  hidden_size: 128
  ffn_hidden_size: 512
  num_attention_heads: 4
  init_method_std: 0.02
  hidden_dropout: {dropout}
  attention_dropout: {dropout}
  activation: fast-gelu
  normalization: layernorm
  position_embedding_type: learned_absolute
  share_embeddings_and_output_weights: true
  make_vocab_size_divisible_by: 128
  tokenizer: {{library: megatron, type: GPT2BPETokenizer}}
"""

VIRTUAL_TEMPLATES = prompt_tasks_from_corpora.task_templates(
    {"moby": [10], "union": [12, 4]})
# LoRA has no virtual tokens: the same templates without the markers.
PLAIN_TEMPLATES = prompt_tasks_from_corpora.task_templates()

METHODS = {
    "prompt tuning": VIRTUAL_TEMPLATES + "  virtual_prompt_style: prompt-tuning\n",
    "p-tuning (MLP)": VIRTUAL_TEMPLATES + """\
  virtual_prompt_style: p-tuning
  p_tuning: {encoder_type: mlp, num_layers: 2, encoder_hidden: 256, dropout: 0.0}
""",
    "p-tuning (LSTM)": VIRTUAL_TEMPLATES + """\
  virtual_prompt_style: p-tuning
  p_tuning: {encoder_type: lstm, num_layers: 2, encoder_hidden: 128, dropout: 0.0}
""",
    "LoRA": PLAIN_TEMPLATES + """\
  peft:
    peft_scheme: lora
    lora_tuning:
      adapter_dim: 8
      alpha: 8
      adapter_dropout: 0.0
      target_modules: [attention_qkv, attention_dense, mlp_fc1, mlp_fc2]
""",
}


def run(args, log):
    started = time.time()
    with open(log, "w") as f:
        result = subprocess.run(args, stdout=f, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.stdout.write(open(log).read()[-4000:])
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}")
    return time.time() - started


def validation_losses(metrics):
    """{step: {task: loss}} of a metrics.jsonl."""
    out = {}
    with open(metrics) as f:
        for line in f:
            record = json.loads(line)
            if "val_loss_by_task" in record:
                out[record["step"]] = record["val_loss_by_task"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", default="/tmp/strata-prompt-learning-bench")
    parser.add_argument("--base", help="a pre-trained base to reuse")
    parser.add_argument("--seq", type=int, default=96)
    parser.add_argument("--pretrain-steps", type=int, default=2400)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--lr", type=float, default=None,
                        help="every method's learning rate (default: each "
                             "method's own)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--min-gain", type=float, default=0.10)
    args = parser.parse_args()
    learning_rates = {"prompt tuning": 3e-2, "p-tuning (MLP)": 1e-2,
                      "p-tuning (LSTM)": 1e-2, "LoRA": 3e-3}
    compile_ = os.path.join(args.build, "bin", "strata-compile")
    strata_run = os.path.join(args.build, "bin", "strata-run")
    os.makedirs(args.work, exist_ok=True)
    train, val = prompt_tasks_from_corpora.build(
        os.path.join(args.work, "data"), train_per_task=900, val_per_task=64)

    base = args.base
    if not base:
        yaml = os.path.join(args.work, "base.yaml")
        with open(yaml, "w") as f:
            f.write(ARCHITECTURE.format(name="base", seq=args.seq, dropout=0.1))
        artifact = os.path.join(args.work, "base.strata")
        run([compile_, yaml, "-o", artifact], os.path.join(args.work, "base-compile.log"))
        run_dir = os.path.join(args.work, "base-run")
        subprocess.run(["rm", "-rf", run_dir])
        seconds = run([strata_run, "train", artifact, "--data",
                       os.path.join(args.work, "data", "pretrain"),
                       "--steps", str(args.pretrain_steps), "--lr", "6e-3",
                       "--min-lr", "6e-4", "--warmup-steps",
                       str(max(1, args.pretrain_steps // 20)), "--clip-grad", "1.0",
                       "--eval-every", str(args.pretrain_steps), "--checkpoint-dir",
                       run_dir, "--keep-last", "1", "--log-every", "100",
                       "--cache-dir", os.path.join(args.work, "cache")],
                      os.path.join(args.work, "base-train.log"))
        base = os.path.join(run_dir, f"step-{args.pretrain_steps:08d}")
        last = [l for l in open(os.path.join(args.work, "base-train.log")) if l.startswith("done")]
        print(f"base: {args.pretrain_steps} steps in {seconds:.0f} s; {last[-1].strip()}")

    rows, failures = [], []
    for method in args.methods.split(","):
        slug = method.split()[0].lower() + ("-" + method.split("(")[1][:-1].lower()
                                            if "(" in method else "")
        yaml = os.path.join(args.work, slug + ".yaml")
        with open(yaml, "w") as f:
            f.write(ARCHITECTURE.format(name=slug, seq=args.seq, dropout=0.0))
            f.write(METHODS[method])
        artifact = os.path.join(args.work, slug + ".strata")
        run([compile_, yaml, "-o", artifact], os.path.join(args.work, slug + "-compile.log"))
        run_dir = os.path.join(args.work, slug + "-run")
        subprocess.run(["rm", "-rf", run_dir])
        lr = args.lr or learning_rates[method]
        seconds = run([strata_run, "train", artifact, "--data", train,
                       "--validation-data", val, "--base-checkpoint", base,
                       "--steps", str(args.steps), "--lr", str(lr),
                       "--warmup-steps", str(max(1, args.steps // 20)),
                       "--weight-decay", "0", "--eval-every", str(args.steps),
                       "--eval-steps", "8", "--checkpoint-dir", run_dir,
                       "--log-every", "50"],
                      os.path.join(args.work, slug + "-train.log"))
        losses = validation_losses(os.path.join(run_dir, "metrics.jsonl"))
        before, after = losses[0], losses[args.steps]
        for task in before:
            gain = 1 - after[task] / before[task]
            rows.append((method, task, before[task], after[task], gain, lr, seconds))
            if gain < args.min_gain:
                failures.append(f"{method} on {task}: {100 * gain:.1f}%")

    print(f"\n| method | task | frozen base | tuned ({args.steps} steps) | reduction | lr | train time |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for method, task, b, a, gain, lr, seconds in rows:
        print(f"| {method} | {task} | {b:.3f} | {a:.3f} | {100 * gain:.1f}% | {lr:g} | {seconds:.0f} s |")
    if failures:
        raise SystemExit(f"\nless than {100 * args.min_gain:.0f}% lower: " + ", ".join(failures))
    print(f"\nevery method lowers every task's answer-only validation loss by at least "
          f"{100 * args.min_gain:.0f}%")


if __name__ == "__main__":
    main()
