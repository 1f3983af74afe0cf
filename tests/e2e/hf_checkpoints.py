#!/usr/bin/python3
"""Hugging Face checkpoints both ways (docs/checkpoints.md).

For examples/tiny-gpt.yaml and examples/tiny-llama.yaml, each trained one step with
`strata-run train --data` (a training checkpoint step-N/):

  1. `strata-run export --format hf` writes a directory: one file, forced into shards with a small
     --max-shard-size, and in bf16. Each is checked against the Hugging Face conventions without
     `transformers`: config.json's keys and values (against the compiled model's configuration,
     vocab_size unpadded), the tensor names and shapes GPT2LMHeadModel / LlamaForCausalLM state
     dicts have (built here from config.json, not from Strata's mapping), every file's
     `{"format": "pt"}` metadata and dtype, the index's weight_map and total_size.
  2. Re-import is bitwise: `export --from DIR` of each export writes the same bytes again (every
     file), the sharded export re-exported as one file equals the single-file export, and
     `strata-run eval --checkpoint DIR` (directory, index file) gives logits and loss bitwise
     equal to the training checkpoint's (on the real vocabulary: the export drops the padding
     rows, which load as zeros).
  3. The PyTorch reference (tests/reference), configured from the exported config.json, loads the
     exported model.safetensors: its logits equal strata-run eval's on the real vocabulary
     (max |a - b| / max |b| <= 1e-4). With `transformers` importable, AutoModelForCausalLM loads
     each export and its logits are compared the same way.
  4. Across layouts: the tiny GPT at tp 2 under mpirun loads the tp 1 export and exports it
     sharded, byte-identical to the tp 1 sharded export (skipped without mpirun).
  5. Checkpoints written by other hands load: a GPT-2 state dict as GPT2LMHeadModel.state_dict()
     spells it (`transformer.` prefix, the attn.bias buffers, the tied lm_head copy), a Llama
     checkpoint sharded into three files with a model.safetensors.index.json and one with a
     LlamaModel's names (no `model.`), all made here from the reference's init, equal the
     reference (logits 1e-4).
  6. Bad input exits non-zero with a message naming what is at fault: an export directory that
     cannot be created, an index naming a shard that is missing.

Exits 1 on failure, 77 (skip) without PyTorch.

    /usr/bin/python3 tests/e2e/hf_checkpoints.py --strata-compile build/bin/strata-compile \\
        --strata-run build/bin/strata-run
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_common as e2e  # noqa: E402
from e2e_common import E2EError  # noqa: E402

MODELS = {"gpt2": e2e.REPO / "examples" / "tiny-gpt.yaml",
          "llama": e2e.REPO / "examples" / "tiny-llama.yaml"}
CORPUS = e2e.REPO / "data" / "corpora" / "state-of-the-union-excerpt.txt"
# Small enough for several shards of either model (their embeddings alone take 26-29 MB).
SHARD_SIZE = "1MB"
LOGITS_TOL = 1e-4


def rel_max(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def safetensors_header(path):
    """(metadata, {name: (dtype, shape)}) of a safetensors file, from its header alone."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    metadata = header.pop("__metadata__", {})
    return metadata, {k: (v["dtype"], tuple(v["shape"])) for k, v in header.items()}


# ------------------------------------------------------------------------------------------------
# Hugging Face conventions, stated from config.json alone


