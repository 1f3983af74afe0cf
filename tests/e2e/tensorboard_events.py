"""TensorBoard event files (issue 16): `strata-run train` writes events.out.tfevents.* beside
metrics.jsonl; every record's two CRCs check out, the first is file_version "brain.Event:2", and
every scalar of metrics.jsonl (loss, lr, grad_norm, tokens_per_s, val_loss; f16's loss_scale and
skipped_steps) is in the events at its step with the same value (as float32, TensorBoard's type).

    tensorboard_events.py --strata-compile BIN --strata-run BIN --protoc BIN

Decoding is independent of Strata's C++: a bitwise CRC-32C here, and protoc's Python classes of
runtime/training/tensorboard/event.proto (Debian's python3-protobuf). Exit 77 (skipped) without
protoc or python3-protobuf.
"""

import argparse
import importlib
import json
import math
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

MODEL = e2e.REPO / "tests" / "e2e" / "models" / "tiny-train.yaml"
CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
PROTO = e2e.REPO / "runtime" / "training" / "tensorboard" / "event.proto"
METRIC_KEYS = ["loss", "lr", "grad_norm", "tokens_per_s", "val_loss", "loss_scale",
               "skipped_steps"]


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = Path(path).read_bytes()
    at = 0
    while at < len(data):
        if at + 12 > len(data):
            raise e2e.E2EError(f"{path}: truncated record header at byte {at}")
        length_bytes = data[at:at + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if length_crc != masked(crc32c(length_bytes)):
            raise e2e.E2EError(f"{path}: bad length CRC at byte {at}")
        payload = data[at + 12:at + 12 + length]
        (payload_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if len(payload) != length or payload_crc != masked(crc32c(payload)):
            raise e2e.E2EError(f"{path}: bad payload CRC at byte {at}")
        yield payload
        at += 16 + length


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def check_run(directory, event_pb2, label):
    files = sorted(Path(directory).glob("events.out.tfevents.*"))
    if len(files) != 1:
        raise e2e.E2EError(f"{label}: expected one event file in {directory}, got {files}")
    scalars = {}  # (step, tag) -> value
    payloads = list(records(files[0]))
    first = event_pb2.Event.FromString(payloads[0])
    if first.file_version != "brain.Event:2":
        raise e2e.E2EError(f"{label}: the first record is not file_version brain.Event:2: {first}")
    for payload in payloads[1:]:
        event = event_pb2.Event.FromString(payload)
        for value in event.summary.value:
            scalars[(event.step, value.tag)] = value.simple_value
    found = set()
    for line in (Path(directory) / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        for key in METRIC_KEYS:
            if key not in record:
                continue
            got = scalars.get((record["step"], key))
            # metrics.jsonl writes a non-finite value (an f16 overflow's gradient norm) as null.
            want = record[key]
            same = got is not None and (not math.isfinite(got) if want is None
                                        else got == f32(float(want)))
            if not same:
                raise e2e.E2EError(f"{label}: step {record['step']} {key}: metrics.jsonl "
                                   f"{record[key]!r}, event file {got!r}")
            found.add(key)
    print(f"{label}: {len(payloads)} records, CRCs good; {sorted(found)} at every step of "
          "metrics.jsonl")
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--protoc", default=shutil.which("protoc"))
    p.add_argument("--python", default=sys.executable)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="strata-tensorboard-"))
    try:
        try:
            importlib.import_module("google.protobuf")
        except ImportError:
            print("SKIP: python3-protobuf is not installed")
            return 77
        if not args.protoc:
            print("SKIP: protoc is not installed")
            return 77
        subprocess.run([args.protoc, f"-I{PROTO.parent}", f"--python_out={work}", str(PROTO)],
                       check=True)
        sys.path.insert(0, str(work))
        event_pb2 = importlib.import_module("event_pb2")
        found = set()
        for label, overrides in [("f32", []),
                                 ("f16", ["trainer.precision=16-mixed",
                                          "model.precision=16-mixed"])]:
            artifact = work / f"{label}.strata"
            e2e.run([args.strata_compile, MODEL, "--compile-to=training", *overrides,
                     "-o", artifact])
            e2e.run([args.strata_run, "train", artifact, "--data", CORPUS, "--steps", "6",
                     "--eval-every", "3", "--eval-steps", "1", "--cache-dir", work / "cache",
                     "--threads", "2", "--checkpoint-dir", work / label])
            found |= check_run(work / label, event_pb2, label)
        if found != set(METRIC_KEYS):
            raise e2e.E2EError(f"scalars never logged: {sorted(set(METRIC_KEYS) - found)}")
    except e2e.E2EError as error:
        print(f"FAIL: {error}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
