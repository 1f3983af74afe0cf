//===- prepared_program.cc - shape and type checks per kernel -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/prepared_program.h"

#include "runtime/artifact/kernel_signatures.h"
#include "common/gradient_buckets.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <numeric>
#include <sstream>

namespace strata::runtime {

using artifact::Kernel;

namespace {

using Shape = std::vector<int64_t>;

std::string shapeText(const Shape &shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? "," : "") << shape[i];
  os << ']';
  return os.str();
}

int64_t product(Shape::const_iterator begin, Shape::const_iterator end) {
  return std::accumulate(begin, end, int64_t(1), std::multiplies<>());
}

Shape slice(const Shape &shape, size_t begin, size_t end) {
  return Shape(shape.begin() + begin, shape.begin() + end);
}

Shape concat(const Shape &a, const Shape &b) {
  Shape out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

/// Prepares one instruction; every check failure names it.
class InstructionPreparer {
public:
  InstructionPreparer(const LoadedArtifact &artifact,
                      const artifact::Function &function, size_t index,
                      const std::vector<int64_t> &meshCoords)
      : artifact(artifact), function(function),
        instruction(*function.instructions()->Get(index)), index(index),
        meshCoords(meshCoords) {}

  StatusOr<KernelDescriptor> prepare();

private:
  template <typename... Parts> Status fail(const Parts &...parts) const {
    std::ostringstream os;
    os << artifact.path() << ": function " << function.name()->str() << ", "
       << out.where << ": ";
    (os << ... << parts);
    return Status::dataLoss(os.str());
  }

  const artifact::Buffer &buffer(uint32_t id) const {
    return *artifact.root().buffers()->Get(id);
  }
  uint32_t operandId(size_t i) const { return instruction.operands()->Get(i); }
  uint32_t resultId(size_t i) const { return instruction.results()->Get(i); }
  size_t numOperands() const {
    return instruction.operands() ? instruction.operands()->size() : 0;
  }
  size_t numResults() const {
    return instruction.results() ? instruction.results()->size() : 0;
  }
  Shape shapeOf(uint32_t id) const {
    const auto *shape = buffer(id).shape();
    return shape ? Shape(shape->begin(), shape->end()) : Shape();
  }
  Shape in(size_t i) const { return shapeOf(operandId(i)); }
  Shape res(size_t i) const { return shapeOf(resultId(i)); }
  std::string nameOf(uint32_t id) const {
    return buffer(id).name() ? buffer(id).name()->str() : "?";
  }
  std::string operandText(size_t i) const {
    return "operand " + std::to_string(i) + " '" + nameOf(operandId(i)) + "' " +
           shapeText(in(i));
  }
  std::string resultText(size_t i) const {
    return "result " + std::to_string(i) + " '" + nameOf(resultId(i)) + "' " +
           shapeText(res(i));
  }

  Status checkTypes();
  Status checkResultShape(size_t i, const Shape &expected) const {
    if (res(i) != expected)
      return fail(resultText(i), " should have shape ", shapeText(expected));
    return Status::ok();
  }
  Status checkOperandShape(size_t i, const Shape &expected) const {
    if (in(i) != expected)
      return fail(operandText(i), " should have shape ", shapeText(expected));
    return Status::ok();
  }
  Status checkRank(size_t i, size_t rank) const {
    if (in(i).size() != rank)
      return fail(operandText(i), " should have rank ", rank);
    return Status::ok();
  }
  Status checkScalar(uint32_t id, const std::string &what) const {
    if (!shapeOf(id).empty())
      return fail(what, " '", nameOf(id), "' should be a scalar, got ",
                  shapeText(shapeOf(id)));
    return Status::ok();
  }
  /// x's trailing dimensions equal |trailing|; sets dims = {N, H}.
  Status rowsOf(const Shape &x, const Shape &trailing, const std::string &xs,
                const std::string &ts) {
    if (trailing.size() > x.size() ||
        !std::equal(trailing.begin(), trailing.end(),
                    x.end() - static_cast<ptrdiff_t>(trailing.size())))
      return fail(ts, " ", shapeText(trailing),
                  " does not match the trailing dimensions of ", xs, " ",
                  shapeText(x));
    const int64_t cols = product(trailing.begin(), trailing.end());
    const int64_t rows = cols == 0 ? 0 : product(x.begin(), x.end()) / cols;
    out.shape = RowsShape{rows, cols, 0.0};
    return Status::ok();
  }
  Status checkSameShapes(std::initializer_list<size_t> operands,
                         std::initializer_list<size_t> results) const {
    const Shape reference = in(0);
    for (size_t i : operands)
      if (in(i) != reference)
        return fail(operandText(i), " should have the shape of ",
                    operandText(0));
    for (size_t i : results)
      if (res(i) != reference)
        return fail(resultText(i), " should have the shape of ",
                    operandText(0));
    return Status::ok();
  }
  /// Bytes of |count| accumulator values (f64 for f64 programs, f32
  /// otherwise: 16-bit programs keep statistics and losses in f32).
  size_t floatBytes(int64_t count) const {
    return static_cast<size_t>(count) * (out.dtype == DType::F64 ? 8 : 4);
  }
  /// This rank's coordinate along mesh axis |axis| (0 without a mesh).
  int64_t meshCoord(int64_t axis) const {
    return axis >= 0 && axis < int64_t(meshCoords.size()) ? meshCoords[axis]
                                                          : 0;
  }
  /// The slots of parameter |index|: its whole value and gradient, or
  /// under the distributed optimizer (|blockAxis| >= 0) this rank's block.
  StatusOr<ParameterSlots> parameterSlots(int64_t index, int64_t blockAxis);
  BufferRef bufferRef(uint32_t id) const {
    const auto &b = buffer(id);
    return {id, b.offset(),
            static_cast<int64_t>(b.size() / dtypeSize(b.dtype())),
            toRuntimeDType(b.dtype())};
  }

  Status prepareKernel();
  /// A kernel over the elements of operand 0.
  Status elementwise() {
    out.shape = ElementwiseShape{out.operands[0].elements};
    return Status::ok();
  }
  /// Every trainable parameter (a gradient slot), in table order.
  std::vector<int64_t> trainableParameters() const {
    std::vector<int64_t> list;
    const auto *parameters = artifact.root().parameters();
    for (uint32_t i = 0; parameters && i < parameters->size(); ++i)
      if (parameters->Get(i)->grad() >= 0)
        list.push_back(i);
    return list;
  }
  /// ids[...] into a table [vocab, hidden] (this rank's block of the
  /// vocabulary when split).
  /// A task's virtual tokens: positions, its table's rows and columns and
  /// its global virtual row offset, as an EmbeddingShape (vocabOffset).
  Status virtualTokenShape(const Shape &positions, int64_t rows,
                           int64_t columns, int64_t offset) {
    if (offset < 0 || rows < 1)
      return fail("virtual rows [", offset, ", ", offset + rows,
                  ") are not a task's rows");
    out.shape = EmbeddingShape{product(positions.begin(), positions.end()),
                               rows, columns, offset, offset + rows};
    return Status::ok();
  }
  EmbeddingShape embeddingShape(const Shape &ids, const Shape &table) const {
    return {product(ids.begin(), ids.end()), table[0], table[1],
            out.block * table[0], out.blocks * table[0]};
  }
  Status prepareMatmul();
  Status checkQuantizedTypes();
  Status attentionShapes(const Shape &q, const Shape &k, const Shape &v,
                         const char *keysLayout, const char *valuesLayout);
  Status prepareAttention(bool backward);
  Status prepareCacheWrite();
  Status prepareCachedAttention();
  Status checkKVCache(uint32_t id, const std::string &what) const {
    if (buffer(id).category() != artifact::BufferCategory::KVCache)
      return fail(what, " '", nameOf(id), "' is not a KV cache");
    if (shapeOf(id).size() != 4)
      return fail(what, " '", nameOf(id), "' ", shapeText(shapeOf(id)),
                  " should have rank 4 [batch, length, groups, head_dim]");
    return Status::ok();
  }
  /// Operand |i| is a paged cache's block table [batch, W], W >= 1.
  Status checkBlockTable(size_t i, int64_t batch) const {
    const Shape table = in(i);
    if (table.size() != 2 || table[0] != batch || table[1] < 1)
      return fail(operandText(i), " should be a block table [", batch,
                  ", blocks per row >= 1]");
    return Status::ok();
  }
  Status prepareCrossEntropy(bool backward);
  Status prepareValidVocab(size_t index);
  Status prepareOptimizer();
  Status checkOptimizerShards(int64_t axis);
  Status prepareParallelKernel();
  Status prepareShardAxis();
  Status prepareCollective();
  Status prepareCollectiveAxes(int64_t mask);
  Status preparePointToPoint();
  Status prepareVocabularyBlock(const char *what);
  /// The size of mesh axis |axis| (1 without a mesh).
  int64_t meshAxisSize(int64_t axis) const {
    const auto *shape = artifact.root().mesh_shape();
    return shape && axis >= 0 && axis < int64_t(shape->size())
               ? shape->Get(uint32_t(axis))
               : 1;
  }
  int64_t meshAxisCount() const {
    const auto *shape = artifact.root().mesh_shape();
    return shape ? int64_t(shape->size()) : 0;
  }

  const LoadedArtifact &artifact;
  const artifact::Function &function;
  const artifact::Instruction &instruction;
  size_t index;
  const std::vector<int64_t> &meshCoords;
  /// The parameters the instruction lists (its trailing ints), the one an
  /// AdamW updates, and a collective's bit mask of mesh axes.
  std::vector<int64_t> parameterList;
  int64_t parameterIndex = -1;
  int64_t collectiveAxes = 0;
  KernelDescriptor out;
};

/// Operand positions that hold int32 ids, labels or positions.
bool isIntegerOperand(Kernel kernel, size_t i) {
  switch (kernel) {
  case Kernel::Embedding:
  case Kernel::QuantizedEmbedding:
  case Kernel::EmbeddingGrad:
  case Kernel::RotaryEmbedding:
  case Kernel::TakePositions:
  case Kernel::CrossEntropy:
  case Kernel::CrossEntropyGrad:
  case Kernel::VocabParallelStats:
  case Kernel::VocabParallelLoss:
  case Kernel::VocabParallelCrossEntropyGrad:
  case Kernel::MaskVirtualTokens:
  case Kernel::VirtualTokenTableGrad:
    return i == 1;
  case Kernel::CacheWrite:
    return i == 1 || i == 2; // positions, block table
  case Kernel::CachedAttention:
    return i == 3 || i == 4; // positions, block table
  case Kernel::InsertVirtualTokens:
    return i == 2;
  default:
    return false;
  }
}

/// Float values that stay f32 in a 16-bit program (the dialect's losses,
/// log-sum-exps and the vocabulary-parallel statistics): result 1 of
/// Attention, operand 4 of AttentionGrad, the loss of CrossEntropy and its
/// gradient, the vocabulary-parallel statistics, losses and lse.
bool isAccumulatorValue(Kernel kernel, bool result, size_t i) {
  switch (kernel) {
  case Kernel::Attention:
    return result && i == 1;
  case Kernel::AttentionGrad:
    return !result && i == 4;
  case Kernel::CrossEntropy:
    return result && i == 0;
  case Kernel::CrossEntropyGrad:
    return !result && i == 2;
  case Kernel::VocabParallelStats: // the statistics
    return result;
  case Kernel::VocabParallelLoss: // statistics in, loss, lse (not labels)
    return result || i == 0;
  case Kernel::VocabParallelCrossEntropyGrad: // lse and dloss
    return !result && (i == 2 || i == 3);
  default:
    return false;
  }
}

bool isSixteenBit(DType dtype) {
  return dtype == DType::BF16 || dtype == DType::F16;
}

/// Int8 weight-only kernels: where their I8 weight and F32 scales are.
bool isQuantized(Kernel kernel) {
  return kernel == Kernel::QuantizedMatmul ||
         kernel == Kernel::QuantizedEmbedding;
}

// QuantizedMatmul (x, q, scales) -> y and QuantizedEmbedding (table, ids,
// scales) -> out: q or table I8, scales F32, ids I32; x and the result
// share the float type the kernel computes in.
Status InstructionPreparer::checkQuantizedTypes() {
  const bool matmul = out.kernel == Kernel::QuantizedMatmul;
  auto dtypeOf = [&](uint32_t id) { return toRuntimeDType(buffer(id).dtype()); };
  auto expect = [&](uint32_t id, DType dtype, const std::string &what) {
    return dtypeOf(id) == dtype
               ? Status::ok()
               : fail(what, " '", nameOf(id), "' should be ", toString(dtype),
                      ", got ", toString(dtypeOf(id)));
  };
  STRATA_RETURN_IF_ERROR(expect(operandId(matmul ? 1 : 0), DType::I8,
                                matmul ? "the weight" : "the table"));
  STRATA_RETURN_IF_ERROR(expect(operandId(2), DType::F32, "the scales"));
  const DType y = dtypeOf(resultId(0));
  if (!isFloatingPoint(y))
    return fail(resultText(0), " should be floating point, got ", toString(y));
  STRATA_RETURN_IF_ERROR(matmul ? expect(operandId(0), y, "the input")
                                : expect(operandId(1), DType::I32, "the ids"));
  out.dtype = y;
  return Status::ok();
}

Status InstructionPreparer::checkTypes() {
  // Send and Recv move bytes of any type.
  if (out.kernel == Kernel::Send || out.kernel == Kernel::Recv)
    return Status::ok();
  // A cast converts between float types: it computes in its result's.
  if (out.kernel == Kernel::Cast) {
    for (uint32_t id : {operandId(0), resultId(0)})
      if (!isFloatingPoint(toRuntimeDType(buffer(id).dtype())))
        return fail("casts between floating-point types; '", nameOf(id),
                    "' is ", toString(toRuntimeDType(buffer(id).dtype())));
    out.dtype = toRuntimeDType(buffer(resultId(0)).dtype());
    return Status::ok();
  }
  if (isQuantized(out.kernel))
    return checkQuantizedTypes();
  // A slice moves ids as well as floats: same type in and out.
  if (out.kernel == Kernel::LocalSlice) {
    if (buffer(operandId(0)).dtype() != buffer(resultId(0)).dtype())
      return fail(resultText(0), " should have the element type of ",
                  operandText(0));
    out.dtype = toRuntimeDType(buffer(operandId(0)).dtype());
    return Status::ok();
  }
  // The compute type: the first float value that is not an accumulator.
  std::optional<DType> floatType;
  for (size_t i = 0; i < numOperands() + numResults() && !floatType; ++i) {
    const bool result = i >= numOperands();
    const size_t k = result ? i - numOperands() : i;
    if (!result && isIntegerOperand(out.kernel, k))
      continue;
    if (isAccumulatorValue(out.kernel, result, k))
      continue;
    const DType dtype =
        toRuntimeDType(buffer(result ? resultId(k) : operandId(k)).dtype());
    if (isFloatingPoint(dtype))
      floatType = dtype;
  }
  auto check = [&](uint32_t id, bool integer, bool accumulator,
                   const std::string &what) -> Status {
    const DType dtype = toRuntimeDType(buffer(id).dtype());
    if (integer) {
      if (dtype != DType::I32)
        return fail(what, " '", nameOf(id), "' should be I32, got ",
                    toString(dtype));
      return Status::ok();
    }
    if (!isFloatingPoint(dtype))
      return fail(what, " '", nameOf(id), "' should be floating point, got ",
                  toString(dtype));
    const DType expected = accumulator && floatType && isSixteenBit(*floatType)
                               ? DType::F32
                           : floatType ? *floatType
                                       : dtype;
    if (dtype != expected)
      return fail(what, " '", nameOf(id), "' is ", toString(dtype),
                  " but the instruction computes in ",
                  toString(floatType ? *floatType : dtype),
                  accumulator ? " (and keeps this value in F32 for 16-bit "
                                "types, in the compute type otherwise)"
                              : "");
    return Status::ok();
  };
  for (size_t i = 0; i < numOperands(); ++i)
    STRATA_RETURN_IF_ERROR(check(operandId(i), isIntegerOperand(out.kernel, i),
                                 isAccumulatorValue(out.kernel, false, i),
                                 "operand " + std::to_string(i)));
  for (size_t i = 0; i < numResults(); ++i)
    STRATA_RETURN_IF_ERROR(check(resultId(i), false,
                                 isAccumulatorValue(out.kernel, true, i),
                                 "result " + std::to_string(i)));
  // A kernel whose float values are all accumulators (the
  // vocabulary-parallel loss) computes in their type.
  if (!floatType && numOperands() > 0 &&
      isFloatingPoint(toRuntimeDType(buffer(operandId(0)).dtype())))
    floatType = toRuntimeDType(buffer(operandId(0)).dtype());
  out.dtype = floatType ? *floatType : DType::F32;
  return Status::ok();
}

StatusOr<KernelDescriptor> InstructionPreparer::prepare() {
  out.kernel = instruction.kernel();
  const KernelSignature *signature = lookupKernelSignature(out.kernel);
  std::ostringstream where;
  where << "instruction " << index << " ("
        << (signature ? std::string(signature->name) : "unknown kernel");
  if (instruction.location() && instruction.location()->size())
    where << " at " << instruction.location()->str();
  where << ")";
  out.where = where.str();
  if (!signature)
    return fail("unknown kernel ", static_cast<int>(out.kernel));
  for (size_t i = 0; i < numOperands(); ++i)
    out.operands.push_back(bufferRef(operandId(i)));
  for (size_t i = 0; i < numResults(); ++i)
    out.results.push_back(bufferRef(resultId(i)));
  if (instruction.ints())
    out.ints.assign(instruction.ints()->begin(), instruction.ints()->end());
  if (instruction.floats())
    out.floats.assign(instruction.floats()->begin(),
                      instruction.floats()->end());
  STRATA_RETURN_IF_ERROR(checkTypes());
  STRATA_RETURN_IF_ERROR(prepareShardAxis());
  STRATA_RETURN_IF_ERROR(prepareKernel());
  return std::move(out);
}

Status InstructionPreparer::prepareMatmul() {
  const Shape a = in(0), b = in(1);
  switch (out.kernel) {
  case Kernel::Matmul:
  case Kernel::QuantizedMatmul: {
    // y[m..., n...] = sum_k x[m..., k...] w[n..., k...]
    const int64_t c = out.ints[0];
    if (c < 1 || static_cast<size_t>(c) >= a.size() ||
        static_cast<size_t>(c) >= b.size())
      return fail("contracting ", c, " dimensions of ", operandText(0),
                  " and ", operandText(1),
                  ": both need more dimensions than that");
    const Shape xk = slice(a, a.size() - c, a.size());
    const Shape wk = slice(b, b.size() - c, b.size());
    if (xk != wk)
      return fail("the contracted dimensions ", shapeText(xk), " of ",
                  operandText(0), " and ", shapeText(wk), " of ",
                  operandText(1), " differ");
    const Shape xm = slice(a, 0, a.size() - c), wn = slice(b, 0, b.size() - c);
    STRATA_RETURN_IF_ERROR(checkResultShape(0, concat(xm, wn)));
    // y[M,N] = x[M,K] w[N,K]^T
    const int64_t M = product(xm.begin(), xm.end());
    const int64_t N = product(wn.begin(), wn.end());
    const int64_t K = product(xk.begin(), xk.end());
    out.shape = GemmShape{M, N, K, false, true, K, K, N};
    return Status::ok();
  }
  case Kernel::MatmulGradInput: {
    // dx[m..., k...] = sum_n dy[m..., n...] w[n..., k...]
    const int64_t o = out.ints[0];
    if (o < 1 || static_cast<size_t>(o) >= b.size() ||
        static_cast<size_t>(o) > a.size())
      return fail(o, " output dimensions do not fit ", operandText(0), " and ",
                  operandText(1));
    const Shape wn = slice(b, 0, o), wk = slice(b, o, b.size());
    const Shape dyn = slice(a, a.size() - o, a.size());
    if (dyn != wn)
      return fail("the output dimensions ", shapeText(dyn), " of ",
                  operandText(0), " differ from ", shapeText(wn), " of ",
                  operandText(1));
    const Shape m = slice(a, 0, a.size() - o);
    STRATA_RETURN_IF_ERROR(checkResultShape(0, concat(m, wk)));
    // dx[M,K] = dy[M,N] w[N,K]
    const int64_t M = product(m.begin(), m.end());
    const int64_t N = product(wn.begin(), wn.end());
    const int64_t K = product(wk.begin(), wk.end());
    out.shape = GemmShape{M, K, N, false, false, N, K, K};
    return Status::ok();
  }
  default: { // MatmulGradWeight
    // dw[n..., k...] = sum_m dy[m..., n...] x[m..., k...]
    const int64_t bd = out.ints[0];
    if (bd < 1 || static_cast<size_t>(bd) >= a.size() ||
        static_cast<size_t>(bd) >= b.size())
      return fail(bd, " batch dimensions do not fit ", operandText(0), " and ",
                  operandText(1));
    const Shape m = slice(a, 0, bd);
    if (slice(b, 0, bd) != m)
      return fail("the batch dimensions of ", operandText(0), " and ",
                  operandText(1), " differ");
    const Shape n = slice(a, bd, a.size()), k = slice(b, bd, b.size());
    STRATA_RETURN_IF_ERROR(checkResultShape(0, concat(n, k)));
    // dw[N,K] = dy[M,N]^T x[M,K]
    const int64_t M = product(m.begin(), m.end());
    const int64_t N = product(n.begin(), n.end());
    const int64_t K = product(k.begin(), k.end());
    out.shape = GemmShape{N, K, M, true, false, N, K, K};
    return Status::ok();
  }
  }
}

/// Fills out.attention's sizes from q[B,S,H,D], k[B,T,G,D], v[B,T,G,E]
/// (rank 4 already checked) and checks they fit together; the layouts
/// explain the key and value operands in messages.
Status InstructionPreparer::attentionShapes(const Shape &q, const Shape &k,
                                            const Shape &v,
                                            const char *keysLayout,
                                            const char *valuesLayout) {
  AttentionShape &p = out.shape.emplace<AttentionShape>();
  p.batch = q[0];
  p.querySeq = q[1];
  p.queryHeads = q[2];
  p.headDim = q[3];
  p.keySeq = k[1];
  p.kvHeads = k[2];
  p.valueDim = v[3];
  if (k[0] != q[0] || k[3] != q[3])
    return fail(operandText(1), " does not fit ", operandText(0), ": ",
                keysLayout);
  if (v[0] != k[0] || v[1] != k[1] || v[2] != k[2])
    return fail(operandText(2), " does not fit ", operandText(1), ": ",
                valuesLayout);
  if (p.kvHeads <= 0 || p.queryHeads % p.kvHeads != 0)
    return fail(p.queryHeads, " query heads are not a multiple of ", p.kvHeads,
                " key/value groups");
  return Status::ok();
}

Status InstructionPreparer::prepareAttention(bool backward) {
  const Shape q = in(0), k = in(1), v = in(2);
  for (size_t i = 0; i < 3; ++i)
    STRATA_RETURN_IF_ERROR(checkRank(i, 4));
  STRATA_RETURN_IF_ERROR(
      attentionShapes(q, k, v, "keys are [batch, keys, groups, head_dim]",
                      "values are [batch, keys, groups, value_dim]"));
  AttentionShape &p = out.as<AttentionShape>();
  const Shape outShape = {p.batch, p.querySeq, p.queryHeads, p.valueDim};
  const Shape lseShape = {p.batch, p.queryHeads, p.querySeq};
  p.causal = out.ints[0] != 0;
  out.rngStream = out.ints[1];
  p.scale = out.floats[0];
  p.dropout = out.floats[1];
  if (!(p.dropout >= 0.0 && p.dropout < 1.0))
    return fail("attention dropout ", p.dropout, " is outside [0, 1)");
  if (p.dropout > 0.0 && out.rngStream < 0)
    return fail("attention dropout ", p.dropout, " without a random stream");
  if (!backward) {
    STRATA_RETURN_IF_ERROR(checkResultShape(0, outShape));
    p.lseIsResult = numResults() == 2;
    if (p.lseIsResult)
      STRATA_RETURN_IF_ERROR(checkResultShape(1, lseShape));
    else // the kernel always writes the log-sum-exp: give it scratch
      out.scratchBytes += floatBytes(p.batch * p.queryHeads * p.querySeq);
  } else {
    STRATA_RETURN_IF_ERROR(checkOperandShape(3, outShape));
    STRATA_RETURN_IF_ERROR(checkOperandShape(4, lseShape));
    STRATA_RETURN_IF_ERROR(checkOperandShape(5, outShape));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, q));
    STRATA_RETURN_IF_ERROR(checkResultShape(1, k));
    STRATA_RETURN_IF_ERROR(checkResultShape(2, v));
  }
  // Heads split across ranks draw the dropout mask of their global heads.
  p.maskHeads = p.queryHeads * out.blocks;
  p.maskHeadOffset = p.queryHeads * out.block;
  // The lse scratch (if any) 64-byte aligned; the backend's workspace
  // follows.
  out.scratchBytes = (out.scratchBytes + 63) / 64 * 64;
  return Status::ok();
}

