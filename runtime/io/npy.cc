//===- npy.cc - read and write NumPy .npy files ---------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/npy.h"

#include "runtime/io/file_io.h"

#include <cstdio>
#include <cstring>
#include <limits>
#include <map>

namespace strata::runtime::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// numpy aligns the data to 64 bytes and leaves room in the header for the
// first dimension to grow to 21 digits (numpy/lib/format.py).
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;

// A value of the header dict.
struct PyValue {
  enum class Kind { String, Bool, Tuple, Other } kind = Kind::Other;
  std::string text;           // String: the contents; Other: the source
  bool flag = false;          // Bool
  std::vector<int64_t> items; // Tuple of non-negative integers
};

// A recursive-descent reader of the Python literal subset numpy writes:
// a dict of str keys to str, bool and tuples of ints. Anything else is
// reported with its byte position.
class HeaderParser {
public:
  HeaderParser(const std::string &text, const std::string &file)
      : text_(text), file_(file) {}

  // Parses the whole header into |out|, refusing duplicate keys.
  Status parse(std::map<std::string, PyValue> &out) {
    skipSpace();
    if (!consume('{'))
      return error("expected '{' to start the header dict");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      const size_t keyStart = pos_;
      STRATA_RETURN_IF_ERROR(parseString(key));
      skipSpace();
      if (!consume(':'))
        return error("expected ':' after key '" + key + "'");
      skipSpace();
      PyValue value;
      STRATA_RETURN_IF_ERROR(parseValue(value));
      if (!out.emplace(key, std::move(value)).second)
        return errorAt(keyStart, "key '" + key + "' appears twice");
      skipSpace();
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return error("expected ',' or '}' in the header dict");
    }
    skipSpace();
    if (pos_ != text_.size())
      return error("unexpected text after the header dict");
    return Status::ok();
  }

private:
  // A malformed-header error at the current position (or at |at|).
  Status error(const std::string &what) const { return errorAt(pos_, what); }

  Status errorAt(size_t at, const std::string &what) const {
    return Status::dataLoss(file_ + ": malformed header at byte " +
                            std::to_string(at) + ": " + what + " in \"" +
                            printable() + "\"");
  }

  // The header with non-printable bytes escaped, cut at 200 characters.
  std::string printable() const {
    std::string out;
    for (size_t i = 0; i < text_.size() && i < 200; ++i) {
      unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out += static_cast<char>(c);
      } else {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
        out += buffer;
      }
    }
    return text_.size() > 200 ? out + "..." : out;
  }

  // Skips spaces, tabs and newlines.
  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r'))
      ++pos_;
  }

  // Consumes |c| if it is next.
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // A '...' or "..." literal without escapes.
  Status parseString(std::string &out) {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      return error("expected a quoted string");
    char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string::npos)
      return error("unterminated string");
    out = text_.substr(pos_, end - pos_);
    if (out.find('\\') != std::string::npos)
      return error("escape sequences are not supported in header strings");
    pos_ = end + 1;
    return Status::ok();
  }

  // A string, True, False, a tuple, or (kept as text) anything else.
  Status parseValue(PyValue &value) {
    if (pos_ >= text_.size())
      return error("expected a value");
    char c = text_[pos_];
    if (c == '\'' || c == '"') {
      value.kind = PyValue::Kind::String;
      return parseString(value.text);
    }
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      value.kind = PyValue::Kind::Bool;
      value.flag = true;
      return Status::ok();
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      value.kind = PyValue::Kind::Bool;
      value.flag = false;
      return Status::ok();
    }
    if (c == '(')
      return parseTuple(value);
    // Something numpy does not write for a plain array (a list for a
    // structured dtype, a number...): keep its source for the message.
    size_t start = pos_;
    int depth = 0;
    while (pos_ < text_.size()) {
      char d = text_[pos_];
      if (d == '[' || d == '(' || d == '{')
        ++depth;
      else if (d == ']' || d == ')' || d == '}') {
        if (depth == 0)
          break;
        --depth;
      } else if (d == ',' && depth == 0)
        break;
      ++pos_;
    }
    value.kind = PyValue::Kind::Other;
    value.text = text_.substr(start, pos_ - start);
    return Status::ok();
  }

  // A tuple of non-negative integers such as (2, 3) or (5,).
  Status parseTuple(PyValue &value) {
    value.kind = PyValue::Kind::Tuple;
    ++pos_; // '('
    while (true) {
      skipSpace();
      if (consume(')'))
        return Status::ok();
      if (pos_ < text_.size() && text_[pos_] == '-')
        return error("negative dimension in shape");
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
        return error("expected a non-negative integer in shape");
      int64_t n = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (__builtin_mul_overflow(n, int64_t(10), &n) ||
            __builtin_add_overflow(n, int64_t(text_[pos_] - '0'), &n))
          return error("dimension does not fit in int64");
        ++pos_;
      }
      if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l'))
        ++pos_; // Python 2 long suffix, as old numpy versions wrote
      value.items.push_back(n);
      skipSpace();
      if (consume(','))
        continue;
      if (consume(')'))
        return Status::ok();
      return error("expected ',' or ')' in shape");
    }
  }

  const std::string &text_;
  const std::string &file_;
  size_t pos_ = 0;
};

