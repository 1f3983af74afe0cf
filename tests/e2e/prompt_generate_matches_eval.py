#!/usr/bin/python3
"""Greedy `strata-run generate` of prompt-learning models equals the argmax of the training
artifact's `eval --labels --virtual-tokens` logits step by step (issue 14, "Inference";
docs/prompt-learning.md), for prompt tuning, p-tuning (MLP and LSTM encoders) and LoRA.

For each method, on tests/e2e/models/tiny-train.yaml with two tasks (moby: one marker of 3
virtual tokens; union: two markers of 2, at global rows 3..6):

  1. The description is compiled for training and for inference (`--mode infer
     --prefill-length 4`: the prompts' virtual tokens span prefill chunks).
  2. The checkpoint: a base trained once for all methods (40 steps of `train --data` on
     data/corpora/moby-dick.txt, as generate_matches_eval.py does: a random base ignores its
     context and repeats one token whatever the virtual tokens), the method's adapters from its
     initialization (`train --steps 1 --lr 0 --save`), then 4 AdamW steps of `train --tokens
     --labels --virtual-tokens` at lr 3e-2 on random rows move the adapters. It holds the
     frozen base under its Hugging Face names, the adapters under their Strata names.
  3. `generate --task moby --field context=...` (one request) and `generate --requests`
     (four requests alternating the tasks, so each batch of 2 rows mixes them), greedy,
     `--print-ids`: the printed virtual rows are the templates' (checked against the rows the
     test expects), and each request of the file gives alone what it gives in the mixed batch.
  4. The prompts and their continuations are evaluated in one `eval` call with their virtual
     tokens; at every generated position the eval logits' argmax (within GPT-2's vocabulary)
     is the generated token. LoRA alone has no tasks: plain `--prompt`s, eval without virtual
     tokens. So that the comparison can see them, the adapters must matter: evaluated without
     them (virtual tokens all -1; LoRA's linear_out zeroed), the argmax differs at an eighth of
     the generated positions at least (measured: a fifth to two fifths).

  5. P-tuning generates through tables (docs/prompt-learning.md, "P-tuning tables"): the
     inference artifact reads prompt_table.<task>.weight, which `train --save` writes beside the
     encoders. They are exactly what forward inserts: the same description as prompt tuning,
     its tables taken from the checkpoint, gives eval logits equal bit for bit to p-tuning's.
     A checkpoint without them is refused with the command that adds them (`strata-run
     prompt-tables`), whose tables are the saved ones, bit for bit.
  6. LoRA merged for inference (`--merge-lora`): greedy generation equals the separate
     adapters' token by token.

Needs numpy only (no PyTorch). Exits 1 on a failure.

    /usr/bin/python3 tests/e2e/prompt_generate_matches_eval.py \\
        --strata-compile build/bin/strata-compile --strata-run build/bin/strata-run
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as e2e  # noqa: E402
from e2e_common import E2EError  # noqa: E402

BASE = e2e.E2E / "models" / "tiny-train.yaml"
SEQ = 24           # tiny-train's encoder_seq_length
VOCAB = 50257      # GPT-2's; the model pads to 50304
NEW_TOKENS = 8

TASKS = """
  new_tasks: [moby, union]
  task_templates:
  - taskname: moby
    prompt_template: "<|VIRTUAL_PROMPT_0|> {context} Continue: {answer}"
    total_virtual_tokens: 3
    answer_only_loss: true
    answer_field: answer
  - taskname: union
    prompt_template: "<|VIRTUAL_PROMPT_0|> Speech: {context} <|VIRTUAL_PROMPT_1|> Next: {answer}"
    total_virtual_tokens: 4
    virtual_token_splits: [2, 2]
    answer_only_loss: true
    answer_field: answer
