//===- safetensors.cc - read and write safetensors files ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/safetensors.h"

#include "runtime/io/file_io.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>

namespace strata::runtime::io {

using json = nlohmann::json;

namespace {

// Deeper nesting than this cannot be a valid header (which nests three
// levels); refusing it before parsing bounds the parser's memory and keeps
// pathological inputs ("[[[[...") cheap.
constexpr int kMaxHeaderNesting = 16;

const char *const kSupportedDTypes = "F32, F64, BF16, F16, I32, I64";

// Returns the DType spelled |name| in a safetensors header, if supported.
bool parseDType(const std::string &name, DType &out) {
  static const std::pair<const char *, DType> kNames[] = {
      {"F32", DType::F32},   {"F64", DType::F64}, {"BF16", DType::BF16},
      {"F16", DType::F16},   {"I32", DType::I32}, {"I64", DType::I64}};
  for (const auto &[spelling, dtype] : kNames)
    if (name == spelling) {
      out = dtype;
      return true;
    }
  return false;
}

// The element size of a dtype the format defines but Strata does not hold;
// 0 when |name| is not one (or is a packed sub-byte type).
size_t unsupportedDTypeSize(const std::string &name) {
  static const std::pair<const char *, size_t> kNames[] = {
      {"BOOL", 1},    {"U8", 1},      {"I8", 1},      {"I16", 2},
      {"U16", 2},     {"U32", 4},     {"U64", 8},     {"F8_E5M2", 1},
      {"F8_E4M3", 1}, {"F8_E8M0", 1}, {"C64", 8}};
  for (const auto &[known, size] : kNames)
    if (name == known)
      return size;
  return 0;
}

bool isPackedSubByteDType(const std::string &name) {
  return name == "F4" || name == "F6_E2M3" || name == "F6_E3M2";
}

// The reference writer's order: descending dtype (its enum is in increasing
// alignment: ... F16, BF16, I32, U32, F32, F64, I64, U64), then name.
int referenceDTypeRank(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return 0;
  case DType::BF16:
    return 1;
  case DType::I32:
    return 2;
  case DType::F32:
    return 3;
  case DType::F64:
    return 4;
  case DType::I64:
    return 5;
  case DType::I8: // never read or written here
    return 6;
  }
  return 0;
}

// A JSON value's type in words, for messages.
std::string describe(const json &value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::object:
    return "an object";
  case json::value_t::array:
    return "an array";
  case json::value_t::string:
    return "the string " + value.dump();
  case json::value_t::boolean:
    return value.get<bool>() ? "true" : "false";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
    return "the number " + value.dump();
  default:
    return "an unsupported value";
  }
}

// Quotes |name| for messages (JSON-escaped, so control characters and
// invalid bytes stay printable).
std::string quote(const std::string &name) {
  return json(name).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The largest nesting depth of |text| outside string literals.
int nestingDepth(const char *text, size_t size) {
  int depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (size_t i = 0; i < size; ++i) {
    char c = text[i];
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '{' || c == '[')
      deepest = std::max(deepest, ++depth);
    else if (c == '}' || c == ']')
      --depth;
  }
  return deepest;
}

// Reads a JSON non-negative integer that must fit in int64.
bool asNonNegative(const json &value, int64_t &out) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX))
      return false;
    out = static_cast<int64_t>(v);
    return true;
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < 0)
      return false;
    out = v;
    return true;
  }
  return false;
}

