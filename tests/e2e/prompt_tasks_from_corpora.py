#!/usr/bin/env python3
"""Two prompt-learning tasks built from the shipped corpora (issue 14).

  moby:  continue a Moby-Dick passage       (data/corpora/moby-dick.txt)
  union: continue a State of the Union one  (data/corpora/state-of-the-union-excerpt.txt)

Each example finishes a sentence: `answer` is the last ANSWER_WORDS words of
a sentence of the text (one: its last word and punctuation, as LAMBADA asks
for a passage's last word), `context` the CONTEXT_WORDS words before them. The
last HELD_OUT of each corpus is held out: the validation examples come from
it, and the pre-training text (written beside the examples) leaves it out,
so the base model never saw them. The pre-training text is one document per
paragraph (Moby-Dick's paragraphs; runs of PARAGRAPH_SENTENCES sentences of
an address), so that the base learns where a text ends, as a real model's
pre-training on many documents teaches it.

  prompt_tasks_from_corpora.py OUT_DIR [--train-per-task N] [--val-per-task N]

writes OUT_DIR/train.jsonl, OUT_DIR/val.jsonl (NeMo's format: taskname and
the fields), and OUT_DIR/pretrain/<corpus>/NNNNN.txt, one file per paragraph.
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
ANSWER_WORDS = 1
HELD_OUT = 0.1
PARAGRAPH_SENTENCES = 5
SENTENCE_ENDS = (".", "!", "?", ".\u201d", "!\u201d", "?\u201d", '."', '!"', '?"')


# Each task's template; None marks where its virtual tokens go.
TEMPLATES = {
    "moby": [None, "{context}", "Continue:", "{answer}"],
    "union": [None, "Speech:", "{context}", None, "Next:", "{answer}"],
}


def task_templates(splits=None):
    """The tasks of a model description (YAML under `model:`) for these
    examples: splits[task] gives the virtual tokens of each marker; without
    splits (LoRA alone) the templates have no markers."""
    text = "  new_tasks: [moby, union]\n  task_templates:\n"
    for name, pieces in TEMPLATES.items():
        template, marker = [], 0
        for piece in pieces:
            if piece is not None:
                template.append(piece)
            elif splits:
                template.append(f"<|VIRTUAL_PROMPT_{marker}|>")
                marker += 1
        text += f"  - taskname: {name}\n"
        # No space before a marker: it would be a lone space token.
        joined = ""
        for piece in template:
            joined += ("" if not joined or piece.startswith("<|") else " ") + piece
        text += f"    prompt_template: \"{joined}\"\n"
        if splits:
            text += f"    total_virtual_tokens: {sum(splits[name])}\n"
            text += f"    virtual_token_splits: {list(splits[name])}\n"
        text += ("    truncate_field: context\n    answer_only_loss: true\n"
                 "    answer_field: answer\n")
    return text


def windows(words):
    """Non-overlapping (context, answer) windows of |words|, each answer
    ending a sentence."""
    size = CONTEXT_WORDS + ANSWER_WORDS
    start = 0
    for end in range(size, len(words) + 1):
        if end - start >= size and words[end - 1].endswith(SENTENCE_ENDS):
            yield (" ".join(words[end - size:end - ANSWER_WORDS]),
                   " ".join(words[end - ANSWER_WORDS:end]))
            start = end


def paragraphs(text):
    """The text's paragraphs: blank-line separated where it has blank lines,
    else runs of PARAGRAPH_SENTENCES sentences of each line."""
    if "\n\n" in text:
        return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    out = []
    for line in text.split("\n"):
        sentence, sentences = [], []
        for word in line.split():
            sentence.append(word)
            if word.endswith(SENTENCE_ENDS):
                sentences.append(" ".join(sentence))
                sentence = []
        if sentence:
            sentences.append(" ".join(sentence))
        for i in range(0, len(sentences), PARAGRAPH_SENTENCES):
            out.append(" ".join(sentences[i:i + PARAGRAPH_SENTENCES]))
    return out


def build(out_dir, train_per_task, val_per_task, seed=1234):
    os.makedirs(os.path.join(out_dir, "pretrain"), exist_ok=True)
    rng = random.Random(seed)
    train, val = [], []
    for task, path in CORPORA.items():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        cut = int(len(text) * (1 - HELD_OUT))
        cut = text.rfind(" ", 0, cut)  # on a word boundary
        corpus_dir = os.path.join(out_dir, "pretrain", task)
        os.makedirs(corpus_dir, exist_ok=True)
        for i, paragraph in enumerate(paragraphs(text[:cut])):
            with open(os.path.join(corpus_dir, f"{i:05d}.txt"), "w",
                      encoding="utf-8") as f:
                f.write(paragraph)
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
    parser.add_argument("--train-per-task", type=int, default=900)
    parser.add_argument("--val-per-task", type=int, default=64)
    args = parser.parse_args()
    build(args.out_dir, args.train_per_task, args.val_per_task)


if __name__ == "__main__":
    main()