"""
METHODS = {
    "prompt-tuning": "  virtual_prompt_style: prompt-tuning\n" + TASKS,
    "p-tuning-mlp": "  virtual_prompt_style: p-tuning\n"
                    "  p_tuning: {encoder_type: mlp, num_layers: 2, encoder_hidden: 16}\n" + TASKS,
    "p-tuning-lstm": "  virtual_prompt_style: p-tuning\n"
                     "  p_tuning: {encoder_type: lstm, num_layers: 2, encoder_hidden: 32,"
                     " dropout: 0.1}\n" + TASKS,
    "lora": """  peft:
    peft_scheme: lora
    lora_tuning:
      adapter_dim: 4
      alpha: 8
      target_modules: [attention_qkv, attention_dense, mlp_fc1, mlp_fc2]
""",
}

# (task, context); each task's virtual rows as the template places them: moby's 3 before the
# context, union's first 2 before "Speech:", its last 2 before "Next:".
REQUESTS = [("moby", "Call me Ishmael."), ("union", "We the people"),
            ("union", "Four score"), ("moby", "The whale")]
PROMPTS = ["Call me Ishmael. Some years ago", "The whale"]  # LoRA's


def description(method, work):
    path = work / f"{method}.yaml"
    path.write_text(BASE.read_text().rstrip("\n") + "\n" + METHODS[method])
    return path


def parse_ids(output):
    """[(prompt ids, virtual rows, new ids)] of --print-ids lines ("ids: v0 v1 15 | 7 8")."""
    rows = []
    for line in output.splitlines():
        m = re.match(r"ids:([v\d ]*)\|([\d ]*)$", line)
        if not m:
            continue
        ids, virtual = [], []
        for item in m.group(1).split():
            virtual.append(int(item[1:]) if item.startswith("v") else -1)
            ids.append(50256 if item.startswith("v") else int(item))
        rows.append((ids, virtual, [int(t) for t in m.group(2).split()]))
    return rows


def expected_virtual(task, virtual):
    """The virtual rows the template gives, at the positions `virtual` has them."""
    want = {"moby": [0, 1, 2], "union": [3, 4, 5, 6]}[task]
    got = [v for v in virtual if v >= 0]
    if got != want:
        raise E2EError(f"task {task}: the prompt's virtual rows are {got}, the template's {want}")
    if task == "moby" and virtual[:3] != [0, 1, 2]:
        raise E2EError(f"moby's virtual tokens should open the prompt: {virtual}")


def is_adapter(name):
    return (name.startswith("prompt_table.") or name.startswith("prompt_encoder.")
            or ".lora_" in name)


def train_base(args, work):
    """The tiny GPT trained briefly on text: less uniform logits than at initialization."""
    artifact = e2e.compile_artifact(args.strata_compile, BASE, work / "base.strata")
    e2e.run([args.strata_run, "train", artifact, "--data", e2e.REPO / "data/corpora/moby-dick.txt",
             "--steps", "40", "--lr", "3e-3", "--checkpoint-dir", work / "base", "--threads", "2",
             "--cache-dir", work / "cache"], env=e2e.strata_env())
    return e2e.load(next((work / "base").glob("step-*")) / "model.safetensors")


class Case:
    def __init__(self, args, method, work, base):
        self.args, self.method = args, method
        self.work = work / method
        self.work.mkdir()
        self.model = description(method, self.work)
        self.virtual = method != "lora"
        self.train = e2e.compile_artifact(args.strata_compile, self.model,
                                          self.work / "train.strata")
        self.infer = self.work / "infer.strata"
        e2e.run([args.strata_compile, self.model, "--mode", "infer", "--prefill-length", "4",
                 "-o", self.infer])
        self.checkpoint = self.trained_checkpoint(base)

    def batch_files(self, tag, rows, seed):
        """Random tokens and labels, each row's first 3 positions moby's virtual tokens or
        union's first 2 (its last 2 at positions 5-6): every adapter gets a gradient."""
        rng = np.random.default_rng(seed)
        tokens = rng.integers(0, VOCAB, size=(rows, SEQ)).astype(np.int32)
        labels = rng.integers(0, VOCAB, size=(rows, SEQ)).astype(np.int32)
        virtual = np.full((rows, SEQ), -1, np.int32)
        virtual[0::2, 0:3] = [0, 1, 2]
        virtual[1::2, 0:2] = [3, 4]
        virtual[1::2, 5:7] = [5, 6]
        return self.save_batch(tag, tokens, labels, virtual)

    def save_batch(self, tag, tokens, labels, virtual):
        files = []
        for name, array in (("tokens", tokens), ("labels", labels), ("virtual", virtual)):
            files.append(self.work / f"{tag}-{name}.npy")
            np.save(files[-1], array)
        batch = ["--tokens", files[0], "--labels", files[1]]
        return batch + (["--virtual-tokens", files[2]] if self.virtual else [])

    def trained_checkpoint(self, base):
        init = self.work / "init.safetensors"
        e2e.run([self.args.strata_run, "train", self.train, *self.batch_files("init", 4, 2),
                 "--steps", "1", "--lr", "0", "--save", init], env=e2e.strata_env())
        tensors = e2e.load(init)
        if sorted(k for k in tensors if not is_adapter(k)) != sorted(base):
            raise E2EError(f"{self.method}: the base's tensors {sorted(base)} are not the "
                           f"model's {sorted(tensors)}")
        tensors.update(base)
        start = self.work / "start.safetensors"
        e2e.save(tensors, start)
        checkpoint = self.work / "trained.safetensors"
        e2e.run([self.args.strata_run, "train", self.train, "--checkpoint", start,
                 *self.batch_files("train", 16, 3), "--steps", "4", "--lr", "3e-2",
                 "--save", checkpoint], env=e2e.strata_env())
        return checkpoint

    def generate(self, *inputs):
        return parse_ids(e2e.run(
            [self.args.strata_run, "generate", self.infer, "--checkpoint", self.checkpoint,
             *inputs, "--max-new-tokens", NEW_TOKENS, "--temperature", "0", "--print-ids",
             "--threads", "2"], env=e2e.strata_env()))

    def eval_argmax(self, batch, checkpoint):
        out = self.work / "eval.safetensors"
        e2e.run([self.args.strata_run, "eval", self.train, "--checkpoint", checkpoint, *batch,
                 "--out", out], env=e2e.strata_env())
        return np.argmax(e2e.load(out)["logits"][:, :, :VOCAB], axis=-1)

    def check_against_eval(self, rows):
        """Every generated token is the argmax of eval's logits at its position, and the
        adapters change that argmax often enough for the comparison to see them."""
        n = len(rows) + len(rows) % 2  # the micro-batch is 2 rows
        tokens = np.full((n, SEQ), 50256, np.int32)
        labels = np.full((n, SEQ), -1, np.int32)
        virtual = np.full((n, SEQ), -1, np.int32)
        for r, (ids, vt, new) in enumerate(rows):
            sequence = ids + new
            if len(sequence) > SEQ:
                raise E2EError(f"row {r}: {len(sequence)} tokens do not fit seq {SEQ}")
            tokens[r, :len(sequence)] = sequence
            labels[r, :len(sequence) - 1] = sequence[1:]
            virtual[r, :len(vt)] = vt
        argmax = self.eval_argmax(self.save_batch("eval", tokens, labels, virtual),
                                  self.checkpoint)
        if self.virtual:
            without = self.eval_argmax(
                self.save_batch("plain", tokens, labels, np.full_like(virtual, -1)),
                self.checkpoint)
        else:
            zeroed = {k: (np.zeros_like(v) if ".linear_out." in k else v)
                      for k, v in e2e.load(self.checkpoint).items()}
            e2e.save(zeroed, self.work / "no-adapters.safetensors")
            without = self.eval_argmax(self.save_batch("plain", tokens, labels, virtual),
                                       self.work / "no-adapters.safetensors")
        checked = changed = 0
        for r, (ids, _, new) in enumerate(rows):
            for i, token in enumerate(new):
                position = len(ids) - 1 + i
                if argmax[r, position] != token:
                    raise E2EError(f"{self.method} row {r} position {position}: generated "
                                   f"{token}, eval's argmax is {argmax[r, position]}")
                checked += 1
                changed += int(without[r, position] != token)
        if checked == 0:
            raise E2EError(f"{self.method}: nothing was generated")
        if 8 * changed < checked:
            raise E2EError(f"{self.method}: without the adapters eval's argmax changes at "
                           f"{changed} of {checked} generated positions only; the comparison "
                           f"would hardly see them")
        return checked, changed