// Validates one tensor entry |value| named |name|.
Status parseEntry(const std::string &file, const std::string &name,
                  const json &value, uint64_t dataSize,
                  SafetensorsEntry &entry) {
  const std::string where = file + ": tensor " + quote(name);
  if (!value.is_object())
    return Status::dataLoss(where +
                            ": expected an object with dtype, shape and "
                            "data_offsets, got " +
                            describe(value));
  for (const auto &item : value.items())
    if (item.key() != "dtype" && item.key() != "shape" &&
        item.key() != "data_offsets")
      return Status::dataLoss(where + ": unknown field " + quote(item.key()) +
                              " (expected dtype, shape and data_offsets)");
  for (const char *field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field))
      return Status::dataLoss(where + ": missing field \"" + field + "\"");
  entry.name = name;

  const json &dtype = value["dtype"];
  if (!dtype.is_string())
    return Status::dataLoss(where + ": dtype must be a string, got " +
                            describe(dtype));
  const std::string dtypeName = dtype.get<std::string>();
  entry.dtypeName = dtypeName;
  size_t elementSize = 0;
  if (parseDType(dtypeName, entry.dtype)) {
    entry.supported = true;
    elementSize = dtypeSize(entry.dtype);
  } else if ((elementSize = unsupportedDTypeSize(dtypeName)) != 0) {
    entry.supported = false;
  } else if (isPackedSubByteDType(dtypeName)) {
    return Status::invalidArgument(where + ": dtype " + dtypeName +
                                   " is not supported (supported: " +
                                   kSupportedDTypes + ")");
  } else {
    return Status::dataLoss(where + ": unknown dtype " + quote(dtypeName));
  }

  const json &shape = value["shape"];
  if (!shape.is_array())
    return Status::dataLoss(where + ": shape must be an array, got " +
                            describe(shape));
  entry.shape.clear();
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t dim;
    if (!asNonNegative(shape[i], dim))
      return Status::dataLoss(where + ": shape " + shape.dump() +
                              " has dimension " + shape[i].dump() +
                              " at index " + std::to_string(i) +
                              "; expected a non-negative integer");
    entry.shape.push_back(dim);
  }
  int64_t elements = 0, bytes = 0;
  {
    StatusOr<int64_t> count = checkedNumElements(entry.shape);
    if (!count.isOk() ||
        __builtin_mul_overflow(count.value(),
                               static_cast<int64_t>(elementSize), &bytes))
      return Status::dataLoss(where + ": shape " +
                              shapeToString(entry.shape) + " of " +
                              dtypeName +
                              " needs more bytes than fit in int64");
    elements = count.value();
  }

  const json &offsets = value["data_offsets"];
  int64_t begin, end;
  if (!offsets.is_array() || offsets.size() != 2 ||
      !asNonNegative(offsets[0], begin) || !asNonNegative(offsets[1], end))
    return Status::dataLoss(where + ": data_offsets must be two non-negative "
                                    "integers [begin, end], got " +
                            offsets.dump(-1, ' ', false,
                                         json::error_handler_t::replace));
  entry.begin = static_cast<uint64_t>(begin);
  entry.end = static_cast<uint64_t>(end);
  const std::string offsetText =
      "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  if (begin > end)
    return Status::dataLoss(where + ": data_offsets " + offsetText +
                            " are out of order (begin after end)");
  if (end - begin != bytes)
    return Status::dataLoss(
        where + ": data_offsets " + offsetText + " span " +
        std::to_string(end - begin) + " bytes, but " + dtypeName + " " +
        shapeToString(entry.shape) + " (" + std::to_string(elements) +
        " elements) needs " + std::to_string(bytes));
  if (entry.end > dataSize)
    return Status::dataLoss(where + ": data_offsets " + offsetText +
                            " run past the end of the " +
                            std::to_string(dataSize) + "-byte data section");
  return Status::ok();
}

// Checks that the entries, sorted by offset, tile [0, dataSize) exactly.
Status checkTiling(const std::string &file,
                   const std::vector<SafetensorsEntry> &entries,
                   uint64_t dataSize) {
  auto offsets = [](const SafetensorsEntry &e) {
    return "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  };
  uint64_t position = 0;
  const SafetensorsEntry *previous = nullptr;
  for (const SafetensorsEntry &entry : entries) {
    if (entry.begin < position)
      return Status::dataLoss(file + ": tensor " + quote(entry.name) +
                              " data_offsets " + offsets(entry) +
                              " overlap tensor " + quote(previous->name) +
                              " data_offsets " + offsets(*previous));
    if (entry.begin > position) {
      std::string after = previous ? "after tensor " + quote(previous->name) +
                                         " (which ends at " +
                                         std::to_string(position) + ")"
                                   : "at the start of the data section";
      return Status::dataLoss(
          file + ": " + std::to_string(entry.begin - position) +
          " bytes " + after + " belong to no tensor: tensor " +
          quote(entry.name) + " starts at " + std::to_string(entry.begin));
    }
    position = entry.end;
    previous = &entry;
  }
  if (position != dataSize)
    return Status::dataLoss(
        file + ": the data section has " + std::to_string(dataSize) +
        " bytes but its tensors end at " + std::to_string(position) + ": " +
        std::to_string(dataSize - position) +
        " trailing bytes belong to no tensor");
  return Status::ok();
}

// Validates the first 8 bytes |prefix| of a file of |fileSize| bytes and
// returns the header length N.
StatusOr<uint64_t> parseHeaderLength(const uint8_t *prefix, uint64_t fileSize,
                                     const std::string &file) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | prefix[i];
  if (n > kMaxSafetensorsHeaderBytes)
    return Status::dataLoss(file + ": header length " + std::to_string(n) +
                            " exceeds the limit of " +
                            std::to_string(kMaxSafetensorsHeaderBytes) +
                            " bytes");
  if (n > fileSize - 8)
    return Status::dataLoss(file + ": header length " + std::to_string(n) +
                            " runs past the end of the file (" +
                            std::to_string(fileSize) +
                            " bytes, so at most " +
                            std::to_string(fileSize - 8) +
                            " bytes of header)");
  if (n < 2)
    return Status::dataLoss(file + ": header length " + std::to_string(n) +
                            " is too short for a JSON object");
  return n;
}

