//===- MemoryPlanner.h - static memory plan of one program ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The algorithm behind the "scheduled" phase's memory plan, as plain C++17
// over plain data (no MLIR): given every buffer of one straight-line program
// (size, alignment, category, live interval, in-place aliasing), assign each
// a byte offset in a single arena so that the exact peak memory is known at
// compile time. The bufferization pass collects the buffers, calls
// planMemory(), and writes the offsets back into the IR.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PLANNING_MEMORYPLANNER_H
#define STRATA_COMPILER_PLANNING_MEMORYPLANNER_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::planning {

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

/// What a buffer holds. Parameter, Gradient, OptimizerState, Input, Output,
/// KVCache, PipelineStash and MainParameter are persistent: they live for the
/// whole program and across calls, so each is pinned to its own region.
/// Activation, Workspace and GradientBucket are transient: they live only
/// over their interval and share memory with buffers whose intervals do not
/// overlap theirs.
enum class BufferCategory : uint8_t {
  Parameter,
  Gradient,
  OptimizerState,
  Activation,
  Workspace,
  Input,
  Output,
  /// An attention layer's key or value cache (inference).
  KVCache,
  /// A pipeline stage's saved value of one micro-batch in flight: written by
  /// a forward step, read by the backward step of the same micro-batch
  /// calls later (one slot per micro-batch the schedule keeps in flight).
  PipelineStash,
  /// The f32 copy of a bf16/f16 parameter that the optimizer updates (mixed
  /// precision O2); the rank's block under the distributed optimizer.
  MainParameter,
  /// The bucket through which one gradient collective (reduce_grads,
  /// reduce_scatter_grads, gather_params) packs small slots: live at that
  /// instruction only.
  GradientBucket,
};
inline constexpr size_t kNumBufferCategories = 11;

/// All categories in declaration order, for iterating over peaks.
inline constexpr std::array<BufferCategory, kNumBufferCategories>
    kAllBufferCategories = {
        BufferCategory::Parameter,      BufferCategory::Gradient,
        BufferCategory::OptimizerState, BufferCategory::Activation,
        BufferCategory::Workspace,      BufferCategory::Input,
        BufferCategory::Output,         BufferCategory::KVCache,
        BufferCategory::PipelineStash,  BufferCategory::MainParameter,
        BufferCategory::GradientBucket};

/// The order in which persistent categories are laid out at the start of the
/// arena (each category's buffers by ascending id).
inline constexpr std::array<BufferCategory, 8> kPersistentLayoutOrder = {
    BufferCategory::Parameter,      BufferCategory::MainParameter,
    BufferCategory::Gradient,       BufferCategory::OptimizerState,
    BufferCategory::KVCache,        BufferCategory::PipelineStash,
    BufferCategory::Input,          BufferCategory::Output};

/// True for the categories that live for the whole program.
bool isPersistent(BufferCategory category);

/// Lower-case name for reports and diagnostics: "parameter", "gradient",
/// "optimizer_state", "activation", "workspace", "input", "output",
/// "kv_cache", "pipeline_stash", "main_parameter", "gradient_bucket".
const char *stringifyBufferCategory(BufferCategory category);

/// One buffer of the program.
struct Buffer {
  /// Unique within the program; diagnostics and tie-breaks use it.
  int64_t id = 0;
  size_t size = 0;
  /// A power of two; the buffer's offset is a multiple of it.
  size_t alignment = 1;
  BufferCategory category = BufferCategory::Activation;
  /// Live interval in instruction indices, inclusive at both ends: written
  /// first at |firstUse|, read last at |lastUse|. Ignored for persistent
  /// buffers, which are live throughout.
  int64_t firstUse = 0;
  int64_t lastUse = 0;
  /// When set, this buffer is the in-place result of an op on buffer
  /// |aliasOf| (which may itself be an alias): it gets the same offset, and
  /// its interval merges with the root's. An alias group occupies
  /// max(size) bytes aligned to max(alignment), lives over the hull of its
  /// members' intervals, and is pinned if any member is persistent.
  std::optional<int64_t> aliasOf;
  /// Optional, for diagnostics only ("layer3.mlp.fc1").
  std::string name;
};

//===----------------------------------------------------------------------===//
// Plans
//===----------------------------------------------------------------------===//

