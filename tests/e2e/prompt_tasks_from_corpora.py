#!/usr/bin/env python3
"""Two prompt-learning tasks built from the shipped corpora (issue 14).

  moby:  continue a Moby-Dick passage       (data/corpora/moby-dick.txt)
  union: continue a State of the Union one  (data/corpora/state-of-the-union-excerpt.txt)

Each example is a window of the text: `context` the first CONTEXT_WORDS words,
`answer` the next ANSWER_WORDS. The last HELD_OUT of each corpus is held out:
the validation examples come from it, and the pre-training text (written
beside the examples) leaves it out, so the base model never saw them.

  prompt_tasks_from_corpora.py OUT_DIR [--train-per-task N] [--val-per-task N]

writes OUT_DIR/train.jsonl, OUT_DIR/val.jsonl (NeMo's format: taskname and
the fields), and OUT_DIR/pretrain/{moby-dick,state-of-the-union}.txt.
"""
import argparse
import json
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPORA = {
    "moby": os.path.join(ROOT, "data", "corpora", "moby-dick.txt"),
    "union": os.path.join(ROOT, "data", "corpora", "state-of-the-union-excerpt.txt"),
}
CONTEXT_WORDS = 24
ANSWER_WORDS = 3
HELD_OUT = 0.1


def windows(words):
    """Consecutive, non-overlapping (context, answer) windows of |words|."""
    size = CONTEXT_WORDS + ANSWER_WORDS
    for start in range(0, len(words) - size + 1, size):
        yield (" ".join(words[start:start + CONTEXT_WORDS]),
               " ".join(words[start + CONTEXT_WORDS:start + size]))


def build(out_dir, train_per_task, val_per_task, seed=1234):
    os.makedirs(os.path.join(out_dir, "pretrain"), exist_ok=True)
    rng = random.Random(seed)
    train, val = [], []
    for task, path in CORPORA.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        cut = int(len(text) * (1 - HELD_OUT))
        cut = text.rfind(" ", 0, cut)  # on a word boundary
        with open(os.path.join(out_dir, "pretrain", os.path.basename(path)),
                  "w", encoding="utf-8") as f:
            f.write(text[:cut])
        seen = list(windows(text[:cut].split()))
        unseen = list(windows(text[cut:].split()))
        rng.shuffle(seen)
        if len(seen) < train_per_task or len(unseen) < val_per_task:
            raise SystemExit(f"{path}: {len(seen)} training and {len(unseen)} "
                             f"validation windows, fewer than asked")
        train += [(task, c, a) for c, a in seen[:train_per_task]]
        # Validation in text order: the same examples for every method.
        val += [(task, c, a) for c, a in unseen[:val_per_task]]
    rng.shuffle(train)  # tasks mixed in the file (and so in the batches)
    for name, rows in (("train.jsonl", train), ("val.jsonl", val)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            for task, context, answer in rows:
                f.write(json.dumps({"taskname": task, "context": context,
                                    "answer": answer}) + "\n")
    return os.path.join(out_dir, "train.jsonl"), os.path.join(out_dir, "val.jsonl")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--train-per-task", type=int, default=1000)
    parser.add_argument("--val-per-task", type=int, default=64)
    args = parser.parse_args()
    build(args.out_dir, args.train_per_task, args.val_per_task)


if __name__ == "__main__":
    main()