def hf_state_dict_shapes(cfg):
    """{name: shape} of the tensors save_pretrained writes for the config.json `cfg`: the
    model's state_dict() without the non-persistent buffers and without a tied lm_head."""
    out = {}
    if cfg["model_type"] == "gpt2":
        h, f, v, p = cfg["n_embd"], cfg["n_inner"], cfg["vocab_size"], cfg["n_positions"]
        t = "transformer."
        out[t + "wte.weight"] = (v, h)
        out[t + "wpe.weight"] = (p, h)
        for i in range(cfg["n_layer"]):
            b = f"{t}h.{i}."
            for norm in ("ln_1", "ln_2"):
                out[b + norm + ".weight"] = (h,)
                out[b + norm + ".bias"] = (h,)
            out[b + "attn.c_attn.weight"] = (h, 3 * h)   # Conv1D: [in, out]
            out[b + "attn.c_attn.bias"] = (3 * h,)
            out[b + "attn.c_proj.weight"] = (h, h)
            out[b + "attn.c_proj.bias"] = (h,)
            out[b + "mlp.c_fc.weight"] = (h, f)
            out[b + "mlp.c_fc.bias"] = (f,)
            out[b + "mlp.c_proj.weight"] = (f, h)
            out[b + "mlp.c_proj.bias"] = (h,)
        out[t + "ln_f.weight"] = (h,)
        out[t + "ln_f.bias"] = (h,)
    else:
        h, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
        heads, groups = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        hd = cfg.get("head_dim", h // heads)
        out["model.embed_tokens.weight"] = (v, h)
        for i in range(cfg["num_hidden_layers"]):
            b = f"model.layers.{i}."
            out[b + "input_layernorm.weight"] = (h,)
            out[b + "post_attention_layernorm.weight"] = (h,)
            out[b + "self_attn.q_proj.weight"] = (heads * hd, h)
            out[b + "self_attn.k_proj.weight"] = (groups * hd, h)
            out[b + "self_attn.v_proj.weight"] = (groups * hd, h)
            out[b + "self_attn.o_proj.weight"] = (h, heads * hd)
            out[b + "mlp.gate_proj.weight"] = (f, h)
            out[b + "mlp.up_proj.weight"] = (f, h)
            out[b + "mlp.down_proj.weight"] = (h, f)
        out["model.norm.weight"] = (h,)
    if not cfg["tie_word_embeddings"]:
        out["lm_head.weight"] = (cfg["vocab_size"], out.get("transformer.wte.weight",
                                                            out.get("model.embed_tokens.weight"))[1])
    return out


def expected_config(family, strata, dtype):
    """The config.json values the compiled model's configuration `strata` (tfm.config) implies."""
    common = {"vocab_size": strata["vocab_size"], "torch_dtype": dtype,
              "tie_word_embeddings": strata["share_embeddings_and_output_weights"]}
    if family == "gpt2":
        return {**common, "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
                "n_embd": strata["hidden_size"], "n_layer": strata["num_layers"],
                "n_head": strata["num_attention_heads"], "n_inner": strata["ffn_hidden_size"],
                "n_positions": strata["max_position_embeddings"],
                "activation_function": {"gelu": "gelu",
                                        "fast-gelu": "gelu_new"}[strata["activation"]],
                "layer_norm_epsilon": strata["layernorm_epsilon"]}
    return {**common, "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": strata["hidden_size"], "num_hidden_layers": strata["num_layers"],
            "num_attention_heads": strata["num_attention_heads"],
            "num_key_value_heads": strata["num_query_groups"],
            "intermediate_size": strata["ffn_hidden_size"],
            "max_position_embeddings": strata["max_position_embeddings"],
            "rms_norm_eps": strata["layernorm_epsilon"], "rope_theta": strata["rotary_base"],
            "hidden_act": "silu"}


def check_conventions(family, directory, strata, dtype, sharded):
    """Raises E2EError unless `directory` is a save_pretrained directory of the model."""
    where = f"{family} {directory.name}"
    cfg = json.loads((directory / "config.json").read_text())
    wrong = [f"{k}: {cfg.get(k)!r}, expected {v!r}"
             for k, v in expected_config(family, strata, dtype).items() if cfg.get(k) != v]
    if wrong:
        raise E2EError(f"{where}/config.json: " + "; ".join(wrong))
    index_path = directory / "model.safetensors.index.json"
    if sharded:
        if (directory / "model.safetensors").exists() or not index_path.exists():
            raise E2EError(f"{where}: a sharded export needs the index and no model.safetensors")
        index = json.loads(index_path.read_text())
        weight_map = index["weight_map"]
        files = sorted(set(weight_map.values()))
        if len(files) < 3:
            raise E2EError(f"{where}: {len(files)} shards with --max-shard-size {SHARD_SIZE}")
        n = len(files)
        if files != [f"model-{i:05d}-of-{n:05d}.safetensors" for i in range(1, n + 1)]:
            raise E2EError(f"{where}: shard names {files}")
    else:
        if index_path.exists():
            raise E2EError(f"{where}: a single-file export with an index")
        files, weight_map, index = ["model.safetensors"], None, None
    found, total = {}, 0
    want_dtype = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}[dtype]
    for name in files:
        metadata, tensors = safetensors_header(directory / name)
        if metadata.get("format") != "pt":
            raise E2EError(f"{where}/{name}: metadata {metadata} lacks \"format\": \"pt\"")
        for tensor, (tensor_dtype, shape) in tensors.items():
            if tensor_dtype != want_dtype:
                raise E2EError(f"{where}/{name}: {tensor} is {tensor_dtype}, not {want_dtype}")
            if weight_map is not None and weight_map.get(tensor) != name:
                raise E2EError(f"{where}/{name}: holds {tensor}, which the index places in "
                               f"{weight_map.get(tensor)}")
            found[tensor] = shape
            total += int(np.prod(shape)) * {"F32": 4, "BF16": 2, "F16": 2}[tensor_dtype]
    expected = hf_state_dict_shapes(cfg)
    problems = [f"{k}: exported {found.get(k)}, expected {expected.get(k)}"
                for k in sorted(set(found) | set(expected)) if found.get(k) != expected.get(k)]
    if problems:
        raise E2EError(f"{where}: not the {cfg['architectures'][0]} state dict:\n  "
                       + "\n  ".join(problems))
    if index is not None:
        if set(weight_map) != set(found):
            raise E2EError(f"{where}: the weight_map lists other tensors than the shards hold")
        if index["metadata"].get("total_size") != total:
            raise E2EError(f"{where}: total_size {index['metadata'].get('total_size')}, the "
                           f"tensors take {total} bytes")
    return cfg, len(found)