Status InstructionPreparer::prepareCacheWrite() {
  // (values[B,S,G,D], positions[B,S][, table[B,W]]) -> cache[B,T,G,D] or,
  // paged, cache[M,N,G,D]
  STRATA_RETURN_IF_ERROR(checkKVCache(resultId(0), "result 0"));
  STRATA_RETURN_IF_ERROR(checkRank(0, 4));
  const Shape values = in(0), cache = res(0);
  STRATA_RETURN_IF_ERROR(checkOperandShape(1, slice(values, 0, 2)));
  if (numOperands() == 3) {
    STRATA_RETURN_IF_ERROR(checkBlockTable(2, values[0]));
    const int64_t width = in(2)[1];
    if (values[2] != cache[2] || values[3] != cache[3] ||
        values[1] > width * cache[1])
      return fail(operandText(0), " does not fit ", resultText(0), " over ",
                  operandText(2),
                  ": values are [batch, at most blocks per row x block "
                  "size, groups, head_dim]");
    out.shape = CacheShape{values[0],         values[1], width * cache[1],
                           values[2] * values[3], cache[1], cache[0],
                           width};
    return Status::ok();
  }
  if (values[0] != cache[0] || values[2] != cache[2] ||
      values[3] != cache[3] || values[1] > cache[1])
    return fail(operandText(0), " does not fit ", resultText(0),
                ": values are [batch, at most length, groups, head_dim]");
  out.shape = CacheShape{values[0], values[1], cache[1], values[2] * values[3]};
  return Status::ok();
}

