"""Memory truth (issue 13): for 5 random feasible candidates of strata-tune's
--json, the tuner's peak memory equals the largest stage arena that
strata-compile --report=memory prints for the same overrides, exactly.
Usage: tune_memory_truth.py STRATA_COMPILE MODEL.yaml CANDIDATES.json"""
import json
import random
import re
import subprocess
import sys

compile_path, model, candidates_path = sys.argv[1:4]
feasible = [c for c in json.load(open(candidates_path)) if c["feasible"]]
random.seed(13)
picked = random.sample(feasible, min(5, len(feasible)))
assert len(picked) == 5, f"only {len(feasible)} feasible candidates"
for c in picked:
    report = subprocess.run([compile_path, model, *c["overrides"],
                             "--report=memory"], check=True,
                            capture_output=True, text=True).stdout
    arenas = [int(a) for a in re.findall(r"^  arena\s+(\d+) B", report, re.M)]
    assert arenas, report
    label = " ".join(c["overrides"])
    if max(arenas) != c["peak_memory_bytes"]:
        sys.exit(f"MISMATCH {label}: tuner {c['peak_memory_bytes']} "
                 f"compiler {max(arenas)}")
    print(f"EQUAL {c['peak_memory_bytes']} tp{c['tp']} pp{c['pp']} "
          f"vp{c['vp']} dp{c['dp']} mbs{c['micro_batch_size']}")