// The error for a file too short to hold the header length.
Status tooShort(const std::string &file, uint64_t size) {
  return Status::dataLoss(file + ": file of " + std::to_string(size) +
                          " bytes is too short for the 8-byte header length");
}

// Copies every tensor's data through |read| (offset relative to the data
// section, destination, count).
template <typename ReadFn>
StatusOr<SafetensorsContents> loadTensors(const SafetensorsHeader &header,
                                          const std::string &file,
                                          const SafetensorsFilter &include,
                                          ReadFn &&read) {
  SafetensorsContents contents;
  contents.metadata = header.metadata;
  for (const SafetensorsEntry &entry : header.entries) {
    if (include && !include(entry.name))
      continue;
    if (!entry.supported)
      return Status::invalidArgument(file + ": tensor " + quote(entry.name) +
                                     ": dtype " + entry.dtypeName +
                                     " is not supported (supported: " +
                                     kSupportedDTypes + ")");
    StatusOr<HostTensor> tensor = HostTensor::allocate(entry.dtype, entry.shape);
    if (!tensor.isOk())
      return tensor.status().withContext(file + ": tensor " +
                                         quote(entry.name));
    STRATA_RETURN_IF_ERROR(
        read(entry.begin, tensor->bytes(), tensor->byteSize()));
    contents.tensors.emplace(entry.name, std::move(tensor).value());
  }
  return contents;
}

} // namespace