Status InstructionPreparer::prepareCachedAttention() {
  // (q[B,S,H,D], key_cache[B,T,G,D], value_cache[B,T,G,E], positions[B,S])
  //   -> out[B,S,H,E]
  STRATA_RETURN_IF_ERROR(checkRank(0, 4));
  STRATA_RETURN_IF_ERROR(checkKVCache(operandId(1), "operand 1"));
  STRATA_RETURN_IF_ERROR(checkKVCache(operandId(2), "operand 2"));
  const Shape q = in(0), k = in(1), v = in(2);
  const bool paged = numOperands() == 5;
  if (paged) {
    // Paged pools [M, N, G, D] through table[B, W]: the checks of
    // attentionShapes on a cache that looks like one row of W * N keys.
    STRATA_RETURN_IF_ERROR(checkBlockTable(4, q[0]));
    const int64_t width = in(4)[1];
    const Shape logicalK{q[0], width * k[1], k[2], k[3]};
    const Shape logicalV{q[0], width * v[1], v[2], v[3]};
    if (k[0] != v[0] || k[1] != v[1])
      return fail(operandText(2), " does not fit ", operandText(1),
                  ": paged caches are [blocks, block size, groups, dims] of "
                  "one pool size");
    STRATA_RETURN_IF_ERROR(attentionShapes(
        q, logicalK, logicalV,
        "the key cache is [blocks, block size, groups, head_dim]",
        "the value cache is [blocks, block size, groups, value_dim]"));
    AttentionShape &p = out.as<AttentionShape>();
    p.blockSize = k[1];
    p.numBlocks = k[0];
    p.tableWidth = width;
  } else {
    STRATA_RETURN_IF_ERROR(attentionShapes(
        q, k, v, "the key cache is [batch, length, groups, head_dim]",
        "the value cache is [batch, length, groups, value_dim]"));
  }
  AttentionShape &p = out.as<AttentionShape>();
  p.keyBatchStride = paged ? 0 : k[1];
  if (p.querySeq > p.keySeq)
    return fail(p.querySeq, " queries do not fit a cache of ", p.keySeq,
                " positions");
  STRATA_RETURN_IF_ERROR(checkOperandShape(3, slice(q, 0, 2)));
  STRATA_RETURN_IF_ERROR(
      checkResultShape(0, {p.batch, p.querySeq, p.queryHeads, p.valueDim}));
  if (out.ints[0] != 1)
    return fail("cached attention with causal = ", out.ints[0],
                "; it is always causal (1)");
  p.causal = true;
  p.scale = out.floats[0];
  if (!(p.scale > 0.0))
    return fail("cached attention scale ", p.scale, " is not positive");
  // The log-sum-exp (which inference does not keep) goes to scratch first,
  // 64-byte aligned, then the backend's workspace.
  out.scratchBytes =
      (floatBytes(p.batch * p.queryHeads * p.querySeq) + 63) / 64 * 64;
  return Status::ok();
}

