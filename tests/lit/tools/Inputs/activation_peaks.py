"""Compares the activation peaks of `strata-compile --report=memory` outputs.

    activation_peaks.py NAME=REPORT... 

Prints, for each report after the first, `NAME BYTES B RATIO of FIRST: less|equal|more`, so a
FileCheck line can state both the direction and the size of a change (FileCheck cannot compare
numbers itself).
"""
import re
import sys


def peak(path):
    text = open(path).read()
    m = re.search(r"^\s*activation\s+(\d+) B", text, re.M)
    if not m:
        sys.exit(f"{path}: no activation line in:\n{text}")
    return int(m.group(1))


def main():
    reports = [arg.split("=", 1) for arg in sys.argv[1:]]
    if len(reports) < 2 or any(len(r) != 2 for r in reports):
        sys.exit(__doc__)
    (base_name, base_path), rest = reports[0], reports[1:]
    base = peak(base_path)
    print(f"{base_name} {base} B")
    for name, path in rest:
        value = peak(path)
        word = "less" if value < base else "equal" if value == base else "more"
        print(f"{name} {value} B {value / base:.3f} of {base_name}: {word}")


if __name__ == "__main__":
    main()