StatusOr<SafetensorsHeader> parseSafetensorsHeader(const char *text,
                                                   size_t size,
                                                   uint64_t dataSize,
                                                   const std::string &file) {
  // Valid JSON has no raw NUL, and nlohmann would stop reading at one,
  // silently accepting whatever follows it.
  if (const void *nul = std::memchr(text, '\0', size))
    return Status::dataLoss(
        file + ": header is not valid JSON: NUL byte at header offset " +
        std::to_string(static_cast<const char *>(nul) - text));
  int depth = nestingDepth(text, size);
  if (depth > kMaxHeaderNesting)
    return Status::dataLoss(file + ": header JSON nests " +
                            std::to_string(depth) +
                            " levels deep; a safetensors header nests 3");

  // Parse, noting duplicate keys (which nlohmann would silently collapse).
  std::vector<std::set<std::string>> keysInOpenObjects;
  std::string topLevelKey, duplicateKey, duplicateOwner;
  int duplicateDepth = 0;
  json::parser_callback_t onEvent = [&](int eventDepth,
                                        json::parse_event_t event,
                                        json &parsed) {
    switch (event) {
    case json::parse_event_t::object_start:
      keysInOpenObjects.emplace_back();
      break;
    case json::parse_event_t::object_end:
      if (!keysInOpenObjects.empty())
        keysInOpenObjects.pop_back();
      break;
    case json::parse_event_t::key: {
      std::string key = parsed.get<std::string>();
      if (eventDepth == 1)
        topLevelKey = key;
      if (!keysInOpenObjects.empty() &&
          !keysInOpenObjects.back().insert(key).second &&
          duplicateDepth == 0) {
        duplicateKey = key;
        duplicateDepth = eventDepth;
        duplicateOwner = topLevelKey;
      }
      break;
    }
    default:
      break;
    }
    return true;
  };
  json root;
  try {
    root = json::parse(text, text + size, onEvent, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const json::exception &error) {
    return Status::dataLoss(file + ": header is not valid JSON: " +
                            error.what());
  }
  if (duplicateDepth == 1)
    return Status::dataLoss(file + ": tensor " + quote(duplicateKey) +
                            " appears more than once in the header");
  if (duplicateDepth > 1)
    return Status::dataLoss(file + ": entry " + quote(duplicateOwner) +
                            " has the key " + quote(duplicateKey) +
                            " more than once");
  if (!root.is_object())
    return Status::dataLoss(file + ": header must be a JSON object, got " +
                            describe(root));

  SafetensorsHeader header;
  for (const auto &item : root.items()) {
    if (item.key() == "__metadata__") {
      const json &metadata = item.value();
      if (!metadata.is_object())
        return Status::dataLoss(file +
                                ": \"__metadata__\" must be an object of "
                                "strings, got " +
                                describe(metadata));
      for (const auto &field : metadata.items()) {
        if (!field.value().is_string())
          return Status::dataLoss(file + ": \"__metadata__\" key " +
                                  quote(field.key()) +
                                  " must map to a string, got " +
                                  describe(field.value()));
        header.metadata.emplace(field.key(), field.value().get<std::string>());
      }
      continue;
    }
    SafetensorsEntry entry;
    STRATA_RETURN_IF_ERROR(
        parseEntry(file, item.key(), item.value(), dataSize, entry));
    header.entries.push_back(std::move(entry));
  }
  std::stable_sort(header.entries.begin(), header.entries.end(),
                   [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
                     return a.begin != b.begin ? a.begin < b.begin
                                               : a.end < b.end;
                   });
  STRATA_RETURN_IF_ERROR(checkTiling(file, header.entries, dataSize));
  return header;
}

namespace {

// Reads and validates the header of the open |file|.
StatusOr<SafetensorsHeader> readHeader(const ReadOnlyFile &file) {
  const std::string &path = file.path();
  const uint64_t size = file.size();
  if (size < 8)
    return tooShort(path, size);
  uint8_t prefix[8];
  STRATA_RETURN_IF_ERROR(file.readAt(0, prefix, 8));
  STRATA_ASSIGN_OR_RETURN(uint64_t n, parseHeaderLength(prefix, size, path));
  std::string text(n, '\0');
  STRATA_RETURN_IF_ERROR(file.readAt(8, text.data(), n));
  STRATA_ASSIGN_OR_RETURN(
      SafetensorsHeader header,
      parseSafetensorsHeader(text.data(), n, size - 8 - n, path));
  header.dataStart = 8 + n;
  header.fileSize = size;
  return header;
}

} // namespace

StatusOr<SafetensorsHeader> inspectSafetensors(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  return readHeader(file);
}

StatusOr<SafetensorsContents> readSafetensors(const std::string &path,
                                              const SafetensorsFilter &include) {
  STRATA_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  STRATA_ASSIGN_OR_RETURN(SafetensorsHeader header, readHeader(file));
  return loadTensors(header, path, include,
                     [&](uint64_t offset, void *out, size_t count) {
                       return file.readAt(header.dataStart + offset, out,
                                          count);
                     });
}

StatusOr<SafetensorsContents> parseSafetensors(const uint8_t *data,
                                               size_t size,
                                               const std::string &file,
                                               const SafetensorsFilter &include) {
  if (size < 8)
    return tooShort(file, size);
  STRATA_ASSIGN_OR_RETURN(uint64_t n, parseHeaderLength(data, size, file));
  STRATA_ASSIGN_OR_RETURN(
      SafetensorsHeader header,
      parseSafetensorsHeader(reinterpret_cast<const char *>(data + 8), n,
                             size - 8 - n, file));
  header.dataStart = 8 + n;
  header.fileSize = size;
  return loadTensors(header, file, include,
                     [&](uint64_t offset, void *out, size_t count) {
                       if (count)
                         std::memcpy(out, data + header.dataStart + offset,
                                     count);
                       return Status::ok();
                     });
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

// The serialized header (padded) and the tensors in data order.
struct EncodedHeader {
  std::string text;
  std::vector<std::pair<const std::string *, const HostTensor *>> order;
};

// |value| as a JSON string literal; an error naming |what| when it is not
// valid UTF-8.
StatusOr<std::string> jsonString(const std::string &value,
                                 const std::string &what) {
  try {
    return json(value).dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception &) {
    return Status::invalidArgument(what + " " + quote(value) +
                                   " is not valid UTF-8");
  }
}

// Lays out the header as the reference writer does (see the file comment).
StatusOr<EncodedHeader> encodeHeader(const TensorMap &tensors,
                                     const SafetensorsMetadata &metadata) {
  EncodedHeader out;
  for (const auto &[name, tensor] : tensors) {
    if (name == "__metadata__")
      return Status::invalidArgument(
          "a tensor cannot be named \"__metadata__\" in a safetensors file");
    out.order.emplace_back(&name, &tensor);
  }
  std::stable_sort(out.order.begin(), out.order.end(),
                   [](const auto &a, const auto &b) {
                     int ra = referenceDTypeRank(a.second->dtype());
                     int rb = referenceDTypeRank(b.second->dtype());
                     return ra != rb ? ra > rb : *a.first < *b.first;
                   });
  std::string &text = out.text;
  text = "{";
  bool first = true;
  if (!metadata.empty()) {
    text += "\"__metadata__\":{";
    for (const auto &[key, value] : metadata) {
      if (!first)
        text += ",";
      first = false;
      STRATA_ASSIGN_OR_RETURN(std::string k, jsonString(key, "metadata key"));
      STRATA_ASSIGN_OR_RETURN(std::string v,
                              jsonString(value, "metadata value"));
      text += k + ":" + v;
    }
    text += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const auto &[name, tensor] : out.order) {
    if (!first)
      text += ",";
    first = false;
    STRATA_ASSIGN_OR_RETURN(std::string quoted,
                            jsonString(*name, "tensor name"));
    text += quoted + ":{\"dtype\":\"" + toString(tensor->dtype()) +
            "\",\"shape\":[";
    for (size_t i = 0; i < tensor->shape().size(); ++i) {
      if (i)
        text += ",";
      text += std::to_string(tensor->shape()[i]);
    }
    uint64_t end = offset + tensor->byteSize();
    text += "],\"data_offsets\":[" + std::to_string(offset) + "," +
            std::to_string(end) + "]}";
    offset = end;
  }
  text += "}";
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > kMaxSafetensorsHeaderBytes)
    return Status::invalidArgument(
        "the safetensors header would take " + std::to_string(text.size()) +
        " bytes, over the limit of " +
        std::to_string(kMaxSafetensorsHeaderBytes));
  return out;
}

// Appends |n| as 8 little-endian bytes.
void appendLength(std::vector<uint8_t> &out, uint64_t n) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(n >> (8 * i)));
}

} // namespace

