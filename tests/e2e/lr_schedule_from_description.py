"""A description's optim block drives training (issue 16): 20 steps of `strata-run train --data`
with no hyperparameter flags follow the description's CosineAnnealing schedule step for step,
checked against NeMo's closed form; flags override the description.

    lr_schedule_from_description.py --strata-compile BIN --strata-run BIN

The closed form below is written from nemo/core/optim/lr_scheduler.py (CosineAnnealing: warm-up
(s + 1) / (W + 1) then cosine to min_lr at max_steps; with constant_steps, Megatron's warm-up
s / W, cosine over max_steps - W - C, then min_lr), independently of Strata's C++; optimizer step
k runs at s = k - 1 as under PyTorch Lightning.
"""

import argparse
import json
import math
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
DESCRIPTION = """\
# tiny-train.yaml's model with NeMo's training hyperparameters.
name: lr-schedule
trainer:
  devices: 1
  precision: 32
  max_steps: 20
  log_every_n_steps: 5
  gradient_clip_val: 1.0
model:
  micro_batch_size: 2
  global_batch_size: 4
  encoder_seq_length: 24
  max_position_embeddings: 24
  num_layers: 2
  hidden_size: 60
  ffn_hidden_size: 156
  num_attention_heads: 5
  tokenizer:
    library: megatron
    type: GPT2BPETokenizer
  optim:
    name: fused_adam
    lr: 2e-3
    weight_decay: 0.05
    betas: [0.9, 0.95]
    sched:
      name: CosineAnnealing
      warmup_steps: 4
      constant_steps: 3
      min_lr: 2e-4
"""


def nemo_cosine(step, lr, min_lr, warmup, constant, max_steps):
    s = step - 1
    if constant > 0:
        decay = max_steps - warmup - constant
        if warmup > 0 and s <= warmup:
            return lr * s / warmup
        if s > warmup + decay:
            return min_lr
        return min_lr + 0.5 * (math.cos(math.pi * (s - warmup) / decay) + 1.0) * (lr - min_lr)
    if warmup > 0 and s <= warmup:
        return lr * (s + 1) / (warmup + 1)
    if s > max_steps:
        return min_lr
    return min_lr + (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (s - warmup) / (max_steps - warmup)))


def step_rates(metrics):
    rates = {}
    for line in Path(metrics).read_text().splitlines():
        record = json.loads(line)
        if "lr" in record:
            rates[record["step"]] = record["lr"]
    return rates


def check_rates(label, rates, steps, **schedule):
    if sorted(rates) != list(range(1, steps + 1)):
        raise e2e.E2EError(f"{label}: metrics.jsonl has steps {sorted(rates)}, expected 1..{steps}")
    for step in range(1, steps + 1):
        expected = nemo_cosine(step, **schedule)
        if abs(rates[step] - expected) > 1e-12 * max(expected, 1e-30):
            raise e2e.E2EError(f"{label}: step {step} ran at lr {rates[step]!r}, NeMo's "
                               f"CosineAnnealing gives {expected!r} ({schedule})")
    print(f"{label}: the learning rate of all {steps} steps matches NeMo's CosineAnnealing")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default=sys.executable)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-lr-schedule-"))
    try:
        description = work / "lr-schedule.yaml"
        description.write_text(DESCRIPTION)
        common = ["--data", CORPUS, "--cache-dir", work / "cache", "--threads", "2"]
        for constant in (3, 0):
            artifact = work / f"c{constant}.strata"
            e2e.run([args.strata_compile, description, "--compile-to=training",
                     f"model.optim.sched.constant_steps={constant}", "-o", artifact])
            # No flags: every hyperparameter is the description's.
            e2e.run([args.strata_run, "train", artifact, *common,
                     "--checkpoint-dir", work / f"ck{constant}"])
            check_rates(f"constant_steps {constant}", step_rates(work / f"ck{constant}" / "metrics.jsonl"),
                        20, lr=2e-3, min_lr=2e-4, warmup=4, constant=constant, max_steps=20)
        # --print-config names the file and line of each description value.
        printed = e2e.run([args.strata_run, "train", work / "c3.strata", "--print-config"])
        lines = DESCRIPTION.splitlines()
        for key, text, value in [("optim.sched.warmup_steps", "warmup_steps: 4", "4"),
                                 ("optim.betas[1]", "betas: [0.9, 0.95]", "0.95"),
                                 ("trainer.max_steps", "max_steps: 20", "20")]:
            line = next(i + 1 for i, l in enumerate(lines) if l.strip() == text)
            pattern = rf"{re.escape(key)}\s+\S+\s+{re.escape(value)}\s+\S*lr-schedule.yaml:{line}\n"
            if not re.search(pattern, printed):
                raise e2e.E2EError(f"--print-config does not show {key} {value} from line {line}:\n"
                                   f"{printed}")
        # Flags override: --lr and --steps (the schedule's length follows --steps, as NeMo's
        # sched.max_steps follows trainer.max_steps).
        e2e.run([args.strata_run, "train", work / "c3.strata", *common, "--lr", "1e-3",
                 "--steps", "12", "--checkpoint-dir", work / "flags"])
        check_rates("--lr 1e-3 --steps 12", step_rates(work / "flags" / "metrics.jsonl"), 12,
                    lr=1e-3, min_lr=2e-4, warmup=4, constant=3, max_steps=12)
        printed = e2e.run([args.strata_run, "train", work / "c3.strata", "--print-config",
                           "--lr", "1e-3"])
        if not re.search(r"optim\.lr\s+--lr\s+0\.001\s+--lr\n", printed):
            raise e2e.E2EError(f"--print-config does not show --lr as optim.lr's source:\n{printed}")
    except e2e.E2EError as error:
        print(f"FAIL: {error}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