// Maps a descr string such as "<f4" to a DType, or explains why not.
Status parseDescr(const std::string &descr, const std::string &file,
                  DType &out) {
  auto unsupported = [&](const std::string &why) {
    return Status::invalidArgument(file + ": dtype '" + descr + "' " + why);
  };
  if (descr.size() < 2)
    return unsupported("is not a NumPy array dtype");
  char order = descr[0];
  std::string type = descr.substr(1);
  if (type == "O" || type.rfind("O", 0) == 0)
    return unsupported("is an object array, which holds Python objects, not "
                       "numbers");
  if (order == '>' || order == '!')
    return unsupported("is big-endian; only little-endian arrays are "
                       "supported (use arr.astype(arr.dtype.newbyteorder"
                       "('<')))");
  if (order != '<' && order != '=' && order != '|')
    return unsupported("has an unknown byte order '" + std::string(1, order) +
                       "'");
  static const std::pair<const char *, DType> kTypes[] = {
      {"f4", DType::F32}, {"f8", DType::F64}, {"f2", DType::F16},
      {"i4", DType::I32}, {"i8", DType::I64}};
  for (const auto &[name, dtype] : kTypes)
    if (type == name) {
      if (order == '|')
        return unsupported("has byte order '|', which applies only to "
                           "single-byte types");
      out = dtype;
      return Status::ok();
    }
  return unsupported("is not supported (supported: <i4, <i8, <f2, <f4, <f8)");
}

// The NumPy descr of |dtype| ("" for BF16, which has none).
std::string descrOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::I8:
    return "|i1";
  case DType::BF16:
    return "";
  }
  return "";
}

} // namespace

StatusOr<HostTensor> parseNpy(const uint8_t *data, size_t size,
                              const std::string &file) {
  if (size < kMagicSize + 2 || std::memcmp(data, kMagic, kMagicSize) != 0) {
    if (size >= kMagicSize && std::memcmp(data, kMagic, kMagicSize) == 0)
      return Status::dataLoss(file + ": file of " + std::to_string(size) +
                              " bytes ends inside the .npy preamble");
    return Status::dataLoss(file +
                            ": not a .npy file (it does not start with "
                            "\"\\x93NUMPY\")");
  }
  const int major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return Status::invalidArgument(
        file + ": .npy format version " + std::to_string(major) + "." +
        std::to_string(minor) + " is not supported (supported: 1.0, 2.0, "
        "3.0)");
  const size_t lengthBytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + lengthBytes;
  if (size < prefix)
    return Status::dataLoss(file + ": file of " + std::to_string(size) +
                            " bytes ends inside the header length");
  uint64_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= static_cast<uint64_t>(data[8 + i]) << (8 * i);
  if (headerLength > size - prefix)
    return Status::dataLoss(file + ": header length " +
                            std::to_string(headerLength) +
                            " runs past the end of the file (" +
                            std::to_string(size) + " bytes)");
  std::string header(reinterpret_cast<const char *>(data + prefix),
                     headerLength);

  std::map<std::string, PyValue> dict;
  STRATA_RETURN_IF_ERROR(HeaderParser(header, file).parse(dict));
  for (const auto &[key, value] : dict)
    if (key != "descr" && key != "fortran_order" && key != "shape")
      return Status::dataLoss(file + ": header has the unexpected key '" +
                              key + "' (expected descr, fortran_order, "
                              "shape)");
  for (const char *key : {"descr", "fortran_order", "shape"})
    if (!dict.count(key))
      return Status::dataLoss(file + ": header has no '" + key + "' key");
  const PyValue &descr = dict["descr"];
  if (descr.kind == PyValue::Kind::Other && !descr.text.empty() &&
      descr.text[0] == '[')
    return Status::invalidArgument(file + ": descr " + descr.text +
                                   " is a structured dtype, which is not "
                                   "supported");
  if (descr.kind != PyValue::Kind::String)
    return Status::dataLoss(file + ": descr must be a string such as '<f4'");
  const PyValue &fortran = dict["fortran_order"];
  if (fortran.kind != PyValue::Kind::Bool)
    return Status::dataLoss(file + ": fortran_order must be True or False");
  const PyValue &shape = dict["shape"];
  if (shape.kind != PyValue::Kind::Tuple)
    return Status::dataLoss(file + ": shape must be a tuple of integers");

  DType dtype;
  STRATA_RETURN_IF_ERROR(parseDescr(descr.text, file, dtype));
  if (fortran.flag && shape.items.size() > 1)
    return Status::invalidArgument(
        file + ": the array of shape " + shapeToString(shape.items) +
        " is stored in Fortran (column-major) order; only C order is "
        "supported (save np.ascontiguousarray(arr))");
  StatusOr<int64_t> count = checkedNumElements(shape.items);
  int64_t bytes = 0;
  if (!count.isOk() ||
      __builtin_mul_overflow(count.value(),
                             static_cast<int64_t>(dtypeSize(dtype)), &bytes))
    return Status::dataLoss(file + ": shape " + shapeToString(shape.items) +
                            " needs more bytes than fit in int64");
  const uint64_t available = size - prefix - headerLength;
  if (static_cast<uint64_t>(bytes) != available) {
    std::string what = static_cast<uint64_t>(bytes) > available
                           ? "is truncated"
                           : "has trailing bytes";
    return Status::dataLoss(file + ": " + what + ": " + descr.text + " " +
                            shapeToString(shape.items) + " needs " +
                            std::to_string(bytes) + " bytes of data, found " +
                            std::to_string(available));
  }
  StatusOr<HostTensor> tensor = HostTensor::allocate(dtype, shape.items);
  if (!tensor.isOk())
    return tensor.status().withContext(file);
  if (bytes)
    std::memcpy(tensor->bytes(), data + prefix + headerLength, bytes);
  return tensor;
}

