"""Sampled strata-run generate on a paged KV cache (strata-compile --kv-block-size) gives the
tokens of the per-row cache, for GPT (learned positions) and Llama (RoPE, grouped-query
attention), at block sizes 16 and 5 (key tiles end at every block), with a pool just large
enough for the rows (--kv-blocks), batched and alone (a padding row writes into the scratch
block), at tensor parallelism 2 under mpirun (the table replicated, the pools split by
key/value groups), and at pipeline parallelism 2 and tp 2 x pp 2 (each stage's layers keep their
own pools; the last stage's logits reach every rank). A pool too small for the prompts is refused with the numbers. Sampling at
temperature 1 among the top 40 with one seed (not greedy, where these briefly trained models
repeat one token) draws each token from the distribution, so a wrong key soon shows as another
token, while f32 rounding (tiles end at blocks) moves the 40 candidates' bounds by far less than
their widths.

    generate_paged_matches_unpaged.py --strata-compile BIN --strata-run BIN [--mpirun BIN]
"""

import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data/corpora/moby-dick.txt"
PROMPTS = ["Call me Ishmael. Some years ago", "The whale"]
# Both models: batch 2, 24 positions (W = 2 blocks of 16 or 5 of 5), prefill chunks of 4; heads
# and groups divisible by tp 2.
MODELS = {
    "gpt": (REPO / "tests/e2e/models/tp-train.yaml", []),
    "llama": (REPO / "examples/tiny-llama.yaml",
              ["model.micro_batch_size=2", "model.global_batch_size=4",
               "model.encoder_seq_length=24", "model.num_layers=2",
               # 50304 rows at tp 1 and 2 (NeMo pads to the multiple x tp)
               "model.make_vocab_size_divisible_by=64"]),
}
NEW_TOKENS = 12


def ids_of(output):
    return [line for line in output.splitlines() if re.match(r"ids:", line)]


def trained_checkpoint(args, work, name, model, overrides, steps):
    train = work / f"{name}-train.strata"
    e2e.compile_artifact(args.strata_compile, model, train, ["--compile-to=training"] + overrides)
    e2e.run([args.strata_run, "train", train, "--data", CORPUS, "--steps", str(steps), "--lr", "3e-3",
             "--checkpoint-dir", work / f"{name}-ck", "--threads", "2",
             "--cache-dir", work / "cache"], env=e2e.strata_env())
    return next((work / f"{name}-ck").glob("step-*")) / "model.safetensors"


def generate(args, artifact, checkpoint, prompts, ranks=1):
    prefix = [] if ranks == 1 else [args.mpirun, "--allow-run-as-root", "--oversubscribe",
                                    "--mca", "pml", "ob1", "--mca", "btl", "self,vader",
                                    "-np", str(ranks)]
    command = prefix + [args.strata_run, "generate", artifact, "--checkpoint", checkpoint,
                        "--max-new-tokens", str(NEW_TOKENS), "--temperature", "1",
                        "--top-k", "40", "--seed", "5",
                        "--print-ids", "--threads", "1"]
    for prompt in prompts:
        command += ["--prompt", prompt]
    return ids_of(e2e.run(command, env={"OMP_NUM_THREADS": "1"}))


def main(argv=None):
    args = e2e.mpi_tool_args(__doc__, argv)
    if args is None:
        return e2e.SKIP
    work = Path(tempfile.mkdtemp(prefix="strata-paged-"))
    failures = []
    try:
        for name, (model, overrides) in MODELS.items():
            checkpoint = trained_checkpoint(args, work, name, model, overrides,
                                            steps=4)
            infer = overrides + ["--mode", "infer", "--prefill-length", "4"]

            def compiled(tag, extra, tp=1, pp=1):
                artifact = work / f"{name}-{tag}.strata"
                parallel = ([f"model.tensor_model_parallel_size={tp}",
                             f"model.pipeline_model_parallel_size={pp}",
                             f"trainer.devices={tp * pp}"] if tp * pp > 1 else [])
                e2e.compile_artifact(args.strata_compile, model, artifact,
                                     infer + parallel + extra)
                return artifact

            unpaged = compiled("unpaged", [])
            want = {len(p): generate(args, unpaged, checkpoint, p)
                    for p in (PROMPTS, PROMPTS[:1])}
            if not all(want.values()):
                failures.append(f"{name}: the unpaged artifact generated nothing")
                continue
            new = [line.split("|")[1].split() for line in want[2]]
            if any(len(set(row)) < 3 for row in new):
                failures.append(f"{name}: the model repeats itself ({want[2]}): a weak check")
            # The generator's rows reach the end of the last prefill chunk or the last fed
            # token, whichever is later (runtime/inference/row_blocks.h): blocks of 5 per row.
            longest = max(len(line.split("|")[0].split()) - 1 for line in want[2])
            last = min(24, max(-(-longest // 4) * 4, longest + NEW_TOKENS)) - 1
            per_row = last // 5 + 1
            # (tag, flags, tp, pp, prompt sets)
            cases = [("b16", ["--kv-block-size", "16"], 1, 1, (PROMPTS, PROMPTS[:1])),
                     ("b5", ["--kv-block-size", "5"], 1, 1, (PROMPTS, PROMPTS[:1])),
                     ("b5-tight", ["--kv-block-size", "5", "--kv-blocks", str(2 * per_row)], 1,
                      1, (PROMPTS,)),
                     ("b5-tp2", ["--kv-block-size", "5"], 2, 1, (PROMPTS, PROMPTS[:1])),
                     ("b5-pp2", ["--kv-block-size", "5"], 1, 2, (PROMPTS, PROMPTS[:1])),
                     ("unpaged-pp2", [], 1, 2, (PROMPTS,)),
                     ("b16-tp2pp2", ["--kv-block-size", "16"], 2, 2, (PROMPTS,))]
            for tag, extra, tp, pp, prompt_sets in cases:
                artifact = compiled(tag, extra, tp, pp)
                for prompts in prompt_sets:
                    got = generate(args, artifact, checkpoint, prompts, ranks=tp * pp)
                    what = f"{name} {tag}, {len(prompts)} prompt(s)"
                    print(f"{what}: {got}")
                    if got != want[len(prompts)]:
                        failures.append(f"{what}: {got} != unpaged {want[len(prompts)]}")
            # One block fewer cannot hold both rows: refused, naming the numbers.
            small = compiled("b5-small", ["--kv-block-size", "5",
                                          "--kv-blocks", str(2 * per_row - 1)])
            expected = (f"the paged KV cache has {2 * per_row - 1} blocks of 5 positions; 2 "
                        f"prompts reaching position {last} need 2 x {per_row} blocks = "
                        f"{2 * per_row}")
            try:
                generate(args, small, checkpoint, PROMPTS)
                failures.append(f"{name}: a pool of {2 * per_row - 1} blocks was not refused")
            except e2e.E2EError as error:
                if expected not in str(error):
                    failures.append(f"{name}: expected '{expected}', got: {error}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        return 1
    print("paged generation equals the per-row cache for GPT and Llama, block sizes 16 and 5, "
          "tight pools, tp 2, pp 2 and tp 2 x pp 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
