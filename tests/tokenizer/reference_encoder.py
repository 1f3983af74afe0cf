# Part of Strata. SPDX-License-Identifier: Apache-2.0
"""GPT-2's reference byte-level BPE encoder, for comparisons.

The algorithm is OpenAI's gpt-2 src/encoder.py
(https://github.com/openai/gpt-2, "Modified MIT License", Copyright (c) 2019
OpenAI): bytes_to_unicode, get_pairs, Encoder.bpe and Encoder.encode are kept
as OpenAI wrote them (a bare `except:` became `except ValueError:`), with the
same pattern compiled by the `regex` module.
Strata adds two things on top, both outside the algorithm:

  * encode_bytes() takes bytes that need not be valid UTF-8: they are decoded
    with "surrogateescape" (each invalid byte becomes a lone surrogate,
    which the pattern puts in [^\\s\\p{L}\\p{N}]) and every piece is encoded
    back the same way, so each invalid byte is encoded as itself;
  * allow_end_of_text=True splits the text at each "<|endoftext|>" first and
    encodes each occurrence as its id (as tiktoken's allowed_special does).

Usage:
  enc = load_encoder("data/gpt2-tokenizer")
  enc.encode("Hello world")        # [15496, 995]
  enc.pieces("a   b")              # ['a', '  ', ' b']
"""

import json
import os

import regex as re

END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode():
    """OpenAI's bytes_to_unicode(): byte -> the character that spells it."""
    bs = (list(range(ord("!"), ord("~") + 1))
          + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    cs = [chr(n) for n in cs]
    return dict(zip(bs, cs))


def get_pairs(word):
    """The set of adjacent symbol pairs of |word| (a tuple of symbols)."""
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


PATTERN = (r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+"""
           r"""| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


class Encoder:
    def __init__(self, encoder, bpe_merges):
        self.encoder = encoder
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.bpe_ranks = dict(zip(bpe_merges, range(len(bpe_merges))))
        self.cache = {}
        self.pat = re.compile(PATTERN)

    def bpe(self, token):
        """OpenAI's Encoder.bpe."""
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        pairs = get_pairs(word)

        if not pairs:
            return token

        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(
                pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break

                if (word[i] == first and i < len(word) - 1
                        and word[i + 1] == second):
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            new_word = tuple(new_word)
            word = new_word
            if len(word) == 1:
                break
            else:
                pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def _encode_text(self, text):
        """OpenAI's Encoder.encode, with pieces encoded by surrogateescape."""
        bpe_tokens = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in
                            token.encode("utf-8", "surrogateescape"))
            bpe_tokens.extend(self.encoder[bpe_token]
                              for bpe_token in self.bpe(token).split(" "))
        return bpe_tokens

    def encode(self, text, allow_end_of_text=False):
        """The ids of the str |text|."""
        if not allow_end_of_text:
            return self._encode_text(text)
        ids = []
        for i, segment in enumerate(text.split(END_OF_TEXT)):
            if i:
                ids.append(self.encoder[END_OF_TEXT])
            ids.extend(self._encode_text(segment))
        return ids

    def encode_bytes(self, data, allow_end_of_text=False):
        """The ids of |data|, which need not be valid UTF-8."""
        return self.encode(data.decode("utf-8", "surrogateescape"),
                           allow_end_of_text)

    def pieces(self, data):
        """The pre-tokenizer's pieces of the bytes |data|, as bytes."""
        text = data.decode("utf-8", "surrogateescape")
        return [piece.encode("utf-8", "surrogateescape")
                for piece in re.findall(self.pat, text)]

    def decode_bytes(self, tokens):
        """The bytes of |tokens| (OpenAI's decode, before its UTF-8 step)."""
        text = "".join(self.decoder[token] for token in tokens)
        return bytes(bytearray(self.byte_decoder[c] for c in text))


def load_encoder(directory):
    """OpenAI's get_encoder, reading <directory>/encoder.json + vocab.bpe."""
    with open(os.path.join(directory, "encoder.json"), "r",
              encoding="utf-8") as f:
        encoder = json.load(f)
    with open(os.path.join(directory, "vocab.bpe"), "r",
              encoding="utf-8") as f:
        bpe_data = f.read()
    bpe_merges = [tuple(merge_str.split())
                  for merge_str in bpe_data.split("\n")[1:-1]]
    return Encoder(encoder=encoder, bpe_merges=bpe_merges)