def prompt_learning(case):
    one = case.generate("--task", "moby", "--field", f"context={REQUESTS[0][1]}")
    path = case.work / "requests.jsonl"
    path.write_text("".join(json.dumps({"taskname": t, "context": c}) + "\n"
                            for t, c in REQUESTS))
    mixed = case.generate("--requests", path)
    if len(one) != 1 or len(mixed) != len(REQUESTS):
        raise E2EError(f"{case.method}: expected 1 and {len(REQUESTS)} rows, got "
                       f"{len(one)} and {len(mixed)}")
    for (task, _), (_, virtual, _) in zip(REQUESTS, mixed):
        expected_virtual(task, virtual)
    if one[0] != mixed[0]:
        raise E2EError(f"{case.method}: the --task request gives {one[0]}, the same request "
                       f"in the mixed batch {mixed[0]}")
    # Each request alone (a batch of one row) gives what it gives beside another task.
    for r, (task, context) in enumerate(REQUESTS[1:3], start=1):
        alone = case.generate("--task", task, "--field", f"context={context}")
        if alone[0] != mixed[r]:
            raise E2EError(f"{case.method}: request {r + 1} alone gives {alone[0]}, in the "
                           f"mixed batch {mixed[r]}")
    if case.args.strata_serve:
        check_served(case, mixed)
    return case.check_against_eval(one + mixed)