Status InstructionPreparer::prepareCrossEntropy(bool backward) {
  const Shape logits = in(0), labels = in(1);
  if (logits.empty() || slice(logits, 0, logits.size() - 1) != labels)
    return fail(operandText(1), " should have the shape of ", operandText(0),
                " without its last (vocabulary) dimension");
  const int64_t reduction = out.ints[0]; // tfm::Reduction: none, mean, sum
  if (reduction < 0 || reduction > 2)
    return fail("unknown reduction ", reduction);
  const int64_t rows = product(labels.begin(), labels.end());
  out.shape =
      CrossEntropyShape{rows, logits.back(), 0, logits.back(), reduction};
  STRATA_RETURN_IF_ERROR(prepareValidVocab(1));
  const Shape lossShape = reduction == 0 ? labels : Shape();
  if (!backward) {
    STRATA_RETURN_IF_ERROR(checkResultShape(0, lossShape));
    if (reduction != 0) // per-row losses before the reduction
      out.scratchBytes = floatBytes(rows);
  } else {
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, lossShape));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, logits));
    // Row losses (discarded), log-sum-exp and the per-row dloss.
    out.scratchBytes = 3 * floatBytes(rows);
  }
  return Status::ok();
}

Status InstructionPreparer::prepareOptimizer() {
  const auto &root = artifact.root();
  const int64_t count = root.parameters() ? root.parameters()->size() : 0;
  parameterIndex = out.ints[0];
  if (parameterIndex < 0 || parameterIndex >= count)
    return fail("parameter index ", parameterIndex, " is outside [0, ", count,
                ")");
  const auto &parameter = *root.parameters()->Get(parameterIndex);
  if (parameter.grad() < 0 || parameter.adam_m() < 0 || parameter.adam_v() < 0)
    return fail("parameter '", parameter.name()->str(),
                "' has no gradient or AdamW slots");
  // Mixed precision O2 updates the F32 main parameter with F32 slots.
  out.dtype = toRuntimeDType(buffer(parameter.main_value() >= 0
                                        ? uint32_t(parameter.main_value())
                                        : parameter.value())
                                 .dtype());
  for (size_t i = 0; i < numOperands(); ++i)
    STRATA_RETURN_IF_ERROR(checkScalar(operandId(i), "operand " + std::to_string(i)));
  // The distributed optimizer updates the block its moments hold (the
  // loader checked their size).
  if (parameter.optimizer_split_axis() != out.shardAxis)
    return fail("updates ", out.shardAxis < 0 ? "all" : "one block", " of '",
                parameter.name()->str(), "', whose optimizer state is ",
                parameter.optimizer_split_axis() < 0
                    ? std::string("whole")
                    : "split over mesh axis " +
                          std::to_string(parameter.optimizer_split_axis()));
  STRATA_ASSIGN_OR_RETURN(ParameterSlots slots,
                          parameterSlots(parameterIndex, out.shardAxis));
  if (out.kernel == Kernel::ParamFromMain) {
    if (!slots.hasMain)
      return fail("parameter '", slots.name, "' has no main parameter");
    out.dtype = slots.value.dtype; // the rounding's type
  }
  const bool ifFinite = out.kernel == Kernel::AdamW && numOperands() == 8;
  out.shape = OptimizerShape{{std::move(slots)}, false, ifFinite};
  return Status::ok();
}

