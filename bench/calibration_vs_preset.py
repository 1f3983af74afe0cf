#!/usr/bin/env python3
"""A calibration profile's GEMMs against a cluster preset's efficiency curve.

strata-run calibrate (or strata-tune calibrate) writes a profile of measured
kernel times; the presets in frontends/cluster/ClusterPresets.cpp price a
GEMM at a fraction of peak that grows with its FLOPs (interpolated in log
FLOPs, as ClusterDescription::gemmEfficiencyAt does). This prints, for every
measured GEMM, its FLOPs, the measured TFLOP/s and fraction of --peak-tflops,
and the fraction each preset curve assumes, then the median ratio of
measured to assumed per preset: what a calibration changes in the cost
model's compute term (docs/tuning.md).

The curves are read from ClusterPresets.cpp itself, so this script needs only
the repository and Python's standard library (it runs on the GPU machine).

usage: bench/calibration_vs_preset.py PROFILE.json --peak-tflops P
           [--preset dgx-h100 --preset dgx-a100-80gb]
"""
import argparse
import json
import math
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS = os.path.join(ROOT, "frontends", "cluster", "ClusterPresets.cpp")


def preset_curves(path=PRESETS):
    """{preset name: [(flops, fraction), ...]} from the presets' YAML."""
    curves, name = {}, None
    point = re.compile(r"-\s*\{flops:\s*([0-9.eE+-]+),\s*fraction:\s*([0-9.]+)\}")
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*name:\s*(\S+)", line)
            if m:
                name = m.group(1)
                curves[name] = []
                continue
            m = point.search(line)
            if m and name:
                curves[name].append((float(m.group(1)), float(m.group(2))))
    return {k: v for k, v in curves.items() if v}


def fraction_at(curve, flops):
    """ClusterDescription::gemmEfficiencyAt: log-linear, clamped."""
    if flops <= curve[0][0]:
        return curve[0][1]
    for (fa, ea), (fb, eb) in zip(curve, curve[1:]):
        if flops <= fb:
            t = math.log(flops / fa) / math.log(fb / fa)
            return ea + t * (eb - ea)
    return curve[-1][1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", help="a strata-calibration-1 JSON profile")
    parser.add_argument("--peak-tflops", type=float, required=True,
                        help="the device's peak dense TFLOP/s in the "
                             "profile's dtype (H100/H200 SXM bf16: 989)")
    parser.add_argument("--preset", action="append",
                        help="preset curves to compare (default: dgx-h100 "
                             "and dgx-a100-80gb)")
    args = parser.parse_args(argv)
    with open(args.profile) as f:
        profile = json.load(f)
    if profile.get("format") != "strata-calibration-1":
        sys.exit(f"{args.profile}: not a strata-calibration-1 profile "
                 f"(format {profile.get('format')!r})")
    curves = preset_curves()
    names = args.preset or ["dgx-h100", "dgx-a100-80gb"]
    for n in names:
        if n not in curves:
            sys.exit(f"no preset {n!r} in {PRESETS}: {sorted(curves)}")
    gemms = sorted(profile.get("gemm", []),
                   key=lambda g: g["m"] * g["n"] * g["k"])
    if not gemms:
        sys.exit(f"{args.profile}: no GEMMs measured")
    print(f"{args.profile}: {profile.get('device_name')} "
          f"({profile.get('device')}, {profile.get('dtype')}), "
          f"peak {args.peak_tflops:g} TFLOP/s")
    header = "| GEMM (kernel m n k) | FLOPs | ms | TFLOP/s | of peak | " + \
        " | ".join(f"{n} curve" for n in names) + " |"
    print(header)
    print("|" + "---|" * (5 + len(names)))
    ratios = {n: [] for n in names}
    for g in gemms:
        flops = 2.0 * g["m"] * g["n"] * g["k"]
        tflops = flops / g["seconds"] / 1e12
        measured = tflops / args.peak_tflops
        assumed = [fraction_at(curves[n], flops) for n in names]
        for n, a in zip(names, assumed):
            ratios[n].append(measured / a)
        print(f"| {g['kernel']} {g['m']} {g['n']} {g['k']} | {flops:.2e} | "
              f"{g['seconds'] * 1e3:.3f} | {tflops:.1f} | {measured:.2f} | " +
              " | ".join(f"{a:.2f}" for a in assumed) + " |")
    for n in names:
        print(f"{n}: measured / assumed fraction, median "
              f"{statistics.median(ratios[n]):.2f} (min "
              f"{min(ratios[n]):.2f}, max {max(ratios[n]):.2f}) over "
              f"{len(ratios[n])} GEMMs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