def p_tuning_tables(case, work, base):
    """The checkpoint's tables are forward's encoder output, bit for bit; without them generate
    refuses the checkpoint, and `strata-run prompt-tables` restores them."""
    saved = e2e.load(case.checkpoint)
    tables = {k: v for k, v in saved.items() if k.startswith("prompt_table.")}
    if sorted(tables) != ["prompt_table.moby.weight", "prompt_table.union.weight"]:
        raise E2EError(f"{case.method}: the checkpoint's tables are {sorted(tables)}")
    # Prompt tuning with these tables inserts exactly them: its logits are p-tuning's iff the
    # tables are what p-tuning's forward computes.
    tuning = case.work / "as-prompt-tuning.yaml"
    tuning.write_text(BASE.read_text().rstrip("\n") + "\n" + METHODS["prompt-tuning"])
    artifact = e2e.compile_artifact(case.args.strata_compile, tuning,
                                    case.work / "as-prompt-tuning.strata")
    with_tables = dict(base)
    with_tables.update(tables)
    e2e.save(with_tables, case.work / "tables-only.safetensors")
    batch = case.batch_files("exact", 4, 5)
    logits = {}
    for name, train, checkpoint in (("p-tuning", case.train, case.checkpoint),
                                    ("tables", artifact, case.work / "tables-only.safetensors")):
        out = case.work / f"eval-{name}.safetensors"
        e2e.run([case.args.strata_run, "eval", train, "--checkpoint", checkpoint, *batch,
                 "--out", out], env=e2e.strata_env())
        logits[name] = e2e.load(out)["logits"]
    if not np.array_equal(logits["p-tuning"], logits["tables"]):
        raise E2EError(f"{case.method}: eval through the saved tables differs from the encoders' "
                       f"by {np.max(np.abs(logits['p-tuning'] - logits['tables']))}")
    # A checkpoint saved before the tables existed.
    old = {k: v for k, v in saved.items() if not k.startswith("prompt_table.")}
    e2e.save(old, case.work / "old.safetensors")
    try:
        e2e.run([case.args.strata_run, "generate", case.infer, "--checkpoint",
                 case.work / "old.safetensors", "--task", "moby", "--field", "context=x"],
                env=e2e.strata_env())
        raise E2EError(f"{case.method}: generate accepted a checkpoint without tables")
    except E2EError as e:
        if "strata-run prompt-tables" not in str(e) or "prompt_table.moby.weight" not in str(e):
            raise E2EError(f"{case.method}: unclear refusal of a checkpoint without tables: {e}")
    e2e.run([case.args.strata_run, "prompt-tables", case.train, "--checkpoint",
             case.work / "old.safetensors", "--out", case.work / "new.safetensors"],
            env=e2e.strata_env())
    restored = e2e.load(case.work / "new.safetensors")
    if sorted(restored) != sorted(saved) or any(
            not np.array_equal(restored[k], saved[k]) for k in saved):
        raise E2EError(f"{case.method}: prompt-tables does not restore the saved checkpoint")