StatusOr<ParameterSlots>
InstructionPreparer::parameterSlots(int64_t index, int64_t blockAxis) {
  const auto &parameter = *artifact.root().parameters()->Get(uint32_t(index));
  ParameterSlots slots;
  slots.name = parameter.name() ? parameter.name()->str() : "?";
  slots.value = bufferRef(parameter.value());
  if (parameter.grad() >= 0)
    slots.grad = bufferRef(uint32_t(parameter.grad()));
  if (parameter.adam_m() >= 0)
    slots.adamM = bufferRef(uint32_t(parameter.adam_m()));
  if (parameter.adam_v() >= 0)
    slots.adamV = bufferRef(uint32_t(parameter.adam_v()));
  if (parameter.main_value() >= 0) {
    slots.mainValue = bufferRef(uint32_t(parameter.main_value()));
    slots.hasMain = true;
  }
  slots.weightDecay = parameter.weight_decay();
  slots.count = slots.value.elements;
  if (blockAxis >= 0) {
    // The distributed optimizer: block c of S of the flattened value and
    // gradient (the loader checked that S divides them).
    const int64_t blocks = meshAxisSize(blockAxis);
    slots.count = slots.value.elements / blocks;
    slots.offset = meshCoord(blockAxis) * slots.count;
  }
  return slots;
}

/// The distributed optimizer's kernels (GradSquareSum with a shard axis,
/// ReduceScatterGradients, GatherParameters): every listed parameter's
/// optimizer state is split over mesh axis |axis|.
Status InstructionPreparer::checkOptimizerShards(int64_t axis) {
  const auto &parameters = *artifact.root().parameters();
  for (int64_t parameter : parameterList) {
    const artifact::Parameter &p = *parameters.Get(uint32_t(parameter));
    if (p.optimizer_split_axis() != axis)
      return fail("needs the optimizer state of '", p.name()->str(),
                  "' split over mesh axis ", axis, ", but it is ",
                  p.optimizer_split_axis() < 0
                      ? std::string("whole")
                      : "split over mesh axis " +
                            std::to_string(p.optimizer_split_axis()));
  }
  return Status::ok();
}

/// Which block of a split dimension this instruction computes is the rank's
/// coordinate along shard_axis; only the kernels below read it.
Status InstructionPreparer::prepareShardAxis() {
  out.shardAxis = instruction.shard_axis();
  if (out.shardAxis < 0)
    return Status::ok();
  if (out.shardAxis >= meshAxisCount())
    return fail("shard axis ", out.shardAxis, " is not one of the ",
                meshAxisCount(), " mesh axes");
  out.blocks = meshAxisSize(out.shardAxis);
  out.block = meshCoord(out.shardAxis);
  switch (out.kernel) {
  case Kernel::Embedding:
  case Kernel::EmbeddingGrad:
  case Kernel::QuantizedEmbedding:
  case Kernel::Attention:
  case Kernel::AttentionGrad:
  case Kernel::VocabParallelStats:
  case Kernel::VocabParallelCrossEntropyGrad:
  case Kernel::AdamW:         // the distributed optimizer's block
  case Kernel::ParamFromMain: // (the main parameter's block)
  case Kernel::GradSquareSum: // (checked with the parameters)
    return Status::ok();
  case Kernel::Dropout:
  case Kernel::BiasDropoutAdd:
  case Kernel::BiasDropoutAddGrad: {
    out.shardDim = instruction.shard_dim();
    out.maskShape = in(0);
    if (out.shardDim < 0 || out.shardDim >= int64_t(out.maskShape.size()))
      return fail("dropout of a tensor split over mesh axis ", out.shardAxis,
                  " along dimension ", out.shardDim, ", which ",
                  operandText(0), " does not have");
    return Status::ok();
  }
  default:
    return fail("this kernel computes no block of a split dimension, but "
                "names shard axis ", out.shardAxis);
  }
}

/// AllReduce, AllGather, ReduceScatter over the ranks of one mesh axis.
/// dims = {outer, block, group}: |outer| runs of |block| elements per rank
/// along the gathered or scattered dimension (outer 1 along dimension 0).
Status InstructionPreparer::prepareCollectiveAxes(int64_t mask) {
  if (mask <= 0 || mask >= (int64_t(1) << meshAxisCount()))
    return fail("collective over axes mask ", mask, " of a mesh with ",
                meshAxisCount(), " axes");
  if ((mask & (mask - 1)) != 0)
    return fail("collectives over several mesh axes at once (mask ", mask,
                ") are not supported yet");
  collectiveAxes = mask;
  return Status::ok();
}

Status InstructionPreparer::prepareCollective() {
  const int64_t mask = out.ints[0];
  STRATA_RETURN_IF_ERROR(prepareCollectiveAxes(mask));
  int64_t axis = 0;
  while (!((mask >> axis) & 1))
    ++axis;
  const int64_t group = meshAxisSize(axis);
  const Shape x = in(0);
  CollectiveShape &shape = out.shape.emplace<CollectiveShape>();
  shape.axis = int(axis);
  shape.group = group;
  if (out.kernel == Kernel::AllReduce) {
    if (out.ints[1] != 0 && out.ints[1] != 1)
      return fail("unknown reduction ", out.ints[1]);
    shape.reduceMax = out.ints[1] == 1;
    shape.outer = 1;
    shape.block = product(x.begin(), x.end());
    return checkResultShape(0, x);
  }
  const int64_t dim = out.ints[1];
  if (dim < 0 || dim >= int64_t(x.size()))
    return fail("dimension ", dim, " of ", operandText(0));
  Shape y = x;
  if (out.kernel == Kernel::AllGather) {
    y[dim] *= group;
  } else if (out.kernel == Kernel::LocalSlice) {
    if (x[dim] % group != 0)
      return fail(operandText(0), " cannot be sliced in ", group,
                  " blocks along dimension ", dim);
    y[dim] /= group;
  } else {
    if (out.ints[2] != 0 && out.ints[2] != 1)
      return fail("unknown reduction ", out.ints[2]);
    shape.reduceMax = out.ints[2] == 1;
    if (x[dim] % group != 0)
      return fail(operandText(0), " cannot be scattered in ", group,
                  " blocks along dimension ", dim);
    y[dim] /= group;
  }
  STRATA_RETURN_IF_ERROR(checkResultShape(0, y));
  const Shape &local = out.kernel == Kernel::AllGather ? x : y;
  shape.outer = product(local.begin(), local.begin() + dim);
  shape.block = product(local.begin() + dim, local.end());
  shape.sliceBlock = meshCoord(axis);
  // Other than along dimension 0 the blocks interleave: gather into (or
  // scatter from) scratch in rank-major order and permute.
  if (shape.outer > 1 && out.kernel != Kernel::LocalSlice)
    out.scratchBytes =
        size_t(shape.outer * shape.block * group) * dtypeSize(out.dtype);
  return Status::ok();
}