def reference_config(cfg):
    """The tests/reference config of a Hugging Face config.json."""
    if cfg["model_type"] == "gpt2":
        return {"family": "gpt2", "num_layers": cfg["n_layer"], "hidden": cfg["n_embd"],
                "heads": cfg["n_head"], "ffn": cfg["n_inner"], "vocab": cfg["vocab_size"],
                "max_positions": cfg["n_positions"], "eps": cfg["layer_norm_epsilon"],
                "activation": cfg["activation_function"], "bias": True,
                "tie_embeddings": cfg["tie_word_embeddings"]}
    return {"family": "llama", "num_layers": cfg["num_hidden_layers"],
            "hidden": cfg["hidden_size"], "heads": cfg["num_attention_heads"],
            "query_groups": cfg["num_key_value_heads"], "ffn": cfg["intermediate_size"],
            "vocab": cfg["vocab_size"], "eps": cfg["rms_norm_eps"],
            "rope_base": cfg["rope_theta"], "tie_embeddings": cfg["tie_word_embeddings"]}


def same_files(a, b):
    """Raises unless directories a and b hold the same file names with the same bytes."""
    names_a, names_b = sorted(p.name for p in a.iterdir()), sorted(p.name for p in b.iterdir())
    if names_a != names_b:
        raise E2EError(f"{a} holds {names_a}, {b} holds {names_b}")
    for name in names_a:
        if (a / name).read_bytes() != (b / name).read_bytes():
            raise E2EError(f"{a / name} and {b / name} differ")
    return len(names_a)