def lora(case):
    rows = case.generate("--prompt", PROMPTS[0], "--prompt", PROMPTS[1])
    result = case.check_against_eval(rows)
    # Merged at load: the same tokens.
    merged = case.work / "merged.strata"
    e2e.run([case.args.strata_compile, case.model, "--mode", "infer", "--prefill-length", "4",
             "--merge-lora", "-o", merged])
    separate_infer, case.infer = case.infer, merged
    merged_rows = case.generate("--prompt", PROMPTS[0], "--prompt", PROMPTS[1])
    case.infer = separate_infer
    if merged_rows != rows:
        raise E2EError(f"lora: merged generation {merged_rows} differs from separate {rows}")
    return result


def check_served(case, mixed):
    """strata-serve on a paged artifact of the model: the same requests, sent at once as
    `task` + `fields`, give generate's greedy tokens; an unknown task gets 400."""
    import concurrent.futures
    from serve_completions import Server
    paged = case.work / "paged.strata"
    e2e.run([case.args.strata_compile, case.model, "--mode", "infer", "--prefill-length", "4",
             "--kv-block-size", "4", "-o", paged])
    server = Server([case.args.strata_serve, paged, "--checkpoint", case.checkpoint,
                     "--threads", "2", "--model-name", "tiny"], case.work, "serve")
    try:
        def one(request):
            task, context = request
            return server.complete(task=task, fields={"context": context},
                                   max_tokens=int(NEW_TOKENS), temperature=0)
        with concurrent.futures.ThreadPoolExecutor(len(REQUESTS)) as pool:
            answers = list(pool.map(one, REQUESTS))
        for r, ((status, body, _), (_, _, new)) in enumerate(zip(answers, mixed)):
            if status != 200:
                raise E2EError(f"{case.method}: served request {r + 1} got {status}: {body}")
            if body["choices"][0]["token_ids"] != new:
                raise E2EError(f"{case.method}: served request {r + 1} gives "
                               f"{body['choices'][0]['token_ids']}, generate {new}")
        status, body, _ = server.complete(task="squad", fields={"context": "x"})
        if status != 400 or body["error"]["param"] != "task":
            raise E2EError(f"{case.method}: an unknown task got {status}: {body}")
        print(f"{case.method}: strata-serve gives generate's tokens for the {len(REQUESTS)} "
              f"task requests sent at once; an unknown task gets 400", flush=True)
    finally:
        server.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--strata-serve", help="also serve the tasks (strata-serve)")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-prompt-generate-"))
    try:
        base = train_base(args, work)
        for method in args.methods.split(","):
            case = Case(args, method, work, base)
            checked, changed = lora(case) if method == "lora" else prompt_learning(case)
            if method.startswith("p-tuning"):
                p_tuning_tables(case, work, base)
            print(f"{method}: {checked} greedy tokens equal eval's argmax ({changed} of them "
                  f"change without the adapters)"
                  + ("; --merge-lora generates the same" if method == "lora" else
                     "; the requests of a mixed-task batch equal them generated alone")
                  + ("; the saved tables give eval's logits bit for bit, and prompt-tables "
                     "restores them" if method.startswith("p-tuning") else ""),
                  flush=True)
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