/// Send and Recv to the rank |offset| further along one mesh axis (modulo
/// its size): dims = {bytes}.
Status InstructionPreparer::preparePointToPoint() {
  const int64_t mask = out.ints[0], offset = out.ints[1], tag = out.ints[2];
  STRATA_RETURN_IF_ERROR(prepareCollectiveAxes(mask));
  int64_t axis = 0;
  while (!((mask >> axis) & 1))
    ++axis;
  const int64_t group = meshAxisSize(axis);
  if (offset % group == 0)
    return fail("offset ", offset, " along mesh axis ", axis, " of size ",
                group, " names this rank itself");
  if (tag < 0 || tag > INT_MAX)
    return fail("tag ", tag, " is outside [0, ", INT_MAX, "]");
  const bool send = out.kernel == Kernel::Send;
  CollectiveShape &shape = out.shape.emplace<CollectiveShape>();
  shape.axis = int(axis);
  shape.group = group;
  shape.bytes = buffer(send ? operandId(0) : resultId(0)).size();
  shape.peerOffset = offset;
  shape.tag = tag;
  return Status::ok();
}

/// (logits[N..., Vl], labels[N...], ...) of a vocabulary-parallel kernel:
/// dims = {N, Vl}.
Status InstructionPreparer::prepareVocabularyBlock(const char *what) {
  if (out.shardAxis < 0)
    return fail("vocabulary-parallel ", what, " without a shard axis");
  const Shape logits = in(0), labels = in(1);
  if (logits.empty() || slice(logits, 0, logits.size() - 1) != labels)
    return fail(operandText(1), " should have the shape of ", operandText(0),
                " without its last (vocabulary) dimension");
  const int64_t vocab = logits.back();
  // The statistics have no reduction; the gradient's is its first int.
  const bool statistics = out.kernel == Kernel::VocabParallelStats;
  const int64_t reduction = statistics ? 0 : out.ints[0];
  out.shape =
      CrossEntropyShape{product(labels.begin(), labels.end()), vocab,
                        out.block * vocab, out.blocks * vocab, reduction};
  return prepareValidVocab(statistics ? 0 : 1);
}

/// The optional valid_vocab at ints[|index|] (format 0.14) into the
/// cross-entropy shape: absent, every column of the vocabulary is real.
Status InstructionPreparer::prepareValidVocab(size_t index) {
  auto &shape = out.as<CrossEntropyShape>();
  shape.validVocab = shape.vocabTotal;
  if (out.ints.size() <= index)
    return Status::ok();
  const int64_t valid = out.ints[index];
  if (valid < 1 || valid > shape.vocabTotal)
    return fail("valid_vocab ", valid, " is outside [1, ", shape.vocabTotal,
                "], the vocabulary of the logits");
  shape.validVocab = valid;
  return Status::ok();
}

Status InstructionPreparer::prepareParallelKernel() {
  switch (out.kernel) {
  case Kernel::GradNorm:
  case Kernel::GradSquareSum: {
    // The listed parameters' gradient slots. GradNorm with neither a list
    // nor a sum computed elsewhere: every trainable parameter's; with only
    // such a sum (a pipeline stage's norm, every stage's squares
    // all-reduced over pp): none, or the stage's own would count twice.
    // With a shard axis (the distributed optimizer), the rank's block of
    // each slot.
    parameterList = out.ints;
    const bool plus = out.kernel == Kernel::GradNorm && numOperands() == 1;
    if (plus)
      STRATA_RETURN_IF_ERROR(checkScalar(operandId(0), "operand 0"));
    if (out.kernel == Kernel::GradSquareSum && out.shardAxis >= 0)
      STRATA_RETURN_IF_ERROR(checkOptimizerShards(out.shardAxis));
    if (parameterList.empty() && out.kernel == Kernel::GradNorm && !plus)
      parameterList = trainableParameters();
    OptimizerShape shape;
    shape.plusOperand = plus;
    for (int64_t parameter : parameterList) {
      STRATA_ASSIGN_OR_RETURN(ParameterSlots slots,
                              parameterSlots(parameter, out.shardAxis));
      if (slots.grad.elements == 0)
        return fail("parameter '", slots.name, "' has no gradient slot");
      shape.parameters.push_back(std::move(slots));
    }
    out.shape = std::move(shape);
    return checkScalar(resultId(0), "result 0");
  }
  case Kernel::ReduceGradients:
  case Kernel::ReduceScatterGradients:
  case Kernel::GatherParameters: {
    STRATA_RETURN_IF_ERROR(prepareCollectiveAxes(out.ints[0]));
    parameterList.assign(out.ints.begin() + 1, out.ints.end());
    int64_t axis = 0;
    while (!((collectiveAxes >> axis) & 1))
      ++axis;
    if (out.kernel != Kernel::ReduceGradients)
      STRATA_RETURN_IF_ERROR(checkOptimizerShards(axis));
    CollectiveShape &shape = out.shape.emplace<CollectiveShape>();
    shape.axis = int(axis);
    shape.group = meshAxisSize(axis);
    const auto &parameters = *artifact.root().parameters();
    std::vector<size_t> bytes;
    for (int64_t parameter : parameterList) {
      const artifact::Parameter &p = *parameters.Get(uint32_t(parameter));
      const int64_t id =
          out.kernel == Kernel::GatherParameters ? p.value() : p.grad();
      if (id < 0)
        return fail("parameter '", p.name()->str(), "' has no gradient slot");
      const BufferRef slot = bufferRef(uint32_t(id));
      if (!shape.slots.empty() && slot.dtype != shape.slots[0].dtype)
        return fail("buckets slots of different types: ",
                    toString(shape.slots[0].dtype), " and ",
                    toString(slot.dtype), " ('", p.name()->str(), "')");
      out.dtype = slot.dtype;
      shape.slots.push_back(slot);
      bytes.push_back(slot.bytes());
    }
    // The buckets of gradient_buckets.h, packed through operand 0, the
    // gradient bucket the compiler planned in the arena by the same rule.
    const GradientBucketPlan plan = planGradientBuckets(bytes);
    shape.bucketBytes = plan.capacity;
    shape.bucket = out.operands[0];
    const artifact::Buffer &bucket = buffer(operandId(0));
    if (bucket.category() != artifact::BufferCategory::GradientBucket)
      return fail(operandText(0), " is not a gradient bucket (category ",
                  artifact::EnumNameBufferCategory(bucket.category()), ")");
    if (!shape.slots.empty() && shape.bucket.dtype != out.dtype)
      return fail(operandText(0), " is ", toString(shape.bucket.dtype),
                  " but the slots it packs are ", toString(out.dtype));
    if (shape.bucket.bytes() < plan.bufferBytes)
      return fail(operandText(0), " holds ", shape.bucket.bytes(),
                  " bytes, fewer than the ", plan.bufferBytes,
                  " bytes of the largest bucket of ", bytes.size(), " slots");
    return Status::ok();
  }
  case Kernel::VocabParallelStats:
    STRATA_RETURN_IF_ERROR(prepareVocabularyBlock("statistics"));
    return checkResultShape(0, concat(in(1), {3}));
  case Kernel::VocabParallelLoss: {
    const Shape gathered = in(0);
    if (gathered.empty() || gathered.back() % 3 != 0 || gathered.back() == 0)
      return fail(operandText(0),
                  " should end in 3 statistics per rank of the group");
    const Shape rows = slice(gathered, 0, gathered.size() - 1);
    const int64_t count = product(rows.begin(), rows.end());
    const int64_t reduction = out.ints[0];
    // vocab: the ranks whose statistics were gathered.
    out.shape = CrossEntropyShape{count, gathered.back() / 3, 0, 0, reduction};
    if (reduction < 0 || reduction > 2)
      return fail("unknown reduction ", reduction);
    STRATA_RETURN_IF_ERROR(checkOperandShape(1, rows)); // the labels
    STRATA_RETURN_IF_ERROR(checkResultShape(0, reduction == 0 ? rows : Shape()));
    STRATA_RETURN_IF_ERROR(checkResultShape(1, rows));
    if (reduction != 0)
      out.scratchBytes = floatBytes(count);
    return Status::ok();
  }
  case Kernel::VocabParallelCrossEntropyGrad: {
    STRATA_RETURN_IF_ERROR(prepareVocabularyBlock("cross-entropy"));
    const Shape labels = in(1);
    const int64_t reduction = out.ints[0];
    if (reduction < 0 || reduction > 2)
      return fail("unknown reduction ", reduction);
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, labels));
    STRATA_RETURN_IF_ERROR(
        checkOperandShape(3, reduction == 0 ? labels : Shape()));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, in(0)));
    // the per-row dloss
    out.scratchBytes = floatBytes(out.as<CrossEntropyShape>().rows);
    return Status::ok();
  }
  case Kernel::Send:
  case Kernel::Recv:
    return preparePointToPoint();
  default:
    return prepareCollective();
  }
}