def transformers_logits(python, directory, tokens, out):
    """Logits of AutoModelForCausalLM.from_pretrained(directory) on tokens[:, :-1], or None when
    `python` has no transformers."""
    script = (
        "import sys, numpy as np, torch, transformers\n"
        "m = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[1],"
        " torch_dtype=torch.float32).eval()\n"
        "t = torch.tensor(np.load(sys.argv[2])[:, :-1].astype(np.int64))\n"
        "with torch.no_grad(): np.save(sys.argv[3], m(t).logits.float().numpy())\n")
    probe = subprocess.run([python, "-c", "import transformers"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    if probe.returncode != 0:
        return None
    e2e.run([python, "-c", script, directory, tokens, out])
    return np.load(out)


# ------------------------------------------------------------------------------------------------


def export_and_reimport(args, family, work, table, transformers_seen):
    env = e2e.strata_env()
    sr = args.strata_run
    model = str(MODELS[family])
    strata = e2e.compile_config(args.strata_compile, model)
    artifact = e2e.compile_artifact(args.strata_compile, model, work / f"{family}.strata")
    run_dir = work / f"{family}-run"
    e2e.run([sr, "train", artifact, "--data", CORPUS, "--steps", "1", "--checkpoint-dir",
             run_dir, "--cache-dir", work / "cache", "--seed", "3"], env=env)
    steps = sorted(run_dir.glob("step-*"))
    if not steps:
        raise E2EError(f"{run_dir}: no training checkpoint")
    step = steps[-1]

    exports = {"hf": [], "hf-sharded": ["--max-shard-size", SHARD_SIZE],
               "hf-bf16": ["--dtype", "bf16"]}
    for name, extra in exports.items():
        e2e.run([sr, "export", artifact, "--from", step, "--format", "hf", "--out",
                 work / f"{family}-{name}", *extra], env=env)
    dirs = {name: work / f"{family}-{name}" for name in exports}
    cfg, count = check_conventions(family, dirs["hf"], strata, "float32", sharded=False)
    check_conventions(family, dirs["hf-sharded"], strata, "float32", sharded=True)
    check_conventions(family, dirs["hf-bf16"], strata, "bfloat16", sharded=False)
    table.add(family, "HF conventions", "tensors checked", count)

    # Re-import, bitwise: the same bytes again, and the same logits.
    again = {"hf": (dirs["hf"], []),
             "hf-sharded": (dirs["hf-sharded"], ["--max-shard-size", SHARD_SIZE]),
             "hf-bf16": (dirs["hf-bf16"], ["--dtype", "bf16"])}
    for name, (source, extra) in again.items():
        out = work / f"{family}-{name}-again"
        e2e.run([sr, "export", artifact, "--from", source, "--format", "hf", "--out", out,
                 *extra], env=env)
        table.add(family, f"re-export {name}", "files differing",
                  0 if same_files(source, out) else 1, 0)
    single = work / f"{family}-from-index"
    e2e.run([sr, "export", artifact, "--from",
             dirs["hf-sharded"] / "model.safetensors.index.json", "--format", "hf",
             "--out", single], env=env)
    same_files(dirs["hf"], single)
    table.add(family, "sharded -> one file", "files differing", 0, 0)

    tokens = work / f"{family}-tokens.npy"
    np.save(tokens, e2e.make_tokens(strata["vocab_size"], rows=strata["micro_batch_size"],
                                    seq=strata["seq_length"], seed=11))
    evals = {}
    for name, checkpoint in (("step", step), ("hf", dirs["hf"]),
                             ("hf-sharded", dirs["hf-sharded"]),
                             ("index", dirs["hf-sharded"] / "model.safetensors.index.json")):
        out = work / f"{family}-eval-{name}.st"
        e2e.run([sr, "eval", artifact, "--checkpoint", checkpoint, "--tokens", tokens,
                 "--out", out], env=env)
        evals[name] = e2e.load(out)
    # The export drops the vocabulary's padding rows (the training checkpoint holds initialized
    # ones) and loading fills them with zeros: the real columns and the loss are compared.
    base = evals["step"]
    vocab = strata["vocab_size"]
    for name in ("hf", "hf-sharded", "index"):
        got = evals[name]
        bitwise = (np.array_equal(got["logits"][..., :vocab], base["logits"][..., :vocab])
                   and np.array_equal(got["loss"], base["loss"]))
        table.add(family, f"eval --checkpoint {name}", "differs from step-N",
                  0 if bitwise else 1, 0)
        table.add(family, f"eval --checkpoint {name}", "padding logits max|a|",
                  float(np.max(np.abs(got["logits"][..., vocab:]), initial=0.0)), 0.0)

    # The reference, configured from config.json alone, on the exported file.
    ref_cfg = work / f"{family}-reference.json"
    ref_cfg.write_text(json.dumps(reference_config(cfg)))
    ref_out = work / f"{family}-reference-eval.st"
    e2e.run([args.python, e2e.REFERENCE_CLI, "eval", "--config", ref_cfg, "--checkpoint",
             dirs["hf"] / "model.safetensors", "--tokens", tokens, "--out", ref_out])
    ref = e2e.load(ref_out)
    table.add(family, "reference logits", "max rel", rel_max(
        base["logits"][..., :vocab], ref["logits"]), LOGITS_TOL)

    for name in ("hf", "hf-sharded"):
        got = transformers_logits(args.python, dirs[name], tokens,
                                  work / f"{family}-transformers-{name}.npy")
        if got is None:
            break
        transformers_seen.append(family)
        table.add(family, f"transformers {name} logits", "max rel",
                  rel_max(base["logits"][..., :vocab], got), LOGITS_TOL)
    return dirs, artifact


def other_hands(args, work, table):
    """A transformer.-prefixed GPT-2 state dict and a hand-sharded Llama checkpoint."""
    env = e2e.strata_env()
    sr = args.strata_run
    for family in ("gpt2", "llama"):
        fam = e2e.FAMILIES[family]
        init = work / f"{family}-init.safetensors"
        e2e.reference(args.python, "init", fam, "--seed", "21", "--out", init)
        hf = e2e.randomize_norms_and_biases(e2e.load(init), seed=22)
        e2e.save(hf, init)
        ref_cfg = json.loads(Path(fam.config).read_text())
        artifact = e2e.compile_artifact(args.strata_compile, str(fam.model),
                                        work / f"{family}-odd.strata")
        tokens = work / f"{family}-odd-tokens.npy"
        odd = e2e.compile_config(args.strata_compile, str(fam.model))
        np.save(tokens, e2e.make_tokens(ref_cfg["vocab"], rows=odd["micro_batch_size"],
                                        seq=odd["seq_length"], seed=23))
        ref_out = work / f"{family}-odd-reference.st"
        e2e.reference(args.python, "eval", fam, "--checkpoint", init, "--tokens", tokens,
                      "--out", ref_out)
        ref = e2e.load(ref_out)
        if family == "gpt2":
            # As GPT2LMHeadModel.state_dict() spells it: the prefix, the causal-mask buffers
            # and the tied lm_head copy.
            state = {"transformer." + k: v for k, v in hf.items()}
            positions = ref_cfg["max_positions"]
            for i in range(ref_cfg["num_layers"]):
                state[f"transformer.h.{i}.attn.bias"] = np.tril(
                    np.ones((positions, positions), dtype=bool))[None, None]
                state[f"transformer.h.{i}.attn.masked_bias"] = np.array(-1e4, dtype=np.float32)
            state["lm_head.weight"] = hf["wte.weight"]
            checkpoints = {"transformer. state dict": work / "gpt2-state-dict.safetensors"}
            e2e.save(state, checkpoints["transformer. state dict"])
        else:
            sharded = work / "llama-hand-sharded"
            sharded.mkdir()
            names = sorted(hf)
            parts = [names[i::3] for i in range(3)]   # interleaved: no shard holds a layer whole
            weight_map = {}
            for i, part in enumerate(parts):
                shard = f"model-{i + 1:05d}-of-00003.safetensors"
                e2e.save({n: hf[n] for n in part}, sharded / shard)
                weight_map.update({n: shard for n in part})
            total = sum(hf[n].nbytes for n in names)
            (sharded / "model.safetensors.index.json").write_text(json.dumps(
                {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2))
            # A LlamaModel's state dict (no "model.") beside the untied head.
            bare = work / "llama-no-model-prefix.safetensors"
            e2e.save({k[len("model."):] if k.startswith("model.") else k: v
                      for k, v in hf.items()}, bare)
            checkpoints = {"sharded directory": sharded,
                           "sharded index": sharded / "model.safetensors.index.json",
                           "names without model.": bare}
        for what, checkpoint in checkpoints.items():
            out = work / f"{family}-odd-eval.st"
            e2e.run([sr, "eval", artifact, "--checkpoint", checkpoint, "--tokens", tokens,
                     "--out", out], env=env)
            got = e2e.load(out)
            table.add(family, what, "logits max rel", rel_max(got["logits"], ref["logits"]),
                      LOGITS_TOL)
            table.add(family, what, "loss |a - b|",
                      abs(float(got["loss"]) - float(ref["loss"])), 1e-5)


def across_layouts(args, work, table, gpt2_dirs):
    """The tiny GPT at tp 2 under mpirun (another padded vocabulary: 50432 rows) loads the
    tp 1 export and exports it sharded; back on one rank that is the tp 1 export, byte for byte."""
    if not shutil.which(args.mpirun):
        print(f"skipped the tp 2 re-export: no {args.mpirun}")
        return
    artifact = e2e.compile_artifact(args.strata_compile, str(MODELS["gpt2"]),
                                    work / "gpt2-tp2.strata",
                                    ["model.tensor_model_parallel_size=2", "trainer.devices=2"])
    mpirun = [args.mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1",
              "--mca", "btl", "self,vader", "-np", "2"]
    sharded = work / "gpt2-tp2-sharded"
    e2e.run(mpirun + [args.strata_run, "export", artifact, "--from", gpt2_dirs["hf"],
                      "--format", "hf", "--max-shard-size", SHARD_SIZE, "--out", sharded],
            env=e2e.strata_env(1))
    same_files(gpt2_dirs["hf-sharded"], sharded)
    table.add("gpt2", "tp 2 re-export (mpirun)", "files differing", 0, 0)


def expect_failure(cmd, must_contain, env):
    """Runs cmd; raises unless it exits non-zero (not by a signal) and its stderr holds every
    string of must_contain."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **env})
    if proc.returncode <= 0:
        raise E2EError(f"expected an error exit from {' '.join(cmd)}, got {proc.returncode}")
    missing = [s for s in must_contain if s not in proc.stderr]
    if missing:
        raise E2EError(f"{' '.join(cmd)}: the message lacks {missing}:\n{proc.stderr}")
    return proc.stderr.strip().splitlines()[-1]


def bad_input(args, work, table, artifact, sharded):
    env = e2e.strata_env()
    sr = args.strata_run
    step = sorted((work / "gpt2-run").glob("step-*"))[-1]
    blocker = work / "a-file"
    blocker.write_text("not a directory")
    out = blocker / "export"
    expect_failure([sr, "export", artifact, "--from", step, "--format", "hf", "--out", out],
                   [f"cannot create the checkpoint directory {out}"], env)
    table.add("gpt2", "export into a file", "error names the directory", 0, 0)
    broken = work / "gpt2-broken-index"
    shutil.copytree(sharded, broken)
    index = json.loads((broken / "model.safetensors.index.json").read_text())
    shard = sorted(set(index["weight_map"].values()))[-1]
    tensor = sorted(n for n, s in index["weight_map"].items() if s == shard)[0]
    (broken / shard).unlink()
    expect_failure([sr, "eval", artifact, "--checkpoint", broken, "--tokens",
                    work / "gpt2-tokens.npy", "--out", work / "never.st"],
                   [str(broken / "model.safetensors.index.json"), tensor, shard,
                    "does not exist"], env)
    table.add("gpt2", "index naming a missing shard", "error names index, tensor, shard", 0, 0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--keep", help="keep the work files in this directory")
    args = p.parse_args(argv)
    e2e.check_torch(args.python)
    work = Path(args.keep or tempfile.mkdtemp(prefix="strata-hf-"))
    work.mkdir(parents=True, exist_ok=True)
    table = e2e.Table(where_header="")
    transformers_seen = []
    try:
        gpt2_dirs, gpt2_artifact = export_and_reimport(args, "gpt2", work, table,
                                                       transformers_seen)
        export_and_reimport(args, "llama", work, table, transformers_seen)
        across_layouts(args, work, table, gpt2_dirs)
        other_hands(args, work, table)
        bad_input(args, work, table, gpt2_artifact, gpt2_dirs["hf-sharded"])
    except E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        if not args.keep:
            print(f"work files kept in {work}", file=sys.stderr)
        return 1
    table.print()
    if not transformers_seen:
        print(f"(transformers is not importable by {args.python}: the exports were checked "
              f"against the conventions and the reference only)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if table.failures():
        table.print_failures()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
