#!/usr/bin/env python3
# Part of Strata. SPDX-License-Identifier: Apache-2.0
"""Holds Strata's GPT-2 tokenizer against the Python reference.

  compare_with_reference.py --tool strata-tokenizer-check --vocab DIR \\
      --cases tests/tokenizer/test_set.jsonl [--random N] [--seed S]
  compare_with_reference.py --tool ... --vocab DIR --file corpus.txt
  compare_with_reference.py --vocab DIR --cases FILE --record

--cases: every case of the JSON-lines file ({"name", "text" or "hex",
optional "allow_end_of_text", "ids"}), then N random strings (mixed scripts,
white space of every kind, contractions, digits, emoji, invalid bytes,
"<|endoftext|>"), must give the reference's ids and pieces; a case's
recorded "ids" must be the reference's too (the C++ unit tests check them
without Python). --record rewrites the "ids" of every case from the
reference. --file: the ids of a whole file must be the reference's
(--skip-if-missing: skip when the file is absent).

Exit 0: all equal; 1: a difference (the first few are printed); 77 (skip):
the `regex` module is missing.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "..", "runtime", "tokenizer",
                     "unicode_classes_table.cc")


def table_unicode_version():
    with open(TABLE, encoding="utf-8") as f:
        text = f.read()
    at = text.find("(Unicode ")
    return text[at + 9:text.find(")", at)] if at >= 0 else None


def regex_unicode_version():
    sys.path.insert(0, os.path.join(HERE, "..", "..", "runtime", "tokenizer"))
    import gen_unicode_tables
    import regex
    return gen_unicode_tables.unicode_version(regex)


def load_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            case = json.loads(line)
            if "hex" in case:
                case["bytes"] = bytes.fromhex(case["hex"])
            else:
                case["bytes"] = case["text"].encode("utf-8")
            case["line"] = number
            cases.append(case)
    return cases


def record(path, cases, encoder):
    lines = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for case in cases:
        ids = encoder.encode_bytes(case["bytes"],
                                   case.get("allow_end_of_text", False))
        raw = lines[case["line"] - 1].rstrip()
        obj = json.loads(raw)
        obj["ids"] = ids
        # Keep the hand-written spelling of the text: replace the ids only.
        at = raw.find(', "ids": [')
        if at >= 0:
            raw = raw[:at] + "}"
        lines[case["line"] - 1] = raw[:-1] + ', "ids": ' + json.dumps(ids) + "}"
        assert json.loads(lines[case["line"] - 1]) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("compare_with_reference: recorded ids of %d cases in %s"
          % (len(cases), path))


# Characters the random strings are made of, by kind.
ASCII = [chr(c) for c in range(0x20, 0x7F)] + ["'"] * 10
SPACES = [" "] * 6 + ["\n"] * 4 + ["\t", "\r", "\r\n", "\x0b", "\x0c",
                                    "\x1c", "\x1f", "\x85", "\xa0", "\u1680",
                                    "\u2000", "\u2007", "\u200a", "\u200b",
                                    "\u2028", "\u2029", "\u202f", "\u205f",
                                    "\u3000", "\ufeff", "\x00"]
FRAGMENTS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL",
             "<|endoftext|>", "<|endoftext", "endoftext|>", "<|", "|>",
             " the", " and", "ing", "tion", "  ", "...", "!!", "123", " 4",
             "\u200d", "\ufe0f", "\U0001f3fd"]
OTHER = list("éñüßøåçÆŒÐÞ" "αβγΩ" "жЖщЯ" "אבג" "ابتث" "ँंअआक्" "กขฃ" "中文字漢"
             "ひらカタ" "한글" "٠١٢" "०१" "²³½Ⅻ①" "\u0301\u0308\u064e\u05b0"
             "—–‘’“”«»…•€£¥©®™°±×÷→∑∞" "🐍🚀👍😀🇺🇸❤") + [
    "\U00020000", "\U0001d400", "\ufffd", "\ue000", "\u0378", "\uffff"]


def random_bytes(rng, all_code_points):
    parts = []
    for _ in range(rng.randint(0, 24)):
        kind = rng.random()
        if kind < 0.30:
            ch = rng.choice(ASCII)
        elif kind < 0.50:
            ch = rng.choice(SPACES)
        elif kind < 0.65:
            ch = rng.choice(FRAGMENTS)
        elif kind < 0.85:
            ch = rng.choice(OTHER)
        elif kind < 0.93 and all_code_points:
            cp = rng.randrange(0x110000)
            ch = chr(cp) if not 0xD800 <= cp < 0xE000 else "\ud7ff"
        else:
            parts.append(bytes([rng.randrange(0x80, 0x100)]))
            continue
        parts.append(ch.encode("utf-8"))
    return b"".join(parts)


def run_tool(tool, vocab, data_list, allow_end_of_text):
    command = [tool, "--vocab", vocab, "--cases", "--pieces"]
    if allow_end_of_text:
        command.append("--allow-end-of-text")
    stdin = "".join(data.hex() + "\n" for data in data_list)
    result = subprocess.run(command, input=stdin.encode(),
                            stdout=subprocess.PIPE, check=True)
    lines = result.stdout.decode().split("\n")[:-1]
    assert len(lines) == len(data_list), (len(lines), len(data_list))
    out = []
    for line in lines:
        ids, lengths = line.split("|")
        out.append(([int(x) for x in ids.split()],
                    [int(x) for x in lengths.split()]))
    return out


def compare_cases(args, encoder):
    cases = load_cases(args.cases)
    if args.record:
        record(args.cases, cases, encoder)
        return 0
    table, live = table_unicode_version(), regex_unicode_version()
    all_code_points = table == live
    if not all_code_points:
        print("compare_with_reference: note: the tables are for Unicode %s, "
              "this regex has Unicode %s; random strings avoid code points "
              "that may differ" % (table, live))
    rng = random.Random(args.seed)
    items = [(c["name"], c["bytes"], c.get("allow_end_of_text", False),
              c.get("ids")) for c in cases]
    for i in range(args.random):
        data = random_bytes(rng, all_code_points)
        items.append(("random %d (seed %d)" % (i, args.seed), data,
                      i % 2 == 1, None))
    failures = []
    for allow in (False, True):
        group = [item for item in items if item[2] == allow]
        got = run_tool(args.tool, args.vocab, [item[1] for item in group],
                       allow)
        for (name, data, _, recorded), (ids, lengths) in zip(group, got):
            want_ids = encoder.encode_bytes(data, allow)
            want_lengths = [len(p) for p in encoder.pieces(data)]
            if lengths != want_lengths:
                failures.append("%s: %r\n  pieces %s\n  reference %s" % (
                    name, data, lengths, want_lengths))
            elif ids != want_ids:
                failures.append("%s: %r\n  ids %s\n  reference %s" % (
                    name, data, ids, want_ids))
            elif recorded is not None and recorded != want_ids:
                failures.append("%s: recorded ids %s are not the reference's"
                                " %s (rerun with --record)" % (
                                    name, recorded, want_ids))
            if encoder.decode_bytes(want_ids) != data:
                failures.append("%s: the reference does not round-trip %r"
                                % (name, data))
    for failure in failures[:10]:
        print("MISMATCH " + failure)
    print("compare_with_reference: %d cases from %s and %d random strings, "
          "%d mismatches (regex %s, Unicode %s)"
          % (len(cases), os.path.basename(args.cases), args.random,
             len(failures), encoder.regex_version, live))
    return 1 if failures else 0


def compare_file(args, encoder):
    if args.skip_if_missing and not os.path.exists(args.file):
        print("compare_with_reference: %s is absent; skipping" % args.file)
        return SKIP
    with open(args.file, "rb") as f:
        data = f.read()
    start = time.time()
    want = encoder.encode_bytes(data)
    reference_seconds = time.time() - start
    result = subprocess.run([args.tool, "--vocab", args.vocab, args.file],
                            stdout=subprocess.PIPE, check=True)
    got = [int(x) for x in result.stdout.split()]
    if got == want:
        print("compare_with_reference: %s: %d bytes, %d ids, identical "
              "(reference took %.1f s)" % (args.file, len(data), len(want),
                                           reference_seconds))
        return 0
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
              min(len(got), len(want)))
    print("MISMATCH %s: %d ids, reference %d; first difference at id %d:\n"
          "  strata    %s\n  reference %s" % (
              args.file, len(got), len(want), at, got[at:at + 12],
              want[at:at + 12]))
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tool", help="strata-tokenizer-check")
    parser.add_argument("--vocab", required=True,
                        help="directory with encoder.json and vocab.bpe")
    parser.add_argument("--cases", help="JSON-lines test set")
    parser.add_argument("--file", help="a file to encode whole")
    parser.add_argument("--skip-if-missing", action="store_true",
                        help="with --file: skip (77) when the file is absent")
    parser.add_argument("--random", type=int, default=3000,
                        help="random strings after the cases")
    parser.add_argument("--seed", type=int, default=20240229)
    parser.add_argument("--record", action="store_true",
                        help="rewrite the cases' ids from the reference")
    args = parser.parse_args()
    try:
        import regex
    except ImportError:
        print("compare_with_reference: the Python `regex` module is missing "
              "(apt-get install python3-regex); skipping")
        return SKIP
    sys.path.insert(0, HERE)
    from reference_encoder import load_encoder
    encoder = load_encoder(args.vocab)
    encoder.regex_version = regex.__version__
    if not args.record and not args.tool:
        parser.error("--tool is required")
    if args.cases:
        return compare_cases(args, encoder)
    if args.file:
        return compare_file(args, encoder)
    parser.error("give --cases or --file")


if __name__ == "__main__":
    sys.exit(main())