Status InstructionPreparer::prepareKernel() {
  switch (out.kernel) {
  case Kernel::Embedding: {
    const Shape table = in(0), ids = in(1);
    STRATA_RETURN_IF_ERROR(checkRank(0, 2));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, concat(ids, {table[1]})));
    out.shape = embeddingShape(ids, table);
    return Status::ok();
  }
  case Kernel::EmbeddingGrad: {
    const Shape dy = in(0), ids = in(1), table = res(0);
    if (table.size() != 2)
      return fail(resultText(0), " should have rank 2");
    STRATA_RETURN_IF_ERROR(checkOperandShape(0, concat(ids, {table[1]})));
    out.shape = embeddingShape(ids, table);
    return Status::ok();
  }
  case Kernel::Matmul:
  case Kernel::MatmulGradInput:
  case Kernel::MatmulGradWeight:
    return prepareMatmul();
  case Kernel::QuantizedMatmul: {
    // Matmul's shapes, and one scale per output channel of the weight.
    STRATA_RETURN_IF_ERROR(prepareMatmul());
    const Shape w = in(1);
    const int64_t c = out.ints[0];
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, slice(w, 0, w.size() - c)));
    return Status::ok();
  }
  case Kernel::QuantizedEmbedding: {
    const Shape table = in(0), ids = in(1);
    STRATA_RETURN_IF_ERROR(checkRank(0, 2));
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, {table[0]}));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, concat(ids, {table[1]})));
    out.shape = embeddingShape(ids, table);
    return Status::ok();
  }
  case Kernel::BiasAdd:
    STRATA_RETURN_IF_ERROR(rowsOf(in(0), in(1), operandText(0), "the bias"));
    return checkResultShape(0, in(0));
  case Kernel::BiasGrad:
    return rowsOf(in(0), res(0), operandText(0), "the bias gradient");
  case Kernel::LayerNorm:
  case Kernel::RMSNorm:
  case Kernel::LayerNormGrad:
  case Kernel::RMSNormGrad: {
    const bool backward = out.kernel == Kernel::LayerNormGrad ||
                          out.kernel == Kernel::RMSNormGrad;
    const size_t x = backward ? 1 : 0, scale = backward ? 2 : 1;
    if (in(scale).size() != 1)
      return fail(operandText(scale), " should have rank 1");
    STRATA_RETURN_IF_ERROR(
        rowsOf(in(x), in(scale), operandText(x), "the scale"));
    out.as<RowsShape>().epsilon = out.floats[0];
    if (!out.ints.empty()) { // LayerNorm(Grad)'s zero_centered_gamma
      if (out.ints[0] != 0 && out.ints[0] != 1)
        return fail("zero_centered_gamma ", out.ints[0], " is not 0 or 1");
      out.as<RowsShape>().zeroCenteredGamma = out.ints[0] == 1;
    }
    if (!backward) {
      if (numOperands() == 3)
        STRATA_RETURN_IF_ERROR(checkOperandShape(2, in(1)));
      return checkResultShape(0, in(0));
    }
    STRATA_RETURN_IF_ERROR(checkOperandShape(0, in(1)));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, in(1)));
    for (size_t i = 1; i < numResults(); ++i)
      STRATA_RETURN_IF_ERROR(checkResultShape(i, in(2)));
    out.scratchBytes = 2 * floatBytes(out.as<RowsShape>().rows); // mean, rstd
    return Status::ok();
  }
  case Kernel::RotaryEmbedding: {
    const Shape x = in(0);
    STRATA_RETURN_IF_ERROR(checkRank(0, 4));
    STRATA_RETURN_IF_ERROR(checkOperandShape(1, {x[0], x[1]}));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, x));
    const int64_t dims = out.ints[0];
    if (dims <= 0 || dims % 2 != 0 || dims > x[3])
      return fail("rotary dimensions ", dims,
                  " should be even and in [2, head_dim = ", x[3], "]");
    out.shape = RotaryShape{
        x[0], x[1], x[2], x[3], dims, out.floats[0], out.ints[1] != 0};
    return Status::ok();
  }
  case Kernel::Attention:
    return prepareAttention(false);
  case Kernel::AttentionGrad:
    return prepareAttention(true);
  case Kernel::Gelu:
  case Kernel::Silu:
  case Kernel::Relu:
  case Kernel::Scale:
    STRATA_RETURN_IF_ERROR(checkSameShapes({}, {0}));
    return elementwise();
  case Kernel::InsertVirtualTokens: {
    const Shape table = in(1), positions = in(2);
    STRATA_RETURN_IF_ERROR(checkRank(1, 2));
    STRATA_RETURN_IF_ERROR(checkOperandShape(0, concat(positions, {table[1]})));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, in(0)));
    return virtualTokenShape(positions, table[0], table[1], out.ints[0]);
  }
  case Kernel::MaskVirtualTokens: {
    const Shape dy = in(0), positions = in(1);
    if (dy.empty())
      return fail(operandText(0), " should have rank at least 1");
    STRATA_RETURN_IF_ERROR(checkOperandShape(0, concat(positions, {dy.back()})));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, dy));
    return virtualTokenShape(positions, out.ints[1], dy.back(), out.ints[0]);
  }
  case Kernel::VirtualTokenTableGrad: {
    const Shape positions = in(1), table = res(0);
    if (table.size() != 2)
      return fail(resultText(0), " should have rank 2");
    STRATA_RETURN_IF_ERROR(checkOperandShape(0, concat(positions, {table[1]})));
    return virtualTokenShape(positions, table[0], table[1], out.ints[0]);
  }
  case Kernel::Lstm:
  case Kernel::LstmGrad: {
    const Shape x = in(0), wh = in(2);
    STRATA_RETURN_IF_ERROR(checkRank(0, 2));
    if (wh.size() != 3 || wh[0] != 2 || wh[1] != 4 * wh[2])
      return fail(operandText(2), " should be [2, 4 E, E]");
    const int64_t units = wh[2];
    STRATA_RETURN_IF_ERROR(checkOperandShape(1, {2, 4 * units, x[1]}));
    STRATA_RETURN_IF_ERROR(checkOperandShape(3, {2, 4 * units}));
    const Shape y = {x[0], 2 * units};
    out.shape = LstmShape{x[0], x[1], units};
    if (out.kernel == Kernel::Lstm) {
      // Per direction the cell state (E).
      out.scratchBytes = floatBytes(2 * units);
      return checkResultShape(0, y);
    }
    STRATA_RETURN_IF_ERROR(checkOperandShape(4, y));
    for (size_t i = 0; i < 4; ++i)
      STRATA_RETURN_IF_ERROR(checkResultShape(i, in(i)));
    // The recomputed forward per step (gates 4E, cell E, output E) and the
    // running gradients (dh, dc: E each; dz: 4E).
    out.scratchBytes = floatBytes(x[0] * 6 * units + 6 * units);
    return Status::ok();
  }
  case Kernel::GeluGrad:
  case Kernel::SiluGrad:
  case Kernel::ReluGrad:
  case Kernel::SwiGLU:
  case Kernel::Add:
    STRATA_RETURN_IF_ERROR(checkSameShapes({1}, {0}));
    return elementwise();
  case Kernel::SwiGLUGrad:
    STRATA_RETURN_IF_ERROR(checkSameShapes({1, 2}, {0, 1}));
    return elementwise();
  case Kernel::Dropout: {
    out.rngStream = out.ints[0];
    const double rate = out.floats[0];
    if (!(rate >= 0.0 && rate < 1.0))
      return fail("dropout rate ", rate, " is outside [0, 1)");
    if (rate > 0.0 && out.rngStream < 0)
      return fail("dropout ", rate, " without a random stream");
    STRATA_RETURN_IF_ERROR(checkSameShapes({}, {0}));
    return elementwise();
  }
  case Kernel::Copy:
    if (out.operands[0].elements != out.results[0].elements)
      return fail(operandText(0), " and ", resultText(0),
                  " hold different numbers of elements");
    return elementwise();
  case Kernel::CrossEntropy:
    return prepareCrossEntropy(false);
  case Kernel::CrossEntropyGrad:
    return prepareCrossEntropy(true);
  case Kernel::AccumulateGrad:
    if (buffer(resultId(0)).category() != artifact::BufferCategory::Gradient)
      return fail(resultText(0), " is not a gradient slot");
    STRATA_RETURN_IF_ERROR(checkSameShapes({}, {0}));
    return elementwise();
  case Kernel::ZeroGrads: {
    OptimizerShape shape;
    for (int64_t parameter : trainableParameters()) {
      STRATA_ASSIGN_OR_RETURN(ParameterSlots slots,
                              parameterSlots(parameter, -1));
      shape.parameters.push_back(std::move(slots));
    }
    out.shape = std::move(shape);
    return Status::ok();
  }
  case Kernel::GradNorm:
  case Kernel::GradSquareSum:
  case Kernel::VocabParallelStats:
  case Kernel::VocabParallelLoss:
  case Kernel::VocabParallelCrossEntropyGrad:
  case Kernel::AllReduce:
  case Kernel::AllGather:
  case Kernel::ReduceScatter:
  case Kernel::ReduceGradients:
  case Kernel::LocalSlice:
  case Kernel::Send:
  case Kernel::Recv:
  case Kernel::ReduceScatterGradients:
  case Kernel::GatherParameters:
    return prepareParallelKernel();
  case Kernel::ClipCoefficient:
    STRATA_RETURN_IF_ERROR(checkScalar(operandId(0), "operand 0"));
    STRATA_RETURN_IF_ERROR(checkScalar(operandId(1), "operand 1"));
    return checkScalar(resultId(0), "result 0");
  case Kernel::AdamW:
  case Kernel::ParamFromMain:
    return prepareOptimizer();
  case Kernel::Cast:
    STRATA_RETURN_IF_ERROR(checkSameShapes({}, {0}));
    return elementwise();
  case Kernel::Unscale:
    STRATA_RETURN_IF_ERROR(checkScalar(operandId(0), "operand 0"));
    STRATA_RETURN_IF_ERROR(checkScalar(operandId(1), "operand 1"));
    STRATA_RETURN_IF_ERROR(checkScalar(resultId(0), "result 0"));
    return elementwise();
  case Kernel::BiasGelu:
    STRATA_RETURN_IF_ERROR(rowsOf(in(0), in(1), operandText(0), "the bias"));
    return checkResultShape(0, in(0));
  case Kernel::BiasGeluGrad:
    STRATA_RETURN_IF_ERROR(rowsOf(in(0), in(1), operandText(0), "the bias"));
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, in(0)));
    STRATA_RETURN_IF_ERROR(checkResultShape(0, in(0)));
    return checkResultShape(1, in(1));
  case Kernel::BiasDropoutAdd:
  case Kernel::BiasDropoutAddGrad: {
    const bool backward = out.kernel == Kernel::BiasDropoutAddGrad;
    out.rngStream = out.ints[0];
    const double rate = out.floats[0];
    if (!(rate >= 0.0 && rate < 1.0))
      return fail("dropout rate ", rate, " is outside [0, 1)");
    if (rate > 0.0 && out.rngStream < 0)
      return fail("dropout ", rate, " without a random stream");
    if (backward) {
      STRATA_RETURN_IF_ERROR(
          rowsOf(in(0), res(1), operandText(0), "the bias gradient"));
      return checkResultShape(0, in(0));
    }
    STRATA_RETURN_IF_ERROR(rowsOf(in(0), in(1), operandText(0), "the bias"));
    STRATA_RETURN_IF_ERROR(checkOperandShape(2, in(0)));
    return checkResultShape(0, in(0));
  }
  case Kernel::CacheWrite:
    return prepareCacheWrite();
  case Kernel::CachedAttention:
    return prepareCachedAttention();
  case Kernel::TakePositions: {
    // x[B, S, rest...], index[B] -> y[B, 1, rest...]; dims {B, S, rest}.
    const Shape x = in(0);
    if (x.size() < 2)
      return fail(operandText(0), " should have rank >= 2 [batch, sequence, ...]");
    STRATA_RETURN_IF_ERROR(checkOperandShape(1, {x[0]}));
    Shape y = x;
    y[1] = 1;
    STRATA_RETURN_IF_ERROR(checkResultShape(0, y));
    out.shape = CacheShape{x[0], x[1], 0, product(x.begin() + 2, x.end())};
    return Status::ok();
  }
  }
  return fail("the CPU executor has no kernel for this instruction");
}

} // namespace

