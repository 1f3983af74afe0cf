//===- safetensors.h - read and write safetensors files ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The safetensors format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON
//   {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3],
//    "data_offsets": [begin, end]}, ...}
// padded with spaces, then the data section, which the tensors tile exactly
// (offsets are relative to its start).
//
// The reader trusts nothing: every malformation (short file, absurd header
// length, bad JSON, unknown dtype, bad shape, offsets that overlap, leave gaps,
// run past the end or disagree with dtype x shape, duplicate names...) is a
// Status naming the file, the tensor and the values at fault. It reads with
// pread, not mmap, so a file truncated under it is an error, not SIGBUS.
//
// The writer matches the reference implementation byte for byte: compact
// JSON, "__metadata__" first, tensors ordered by descending dtype alignment
// then name (so every tensor's data is aligned to its element size), header
// padded with spaces to a multiple of 8. It writes atomically (file_io.h).
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(SafetensorsContents c, readSafetensors(path));
//   const HostTensor &wte = c.tensors.at("wte.weight");
//   STRATA_RETURN_IF_ERROR(writeSafetensors(path, c.tensors, c.metadata));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_SAFETENSORS_H
#define STRATA_RUNTIME_IO_SAFETENSORS_H

#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace strata::runtime::io {

class AtomicFileWriter;

/// The largest header the reader accepts, as in the reference (100 MB).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

using SafetensorsMetadata = std::map<std::string, std::string>;

/// One tensor's header entry.
/// Tensors whose dtype the format defines but Strata does not hold (BOOL,
/// U8, I8, I16, U16, U32, U64, F8_*, C64) are validated like the others
/// and marked unsupported: reading one is an error, skipping it (see
/// SafetensorsFilter) is not. Hugging Face checkpoints carry such tensors as
/// non-parameter buffers (GPT-2's BOOL/U8 h.N.attn.bias).
struct SafetensorsEntry {
  std::string name;
  std::string dtypeName; // as spelled in the header
  bool supported = true; // false: |dtype| is meaningless
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0; // data_offsets, relative to the data section
  uint64_t end = 0;
};

/// A validated header: entries sorted by offset, and where data starts.
struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;
  SafetensorsMetadata metadata;
  uint64_t dataStart = 0; // absolute file offset of the data section: 8 + N
  uint64_t fileSize = 0;
};

/// The tensors and the "__metadata__" map of a file.
struct SafetensorsContents {
  TensorMap tensors;
  SafetensorsMetadata metadata;
};

/// Validates the JSON header |json| of |jsonSize| bytes for a file whose data
/// section has |dataSize| bytes. |fileName| prefixes every message.
StatusOr<SafetensorsHeader> parseSafetensorsHeader(const char *json,
                                                   size_t jsonSize,
                                                   uint64_t dataSize,
                                                   const std::string &fileName);

/// Reads and validates only the header of |path| (no tensor data), for
/// callers that read selected tensors themselves.
StatusOr<SafetensorsHeader> inspectSafetensors(const std::string &path);

/// Chooses tensors by name; an empty filter chooses all.
using SafetensorsFilter = std::function<bool(const std::string &name)>;

/// Reads the metadata and every tensor of |path| that |include| chooses
/// (the whole header is validated either way; skipped tensors are not read).
StatusOr<SafetensorsContents>
readSafetensors(const std::string &path,
                const SafetensorsFilter &include = nullptr);

/// Parses a whole safetensors file held in memory; |fileName| names it in
/// messages. Same validation as readSafetensors.
StatusOr<SafetensorsContents>
parseSafetensors(const uint8_t *data, size_t size, const std::string &fileName,
                 const SafetensorsFilter &include = nullptr);

/// The bytes of a safetensors file holding |tensors| and |metadata|, exactly
/// as the reference writer lays them out. Errors for a tensor named
/// "__metadata__" and for names or metadata that are not valid UTF-8.
StatusOr<std::vector<uint8_t>>
encodeSafetensors(const TensorMap &tensors,
                  const SafetensorsMetadata &metadata = {});

/// Writes |tensors| and |metadata| to |path| atomically: `<path>.tmp.<pid>`,
/// fsync, rename over |path|, fsync of the directory. Streams tensor data
/// (no second copy of the checkpoint in memory).
Status writeSafetensors(const std::string &path, const TensorMap &tensors,
                        const SafetensorsMetadata &metadata = {});

/// As writeSafetensors, into |writer| without committing it: a caller that
/// writes several files (a sharded checkpoint) commits them together once
/// all are written.
Status appendSafetensors(AtomicFileWriter &writer, const TensorMap &tensors,
                         const SafetensorsMetadata &metadata = {});

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_SAFETENSORS_H
