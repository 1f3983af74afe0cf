#!/bin/bash
# One check of scripts/gpu-check.sh: tp 2 on one GPU (the MPI fallback:
# NCCL refuses two ranks on one GPU) equals one rank within the f32 bounds.
# The tiny GPT compiled here by scripts/gpu-bundle.sh at tensor parallel 2
# (tiny-gpt-f32-tp2-<device>.strata: the same model, vocabulary padded as at
# tp 1) trains 20 steps on Moby-Dick, dropout on (masks are drawn by global
# element index, so tp 2 drops what tp 1 drops), under the bundle's mpirun
# (bin/mpirun: its own Open MPI, no MPI installation needed), and its losses
# (metrics JSONL) are compared step by step with one rank's on the same
# device: max |a - b| / max |b| <= 1e-5, the f32 bound and measure of
# tests/e2e/parallel_equivalence.py.
# Usage: scripts/gpu-check-tp2.sh [DEVICE [LOG-DIR]]   DEVICE: cuda (default) or
#   cpu (the same mechanics without a GPU: scripts/gpu-bundle-selftest.sh).
# Environment: STRATA_BUNDLE (default ./gpu-bundle), STRATA_BUNDLE_LIBPATH
# (the library path gpu-check.sh builds: the bundle's lib and the CUDA
# libraries' folders), STRATA_TP2_STEPS (default 20).
# The last line printed is the result; exit status 0 when it passed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${STRATA_BUNDLE:-$root/gpu-bundle}
device=${1:-cuda}
work=${2:-${OUT:-/tmp}/gpu-check/tp2}
steps=${STRATA_TP2_STEPS:-20}
fail() { echo "tp 2 ($device): FAILED: $1"; exit 1; }
for f in bin/mpirun bin/run-bundled artifacts/tiny-gpt-f32-$device.strata \
         artifacts/tiny-gpt-f32-tp2-$device.strata; do
  [ -e "$bundle/$f" ] || fail "no $bundle/$f (rerun scripts/gpu-bundle.sh)"
done
mkdir -p "$work" && rm -f "$work"/tp*.jsonl
# A rank that waits for a peer gives up after a minute, not five.
export STRATA_COMM_TIMEOUT_S=${STRATA_COMM_TIMEOUT_S:-60}
export STRATA_BUNDLE_LIBPATH=${STRATA_BUNDLE_LIBPATH:-$bundle/lib}
args=(--device "$device" train --data "$root/data/corpora/moby-dick.txt"
      --tokenizer "$root/data/gpt2-tokenizer" --cache-dir "$work/cache" --steps "$steps"
      --lr 3e-3 --warmup-steps $((steps < 5 ? steps : 5)) --clip-grad 1.0 --log-every 5)
# Two CPU ranks share the cores: one kernel thread each, and the same for
# the single rank (the same summation order).
[ "$device" = cpu ] && args+=(--threads 1)

# One rank first (it also tokenizes the corpus into the cache both runs read).
timeout -k 10 600 "$bundle/bin/run-bundled" "$bundle/bin/strata-run" "${args[@]}" \
  "$bundle/artifacts/tiny-gpt-f32-$device.strata" --metrics "$work/tp1.jsonl" \
  > "$work/tp1.log" 2>&1 || { tail -5 "$work/tp1.log"; fail "1 rank: strata-run failed (log: $work/tp1.log)"; }
timeout -k 10 600 "$bundle/bin/mpirun" -np 2 strata-run "${args[@]}" \
  "$bundle/artifacts/tiny-gpt-f32-tp2-$device.strata" --metrics "$work/tp2.jsonl" \
  > "$work/tp2.log" 2>&1 || { tail -15 "$work/tp2.log"; fail "mpirun -np 2 strata-run failed (log: $work/tp2.log)"; }

python3 - "$work/tp1.jsonl" "$work/tp2.jsonl" "$steps" "$device" <<'PY'
import json, sys
def losses(path):
    try:
        return [r["loss"] for r in map(json.loads, open(path)) if "loss" in r]
    except OSError:
        return []
one, two, steps, device = losses(sys.argv[1]), losses(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if len(one) != steps or len(two) != steps:
    print(f"tp 2 ({device}): FAILED: {len(one)} steps at 1 rank and {len(two)} at tp 2, expected {steps}")
    sys.exit(1)
for i, (a, b) in enumerate(zip(two, one), 1):
    print(f"step {i:3d}: tp 2 {a:.7f}  1 rank {b:.7f}  |diff| {abs(a - b):.2e}")
worst = max(abs(a - b) for a, b in zip(two, one)) / (max(abs(b) for b in one) or 1.0)
ok = worst <= 1e-5
print(f"tp 2 on one {'GPU' if device == 'cuda' else device} (2 ranks, the bundle's mpirun) vs 1 rank, "
      f"f32, {steps} steps, dropout on: max-rel loss difference {worst:.2e} (bound 1e-5)"
      + ("" if ok else ": FAILED"))
sys.exit(0 if ok else 1)
PY