struct PlannerOptions {
  /// The arena's total size is rounded up to a multiple of this (a power of
  /// two), so arenas can be placed back to back.
  size_t arenaAlignment = 256;
};

/// Layout of one arena:
///   [0, persistentBytes)                  persistent buffers, by category
///   [transientBase, +transientBytes)      transient buffers, packed by
///                                         liveness
///   up to arenaBytes                      padding to arenaAlignment
struct MemoryPlan {
  /// offsets[i] is the byte offset of buffers[i] from the arena base.
  std::vector<size_t> offsets;
  /// Total size of the arena, a multiple of arenaAlignment.
  size_t arenaBytes = 0;
  size_t arenaAlignment = 1;
  /// End of the persistent region.
  size_t persistentBytes = 0;
  /// Start of the transient region: persistentBytes rounded up to the
  /// largest transient alignment.
  size_t transientBase = 0;
  /// Size of the transient region as packed.
  size_t transientBytes = 0;
  /// Max over instructions of the bytes of transient storage live at that
  /// instruction: no packing can make the transient region smaller.
  size_t transientLowerBound = 0;
  /// The instruction where transientLowerBound is reached (0 if no
  /// transient buffers).
  int64_t transientPeakInstruction = 0;
  /// Sum of the sizes of all transient storage (one per alias group): the
  /// transient region's size without any reuse.
  size_t transientSumBytes = 0;
  /// Per category, the max over instructions of the bytes of that category
  /// live at that instruction; for persistent categories, their total. Alias
  /// groups count once, under their root's category (under their persistent
  /// member's category when pinned by one).
  std::array<size_t, kNumBufferCategories> peakBytes{};

  size_t peak(BufferCategory category) const {
    return peakBytes[static_cast<size_t>(category)];
  }
  /// transientBytes / transientLowerBound: 1.0 is optimal (1.0 when there is
  /// nothing transient).
  double lowerBoundRatio() const;
};

/// Checks that |buffers| can be planned: unique ids, power-of-two
/// alignments, firstUse <= lastUse for transient buffers, aliases naming an
/// existing buffer, no alias cycles, and sizes plus alignments adding up to
/// less than 2^62 bytes. Returns a message naming the buffer at fault.
std::optional<std::string> validateBuffers(const std::vector<Buffer> &buffers);

/// Plans |buffers|. Persistent groups are laid out first, grouped by
/// category in kPersistentLayoutOrder, each by ascending id. Transient groups
/// are packed greedily by size (Pisarchyk & Lee 2020, "Greedy by Size"; the
/// TFLite arena planner): in order of decreasing size (ties by id), each is
/// placed in the smallest gap that fits among already-placed groups whose
/// intervals overlap its own (ties to the lower offset), or above them all.
/// The result is independent of the order of |buffers|.
///
/// Cost: for n groups, each placement gathers the byte ranges of the k
/// placed groups live at the same time from two segment trees over the
/// instructions, where groups packed side by side have merged into one
/// range, and sorts them: O(n log n + sum of k log k), O(n^2 log n) at worst.
/// About 0.25 s for the 100k buffers of a 96-layer training step.
///
/// Returns nullopt and sets |*errorMessage| (when given) if validateBuffers
/// fails or options.arenaAlignment is not a power of two.
std::optional<MemoryPlan> planMemory(const std::vector<Buffer> &buffers,
                                     const PlannerOptions &options = {},
                                     std::string *errorMessage = nullptr);

/// Checks |plan| against |buffers| without using the planner: one offset per
/// buffer, every offset a multiple of its buffer's alignment, every buffer
/// inside the arena, aliases at their root's offset, and no two alias groups
/// both live at some instruction (persistent ones always are) with
/// overlapping bytes. Returns a message naming the buffers at fault (for an
/// overlap, the root of each group), or validateBuffers' message.
/// O(n log n).
std::optional<std::string> verify(const MemoryPlan &plan,
                                  const std::vector<Buffer> &buffers);

/// A few lines for compiler reports: arena size, persistent and transient
/// regions, transient saving and the plan/lower-bound ratio, peaks by
/// category.
std::string formatPlanSummary(const MemoryPlan &plan);

} // namespace strata::planning

#endif // STRATA_COMPILER_PLANNING_MEMORYPLANNER_H
