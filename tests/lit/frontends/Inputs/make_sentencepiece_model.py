#!/usr/bin/python3
"""Writes a SentencePiece ModelProto with N pieces to PATH (usage: N PATH).

Llama's tokenizer.model is Meta's and is not on these machines; Strata only counts the pieces
(repeated field 1 of ModelProto), so a model with the same number of pieces stands in for it.
Wire format as sentencepiece_model.proto defines it: each piece is a SentencePiece message
{1: piece (string), 2: score (float), 3: type (enum)}; a trainer_spec (field 2) with
vocab_size (field 4) follows, as in real models.
"""
import os
import struct
import sys


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def main():
    count, path = int(sys.argv[1]), sys.argv[2]
    specials = [("<unk>", 2), ("<s>", 3), ("</s>", 3)]
    body = bytearray()
    for i in range(count):
        text, kind = specials[i] if i < len(specials) else ("\u2581t%d" % i, 1)
        piece = (field(1, 2, text.encode()) + field(2, 5, struct.pack("<f", -float(i)))
                 + field(3, 0, varint(kind)))
        body += field(1, 2, piece)
    body += field(2, 2, field(4, 0, varint(count)))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