StatusOr<HostTensor> readNpy(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, readWholeFile(path));
  return parseNpy(bytes.data(), bytes.size(), path);
}

StatusOr<std::vector<uint8_t>> encodeNpy(const HostTensor &tensor) {
  std::string descr = descrOf(tensor.dtype());
  if (descr.empty())
    return Status::invalidArgument(std::string("dtype ") +
                                   toString(tensor.dtype()) +
                                   " has no NumPy equivalent");
  // As numpy.lib.format._write_array_header: sorted keys, repr() values,
  // spare room for the first dimension, then _wrap_header's padding.
  const std::vector<int64_t> &shape = tensor.shape();
  std::string shapeText = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      shapeText += ", ";
    shapeText += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    shapeText += ",";
  shapeText += ")";
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shapeText +
                       ", }";
  if (!shape.empty())
    header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(),
                  ' ');
  int major = 1;
  size_t lengthBytes = 2;
  size_t headerLength = header.size() + 1; // + '\n'
  size_t padding =
      kArrayAlign - (kMagicSize + 2 + lengthBytes + headerLength) % kArrayAlign;
  if (headerLength + padding > std::numeric_limits<uint16_t>::max()) {
    major = 2;
    lengthBytes = 4;
    padding = kArrayAlign -
              (kMagicSize + 2 + lengthBytes + headerLength) % kArrayAlign;
  }
  header.append(padding, ' ');
  header += '\n';

  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  for (size_t i = 0; i < lengthBytes; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), tensor.bytes(), tensor.bytes() + tensor.byteSize());
  return out;
}

Status writeNpy(const std::string &path, const HostTensor &tensor) {
  StatusOr<std::vector<uint8_t>> bytes = encodeNpy(tensor);
  if (!bytes.isOk())
    return bytes.status().withContext(path);
  return writeFileAtomically(path, bytes->data(), bytes->size());
}

StatusOr<HostTensor> readTokenBatch(const std::string &path,
                                    int64_t vocabSize) {
  STRATA_ASSIGN_OR_RETURN(HostTensor tokens, readNpy(path));
  if (tokens.dtype() != DType::I32 && tokens.dtype() != DType::I64)
    return Status::invalidArgument(path + ": token batch has dtype " +
                                   toString(tokens.dtype()) +
                                   "; expected int32 or int64");
  if (tokens.rank() != 2 || tokens.shape()[0] < 1 || tokens.shape()[1] < 2)
    return Status::invalidArgument(
        path + ": token batch has shape " + shapeToString(tokens.shape()) +
        "; expected [batch, seq + 1] with batch >= 1 and seq >= 1");
  STRATA_ASSIGN_OR_RETURN(HostTensor wide, convertTensor(tokens, DType::I64));
  const int64_t *ids = wide.data<int64_t>();
  const int64_t columns = wide.shape()[1];
  for (int64_t i = 0; i < wide.numElements(); ++i)
    if (ids[i] < 0 || (vocabSize > 0 && ids[i] >= vocabSize))
      return Status::invalidArgument(
          path + ": token " + std::to_string(ids[i]) + " at [" +
          std::to_string(i / columns) + ", " + std::to_string(i % columns) +
          "] is outside the vocabulary [0, " +
          (vocabSize > 0 ? std::to_string(vocabSize) : std::string("inf")) +
          ")");
  return wide;
}

} // namespace strata::runtime::io