StatusOr<std::vector<PreparedFunction>>
prepareProgram(const LoadedArtifact &artifact,
               const std::vector<int64_t> &meshCoords) {
  std::vector<PreparedFunction> functions;
  const auto *fbFunctions = artifact.root().functions();
  if (!fbFunctions)
    return functions;
  for (const artifact::Function *function : *fbFunctions) {
    PreparedFunction prepared;
    prepared.name = function->name() ? function->name()->str() : "";
    if (function->arguments())
      prepared.arguments.assign(function->arguments()->begin(),
                                function->arguments()->end());
    if (function->results())
      prepared.results.assign(function->results()->begin(),
                              function->results()->end());
    prepared.resultSplitDims.assign(prepared.results.size(), -1);
    prepared.resultSplitAxes.assign(prepared.results.size(), -1);
    const auto *dims = function->result_split_dims();
    const auto *axes = function->result_split_axes();
    if (dims || axes) {
      if (!dims || !axes || dims->size() != prepared.results.size() ||
          axes->size() != prepared.results.size())
        return Status::dataLoss(artifact.path() + ": function " +
                                prepared.name +
                                " has result splits that do not match its " +
                                std::to_string(prepared.results.size()) +
                                " results");
      const int64_t meshAxes = artifact.root().mesh_shape()
                                   ? artifact.root().mesh_shape()->size()
                                   : 0;
      for (size_t i = 0; i < prepared.results.size(); ++i) {
        const int dim = dims->Get(i), axis = axes->Get(i);
        const auto *shape =
            artifact.root().buffers()->Get(prepared.results[i])->shape();
        const int64_t rank = shape ? shape->size() : 0;
        if ((dim >= 0) != (axis >= 0) || dim >= rank || axis >= meshAxes)
          return Status::dataLoss(artifact.path() + ": function " +
                                  prepared.name + " result " +
                                  std::to_string(i) + " is split along " +
                                  std::to_string(dim) + " over mesh axis " +
                                  std::to_string(axis) +
                                  ", which does not exist");
        prepared.resultSplitDims[i] = dim;
        prepared.resultSplitAxes[i] = axis;
      }
    }
    const size_t count =
        function->instructions() ? function->instructions()->size() : 0;
    for (size_t i = 0; i < count; ++i) {
      InstructionPreparer preparer(artifact, *function, i, meshCoords);
      STRATA_ASSIGN_OR_RETURN(KernelDescriptor instruction, preparer.prepare());
      prepared.usesRandomness |= instruction.rngStream >= 0;
      prepared.instructions.push_back(std::move(instruction));
    }
    functions.push_back(std::move(prepared));
  }
  return functions;
}

} // namespace strata::runtime