StatusOr<std::vector<uint8_t>>
encodeSafetensors(const TensorMap &tensors,
                  const SafetensorsMetadata &metadata) {
  STRATA_ASSIGN_OR_RETURN(EncodedHeader header,
                          encodeHeader(tensors, metadata));
  std::vector<uint8_t> out;
  appendLength(out, header.text.size());
  out.insert(out.end(), header.text.begin(), header.text.end());
  for (const auto &entry : header.order)
    out.insert(out.end(), entry.second->bytes(),
               entry.second->bytes() + entry.second->byteSize());
  return out;
}

Status appendSafetensors(AtomicFileWriter &writer, const TensorMap &tensors,
                         const SafetensorsMetadata &metadata) {
  StatusOr<EncodedHeader> header = encodeHeader(tensors, metadata);
  if (!header.isOk())
    return header.status().withContext(writer.path());
  std::vector<uint8_t> prefix;
  appendLength(prefix, header->text.size());
  STRATA_RETURN_IF_ERROR(writer.append(prefix.data(), prefix.size()));
  STRATA_RETURN_IF_ERROR(
      writer.append(header->text.data(), header->text.size()));
  for (const auto &entry : header->order)
    STRATA_RETURN_IF_ERROR(
        writer.append(entry.second->bytes(), entry.second->byteSize()));
  return Status::ok();
}

Status writeSafetensors(const std::string &path, const TensorMap &tensors,
                        const SafetensorsMetadata &metadata) {
  // Refuse a bad header before creating the temporary file.
  StatusOr<EncodedHeader> header = encodeHeader(tensors, metadata);
  if (!header.isOk())
    return header.status().withContext(path);
  STRATA_ASSIGN_OR_RETURN(AtomicFileWriter writer,
                          AtomicFileWriter::open(path));
  STRATA_RETURN_IF_ERROR(appendSafetensors(writer, tensors, metadata));
  return writer.commit();
}

} // namespace strata::runtime::io
