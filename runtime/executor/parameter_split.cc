//===- parameter_split.cc - a rank's block of a split parameter -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/parameter_split.h"

#include <cstring>

namespace strata::runtime {

namespace {

int64_t product(const std::vector<int64_t> &shape, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

/// Copies |outer| runs of |run| bytes between strides.
void copyRuns(const uint8_t *src, size_t srcStride, uint8_t *dst,
              size_t dstStride, int64_t outer, size_t run) {
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + o * dstStride, src + o * srcStride, run);
}

std::string shapeText(const std::vector<int64_t> &shape) {
  return io::shapeToString(shape);
}

} // namespace

uint64_t ParameterSplit::globalIndex(uint64_t local) const {
  if (!isSplit())
    return local;
  const uint64_t inner = product(localShape, dim + 1, localShape.size());
  const uint64_t rows = localShape[dim];
  const uint64_t innerIndex = local % inner;
  const uint64_t row = (local / inner) % rows;
  const uint64_t outer = local / inner / rows;
  const uint64_t globalRow = block * rows + row;
  return (outer * globalShape[dim] + globalRow) * inner + innerIndex;
}

StatusOr<ParameterSplit> splitOf(const artifact::Parameter &parameter,
                                 std::vector<int64_t> localShape,
                                 const RankMesh &mesh) {
  ParameterSplit split;
  split.localShape = std::move(localShape);
  split.globalShape = split.localShape;
  if (parameter.global_shape())
    split.globalShape.assign(parameter.global_shape()->begin(),
                             parameter.global_shape()->end());
  split.dim = parameter.split_dim();
  split.axis = parameter.split_axis();
  const std::string name = parameter.name() ? parameter.name()->str() : "?";
  if (split.dim < 0) {
    if (split.globalShape != split.localShape)
      return Status::dataLoss("parameter " + name + " is not split but its " +
                              "global shape " + shapeText(split.globalShape) +
                              " differs from its buffer " +
                              shapeText(split.localShape));
    return split;
  }
  if (split.axis < 0 || split.axis >= static_cast<int>(mesh.shape.size()) ||
      split.dim >= static_cast<int>(split.localShape.size()) ||
      split.globalShape.size() != split.localShape.size())
    return Status::dataLoss("parameter " + name + " is split along dimension " +
                            std::to_string(split.dim) + " over mesh axis " +
                            std::to_string(split.axis) +
                            ", which does not fit its buffer " +
                            shapeText(split.localShape) + " or the mesh");
  split.blocks = mesh.shape[split.axis];
  split.block = mesh.coords[split.axis];
  std::vector<int64_t> expected = split.globalShape;
  expected[split.dim] /= split.blocks;
  if (expected != split.localShape ||
      split.globalShape[split.dim] % split.blocks != 0)
    return Status::dataLoss(
        "parameter " + name + " of global shape " +
        shapeText(split.globalShape) + " in " + std::to_string(split.blocks) +
        " blocks does not fit its buffer " + shapeText(split.localShape));
  return split;
}

ParameterSplit acceptedSplitOf(const artifact::Parameter &parameter,
                               std::vector<int64_t> localShape,
                               const RankMesh &mesh) {
  StatusOr<ParameterSplit> split = splitOf(parameter, localShape, mesh);
  if (split.isOk())
    return std::move(*split);
  ParameterSplit whole;
  whole.localShape = whole.globalShape = std::move(localShape);
  return whole;
}

io::HostTensor localBlock(const io::HostTensor &global,
                          const ParameterSplit &split) {
  if (!split.isSplit())
    return global;
  io::HostTensor local(global.dtype(), split.localShape);
  const size_t element = io::dtypeSize(global.dtype());
  const int64_t outer = product(split.localShape, 0, split.dim);
  const size_t run =
      product(split.localShape, split.dim, split.localShape.size()) * element;
  copyRuns(global.bytes() + split.block * run, run * split.blocks,
           local.bytes(), run, outer, run);
  return local;
}

StatusOr<io::HostTensor> gatherBlocks(const io::HostTensor &local,
                                      const ParameterSplit &split,
                                      const RankMesh &mesh) {
  if (!split.isSplit())
    return local;
  // Any element type: the gather moves bytes (BF16 and F16 included).
  const ElementType type = local.dtype();
  io::HostTensor rankMajor(local.dtype(), {split.blocks, local.numElements()});
  STRATA_RETURN_IF_ERROR(mesh.communicators[split.axis]->allGather(
      local.bytes(), rankMajor.bytes(), local.numElements(), type));
  io::HostTensor global(local.dtype(), split.globalShape);
  const size_t element = io::dtypeSize(local.dtype());
  const int64_t outer = product(split.localShape, 0, split.dim);
  const size_t run =
      product(split.localShape, split.dim, split.localShape.size()) * element;
  for (int64_t r = 0; r < split.blocks; ++r)
    copyRuns(rankMajor.bytes() + r * local.byteSize(), run,
             global.bytes() + r * run, run * split.blocks, outer, run);
  return global;
}

namespace {

/// |tensor|'s elements in a tensor of |shape| (the same element count).
io::HostTensor reshaped(const io::HostTensor &tensor,
                        std::vector<int64_t> shape) {
  io::HostTensor out(tensor.dtype(), std::move(shape));
  std::memcpy(out.bytes(), tensor.bytes(), out.byteSize());
  return out;
}

} // namespace

ParameterSplit optimizerSplitOf(const artifact::Parameter &parameter,
                                const std::vector<int64_t> &localShape,
                                const RankMesh &mesh) {
  const int64_t n = product(localShape, 0, localShape.size());
  ParameterSplit split;
  split.localShape = split.globalShape = {n};
  const int axis = parameter.optimizer_split_axis();
  if (axis < 0 || axis >= static_cast<int>(mesh.shape.size()) ||
      mesh.shape[axis] < 1 || n % mesh.shape[axis] != 0)
    return split;
  split.dim = 0;
  split.axis = axis;
  split.blocks = mesh.shape[axis];
  split.block = mesh.coords[axis];
  split.localShape = {n / split.blocks};
  return split;
}

StatusOr<io::HostTensor> gatherOptimizerBlocks(
    const io::HostTensor &blocks, bool fromWhole, const ParameterSplit &split,
    const std::vector<int64_t> &localShape, const RankMesh &mesh) {
  if (!split.isSplit())
    return blocks;
  const io::HostTensor own =
      fromWhole ? localBlock(reshaped(blocks, split.globalShape), split)
                : reshaped(blocks, split.localShape);
  STRATA_ASSIGN_OR_RETURN(io::HostTensor flat, gatherBlocks(own, split, mesh));
  return reshaped(flat, localShape);
}

io::HostTensor optimizerBlock(const io::HostTensor &local,
                              const ParameterSplit &split) {
  if (!split.isSplit())
    return local;
  return localBlock(reshaped(local, split.globalShape), split);
}

} // namespace strata::runtime
