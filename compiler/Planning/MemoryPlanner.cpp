//===- MemoryPlanner.cpp - static memory plan of one program --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Planning/MemoryPlanner.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>

namespace strata::planning {
namespace {

constexpr size_t kNoOffset = std::numeric_limits<size_t>::max();

bool isPowerOfTwo(size_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

size_t alignTo(size_t value, size_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

size_t persistentLayoutRank(BufferCategory category) {
  for (size_t i = 0; i < kPersistentLayoutOrder.size(); ++i)
    if (kPersistentLayoutOrder[i] == category)
      return i;
  return kPersistentLayoutOrder.size();
}

/// `buffer 7` or `buffer 7 "layer0.qkv"`.
std::string describe(const Buffer &buffer) {
  std::string text = "buffer " + std::to_string(buffer.id);
  if (!buffer.name.empty())
    text += " \"" + buffer.name + "\"";
  return text;
}

std::string describeInterval(int64_t first, int64_t last) {
  return "[" + std::to_string(first) + ", " + std::to_string(last) + "]";
}

std::string describeBytes(size_t begin, size_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

/// Index of every buffer's id; assumes ids are unique.
std::unordered_map<int64_t, size_t>
indexById(const std::vector<Buffer> &buffers) {
  std::unordered_map<int64_t, size_t> index;
  index.reserve(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i)
    index.emplace(buffers[i].id, i);
  return index;
}

/// rootOf[i] is the index of the buffer at the end of buffers[i]'s alias
/// chain (i itself when it is no alias). Assumes validated buffers.
std::vector<size_t>
resolveAliasRoots(const std::vector<Buffer> &buffers,
                  const std::unordered_map<int64_t, size_t> &index) {
  std::vector<size_t> rootOf(buffers.size(), kNoOffset);
  std::vector<size_t> chain;
  for (size_t i = 0; i < buffers.size(); ++i) {
    size_t current = i;
    chain.clear();
    while (rootOf[current] == kNoOffset && buffers[current].aliasOf) {
      chain.push_back(current);
      current = index.at(*buffers[current].aliasOf);
    }
    size_t root = rootOf[current] == kNoOffset ? current : rootOf[current];
    rootOf[current] = root;
    for (size_t member : chain)
      rootOf[member] = root;
  }
  return rootOf;
}

/// One alias group: the unit that gets an offset.
struct Group {
  size_t root = 0; // index into buffers
  int64_t rootId = 0;
  size_t size = 0;
  size_t alignment = 1;
  int64_t firstUse = std::numeric_limits<int64_t>::max();
  int64_t lastUse = std::numeric_limits<int64_t>::min();
  BufferCategory category = BufferCategory::Activation;
  bool pinned = false;
  size_t offset = kNoOffset;
};

/// Builds the alias groups; groupOf[i] is buffers[i]'s group.
std::vector<Group> buildGroups(const std::vector<Buffer> &buffers,
                               const std::vector<size_t> &rootOf,
                               std::vector<size_t> &groupOf) {
  std::vector<Group> groups;
  std::vector<size_t> groupOfRoot(buffers.size(), kNoOffset);
  groupOf.assign(buffers.size(), kNoOffset);
  for (size_t i = 0; i < buffers.size(); ++i) {
    size_t root = rootOf[i];
    if (groupOfRoot[root] == kNoOffset) {
      groupOfRoot[root] = groups.size();
      Group group;
      group.root = root;
      group.rootId = buffers[root].id;
      group.category = buffers[root].category;
      groups.push_back(group);
    }
    groupOf[i] = groupOfRoot[root];
  }
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = buffers[i];
    Group &group = groups[groupOf[i]];
    group.size = std::max(group.size, buffer.size);
    group.alignment = std::max(group.alignment, buffer.alignment);
    if (isPersistent(buffer.category)) {
      // A pinned group is filed under its root's category when that is
      // persistent, else under its first persistent member in layout order
      // (a transient category ranks after every persistent one).
      group.pinned = true;
      if (persistentLayoutRank(buffer.category) <
              persistentLayoutRank(group.category) &&
          !isPersistent(buffers[group.root].category))
        group.category = buffer.category;
    } else {
      group.firstUse = std::min(group.firstUse, buffer.firstUse);
      group.lastUse = std::max(group.lastUse, buffer.lastUse);
    }
  }
  return groups;
}

/// Bytes [begin, end) of the transient region.
struct Range {
  size_t begin;
  size_t end;
};

/// A union of ranges, kept as disjoint, non-touching ranges sorted by
/// offset: placed groups packed next to each other collapse into one range.
class RangeUnion {
public:
  void insert(size_t begin, size_t end) {
    // The first range that touches or follows [begin, end).
    auto first = std::lower_bound(
        ranges.begin(), ranges.end(), begin,
        [](const Range &range, size_t value) { return range.end < value; });
    auto last = first;
    for (; last != ranges.end() && last->begin <= end; ++last) {
      begin = std::min(begin, last->begin);
      end = std::max(end, last->end);
    }
    if (first == last) {
      ranges.insert(first, Range{begin, end});
      return;
    }
    *first = Range{begin, end};
    ranges.erase(first + 1, last);
  }
  const std::vector<Range> &get() const { return ranges; }

private:
  std::vector<Range> ranges;
};

/// Packs the transient groups |order| (already sorted by decreasing size)
/// whose compressed intervals are [lo[g], hi[g]] over |numPoints| points.
/// Sets Group::offset relative to the transient base.
///
/// Finding a group's place needs the bytes taken by placed groups whose
/// intervals overlap [lo, hi]: those containing lo, and those starting in
/// (lo, hi]. Two segment trees over the points hold them as unions of byte
/// ranges (the gaps of a union are the gaps of its members, so nothing is
/// lost), which stay short because packed groups are mostly adjacent:
///   containing  a group's range at each of the O(log n) canonical nodes of
///               its interval; the nodes on the path from the root to lo
///               hold exactly the groups containing lo.
///   starting    a group's range at every ancestor of its start point; the
///               O(log n) canonical nodes of (lo, hi] hold the groups
///               starting there.
void packTransient(std::vector<Group> &groups,
                   const std::vector<uint32_t> &order,
                   const std::vector<uint32_t> &lo,
                   const std::vector<uint32_t> &hi, size_t numPoints) {
  size_t leaves = 1;
  while (leaves < numPoints)
    leaves <<= 1;
  std::vector<RangeUnion> containing(2 * leaves), starting(2 * leaves);
  std::vector<Range> taken;

  for (uint32_t g : order) {
    Group &group = groups[g];
    taken.clear();
    auto collect = [&](const RangeUnion &ranges) {
      taken.insert(taken.end(), ranges.get().begin(), ranges.get().end());
    };
    for (size_t node = lo[g] + leaves; node != 0; node >>= 1)
      collect(containing[node]);
    for (size_t left = lo[g] + 1 + leaves, right = hi[g] + 1 + leaves;
         left < right; left >>= 1, right >>= 1) {
      if (left & 1)
        collect(starting[left++]);
      if (right & 1)
        collect(starting[--right]);
    }
    std::sort(taken.begin(), taken.end(),
              [](const Range &a, const Range &b) { return a.begin < b.begin; });

    // Best fit: the smallest gap that holds the group, the lower on ties;
    // above everything when none does.
    size_t cursor = 0;
    size_t best = kNoOffset;
    size_t bestSlack = kNoOffset;
    for (const Range &range : taken) {
      if (range.begin > cursor) {
        size_t start = alignTo(cursor, group.alignment);
        if (start <= range.begin && range.begin - start >= group.size &&
            range.begin - start < bestSlack) {
          best = start;
          bestSlack = range.begin - start;
        }
      }
      cursor = std::max(cursor, range.end);
    }
    group.offset = best != kNoOffset ? best : alignTo(cursor, group.alignment);
    if (group.size == 0)
      continue;

    size_t begin = group.offset, end = group.offset + group.size;
    for (size_t left = lo[g] + leaves, right = hi[g] + 1 + leaves; left < right;
         left >>= 1, right >>= 1) {
      if (left & 1)
        containing[left++].insert(begin, end);
      if (right & 1)
        containing[--right].insert(begin, end);
    }
    for (size_t node = lo[g] + leaves; node != 0; node >>= 1)
      starting[node].insert(begin, end);
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Categories
//===----------------------------------------------------------------------===//

bool isPersistent(BufferCategory category) {
  switch (category) {
  case BufferCategory::Activation:
  case BufferCategory::Workspace:
  case BufferCategory::GradientBucket:
    return false;
  case BufferCategory::Parameter:
  case BufferCategory::Gradient:
  case BufferCategory::OptimizerState:
  case BufferCategory::Input:
  case BufferCategory::Output:
  case BufferCategory::KVCache:
  case BufferCategory::PipelineStash:
  case BufferCategory::MainParameter:
    return true;
  }
  return true;
}

const char *stringifyBufferCategory(BufferCategory category) {
  switch (category) {
  case BufferCategory::Parameter:
    return "parameter";
  case BufferCategory::Gradient:
    return "gradient";
  case BufferCategory::OptimizerState:
    return "optimizer_state";
  case BufferCategory::Activation:
    return "activation";
  case BufferCategory::Workspace:
    return "workspace";
  case BufferCategory::Input:
    return "input";
  case BufferCategory::Output:
    return "output";
  case BufferCategory::KVCache:
    return "kv_cache";
  case BufferCategory::PipelineStash:
    return "pipeline_stash";
  case BufferCategory::MainParameter:
    return "main_parameter";
  case BufferCategory::GradientBucket:
    return "gradient_bucket";
  }
  return "unknown";
}

//===----------------------------------------------------------------------===//
// Planning
//===----------------------------------------------------------------------===//

double MemoryPlan::lowerBoundRatio() const {
  if (transientLowerBound == 0)
    return transientBytes == 0 ? 1.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(transientBytes) /
         static_cast<double>(transientLowerBound);
}

std::optional<std::string> validateBuffers(const std::vector<Buffer> &buffers) {
  // Every offset and total stays below the sum of sizes and alignments, so
  // keeping that sum far from overflowing keeps all the arithmetic exact.
  constexpr size_t kMaxTotalBytes = std::numeric_limits<size_t>::max() / 4;
  size_t totalBytes = 0;
  std::unordered_map<int64_t, size_t> index;
  index.reserve(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = buffers[i];
    if (buffer.size > kMaxTotalBytes - totalBytes ||
        buffer.alignment > kMaxTotalBytes - totalBytes - buffer.size)
      return describe(buffer) + ": sizes and alignments add up to more than " +
             std::to_string(kMaxTotalBytes) + " bytes";
    totalBytes += buffer.size + buffer.alignment;
    auto [it, inserted] = index.emplace(buffer.id, i);
    if (!inserted)
      return "buffers at positions " + std::to_string(it->second) + " and " +
             std::to_string(i) + " share id " + std::to_string(buffer.id);
    if (!isPowerOfTwo(buffer.alignment))
      return describe(buffer) + ": alignment " +
             std::to_string(buffer.alignment) + " is not a power of two";
    if (!isPersistent(buffer.category) && buffer.firstUse > buffer.lastUse)
      return describe(buffer) + ": live interval " +
             describeInterval(buffer.firstUse, buffer.lastUse) +
             " ends before it starts";
  }
  for (const Buffer &buffer : buffers) {
    if (!buffer.aliasOf)
      continue;
    if (*buffer.aliasOf == buffer.id)
      return describe(buffer) + " aliases itself";
    if (!index.count(*buffer.aliasOf))
      return describe(buffer) + " aliases unknown buffer " +
             std::to_string(*buffer.aliasOf);
  }
  // Alias chains: 0 unvisited, 1 on the chain being followed, 2 done.
  std::vector<uint8_t> state(buffers.size(), 0);
  std::vector<size_t> chain;
  for (size_t i = 0; i < buffers.size(); ++i) {
    chain.clear();
    size_t current = i;
    while (state[current] == 0) {
      state[current] = 1;
      chain.push_back(current);
      if (!buffers[current].aliasOf)
        break;
      current = index.at(*buffers[current].aliasOf);
    }
    if (state[current] == 1 && buffers[current].aliasOf) {
      std::string cycle = "alias cycle: " + describe(buffers[current]);
      size_t member = current;
      do {
        member = index.at(*buffers[member].aliasOf);
        cycle += " -> " + describe(buffers[member]);
      } while (member != current);
      return cycle;
    }
    for (size_t member : chain)
      state[member] = 2;
  }
  return std::nullopt;
}

std::optional<MemoryPlan> planMemory(const std::vector<Buffer> &buffers,
                                     const PlannerOptions &options,
                                     std::string *errorMessage) {
  auto fail = [&](std::string message) -> std::optional<MemoryPlan> {
    if (errorMessage)
      *errorMessage = std::move(message);
    return std::nullopt;
  };
  if (!isPowerOfTwo(options.arenaAlignment))
    return fail("arena alignment " + std::to_string(options.arenaAlignment) +
                " is not a power of two");
  if (std::optional<std::string> error = validateBuffers(buffers))
    return fail(std::move(*error));

  std::vector<size_t> groupOf;
  std::vector<Group> groups = buildGroups(
      buffers, resolveAliasRoots(buffers, indexById(buffers)), groupOf);

  MemoryPlan plan;
  plan.arenaAlignment = options.arenaAlignment;

  // Persistent groups: by category in layout order, then by id.
  std::vector<uint32_t> pinned, transient;
  for (uint32_t g = 0; g < groups.size(); ++g)
    (groups[g].pinned ? pinned : transient).push_back(g);
  std::sort(pinned.begin(), pinned.end(), [&](uint32_t a, uint32_t b) {
    size_t rankA = persistentLayoutRank(groups[a].category);
    size_t rankB = persistentLayoutRank(groups[b].category);
    if (rankA != rankB)
      return rankA < rankB;
    return groups[a].rootId < groups[b].rootId;
  });
  size_t cursor = 0;
  for (uint32_t g : pinned) {
    Group &group = groups[g];
    group.offset = alignTo(cursor, group.alignment);
    cursor = group.offset + group.size;
    plan.peakBytes[static_cast<size_t>(group.category)] += group.size;
  }
  plan.persistentBytes = cursor;

  // Transient groups: compress the interval endpoints to points 0..n-1
  // (overlap only depends on their order), then sweep for the peaks.
  size_t transientAlignment = 1;
  std::vector<int64_t> points;
  points.reserve(2 * transient.size());
  for (uint32_t g : transient) {
    transientAlignment = std::max(transientAlignment, groups[g].alignment);
    points.push_back(groups[g].firstUse);
    points.push_back(groups[g].lastUse);
    plan.transientSumBytes += groups[g].size;
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  auto pointOf = [&](int64_t instruction) {
    return static_cast<uint32_t>(
        std::lower_bound(points.begin(), points.end(), instruction) -
        points.begin());
  };
  std::vector<uint32_t> lo(groups.size()), hi(groups.size());
  for (uint32_t g : transient) {
    lo[g] = pointOf(groups[g].firstUse);
    hi[g] = pointOf(groups[g].lastUse);
  }

  // Live bytes per point, per transient category and in total. Unsigned
  // wrap-around cancels out in the running sums.
  std::vector<std::array<size_t, kNumBufferCategories>> delta(points.size() +
                                                              1);
  for (uint32_t g : transient) {
    size_t category = static_cast<size_t>(groups[g].category);
    delta[lo[g]][category] += groups[g].size;
    delta[hi[g] + 1][category] -= groups[g].size;
  }
  std::array<size_t, kNumBufferCategories> live{};
  for (size_t point = 0; point < points.size(); ++point) {
    size_t total = 0;
    for (size_t category = 0; category < kNumBufferCategories; ++category) {
      live[category] += delta[point][category];
      total += live[category];
      if (!isPersistent(static_cast<BufferCategory>(category)))
        plan.peakBytes[category] =
            std::max(plan.peakBytes[category], live[category]);
    }
    if (total > plan.transientLowerBound) {
      plan.transientLowerBound = total;
      plan.transientPeakInstruction = points[point];
    }
  }

  // Greedy by size: decreasing size, ties by id.
  std::sort(transient.begin(), transient.end(), [&](uint32_t a, uint32_t b) {
    if (groups[a].size != groups[b].size)
      return groups[a].size > groups[b].size;
    return groups[a].rootId < groups[b].rootId;
  });
  packTransient(groups, transient, lo, hi, points.size());

  plan.transientBase = alignTo(plan.persistentBytes, transientAlignment);
  for (uint32_t g : transient) {
    plan.transientBytes =
        std::max(plan.transientBytes, groups[g].offset + groups[g].size);
    groups[g].offset += plan.transientBase;
  }
  plan.arenaBytes =
      alignTo(plan.transientBase + plan.transientBytes, options.arenaAlignment);

  plan.offsets.resize(buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i)
    plan.offsets[i] = groups[groupOf[i]].offset;
  return plan;
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

std::optional<std::string> verify(const MemoryPlan &plan,
                                  const std::vector<Buffer> &buffers) {
  if (std::optional<std::string> error = validateBuffers(buffers))
    return "invalid buffers: " + *error;
  if (plan.offsets.size() != buffers.size())
    return "plan has " + std::to_string(plan.offsets.size()) + " offsets for " +
           std::to_string(buffers.size()) + " buffers";
  if (!isPowerOfTwo(plan.arenaAlignment))
    return "arena alignment " + std::to_string(plan.arenaAlignment) +
           " is not a power of two";
  if (plan.arenaBytes % plan.arenaAlignment != 0)
    return "arena size " + std::to_string(plan.arenaBytes) +
           " is not a multiple of the arena alignment " +
           std::to_string(plan.arenaAlignment);

  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = buffers[i];
    size_t offset = plan.offsets[i];
    if (offset % buffer.alignment != 0)
      return describe(buffer) + " at offset " + std::to_string(offset) +
             " is not aligned to " + std::to_string(buffer.alignment);
    if (buffer.size > plan.arenaBytes || offset > plan.arenaBytes - buffer.size)
      return describe(buffer) + " at " +
             (offset > plan.arenaBytes
                  ? "offset " + std::to_string(offset)
                  : "bytes " + describeBytes(offset, offset + buffer.size)) +
             " extends past the end of the " + std::to_string(plan.arenaBytes) +
             "-byte arena";
  }

  // Alias groups, rebuilt here rather than taken from the planner.
  std::unordered_map<int64_t, size_t> index = indexById(buffers);
  struct Extent {
    size_t root;
    size_t members = 0;
    size_t end = 0;
    int64_t firstUse = std::numeric_limits<int64_t>::max();
    int64_t lastUse = std::numeric_limits<int64_t>::min();
  };
  std::vector<Extent> extents;
  std::vector<size_t> extentOfRoot(buffers.size(), kNoOffset);
  std::vector<size_t> rootOf = resolveAliasRoots(buffers, index);
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = buffers[i];
    size_t root = rootOf[i];
    if (plan.offsets[i] != plan.offsets[root])
      return describe(buffer) + " aliases " + describe(buffers[root]) +
             " but is at offset " + std::to_string(plan.offsets[i]) + ", not " +
             std::to_string(plan.offsets[root]);
    if (extentOfRoot[root] == kNoOffset) {
      extentOfRoot[root] = extents.size();
      extents.push_back({root});
    }
    Extent &extent = extents[extentOfRoot[root]];
    ++extent.members;
    extent.end = std::max(extent.end, plan.offsets[i] + buffer.size);
    if (isPersistent(buffer.category)) {
      extent.firstUse = std::numeric_limits<int64_t>::min();
      extent.lastUse = std::numeric_limits<int64_t>::max();
    } else {
      extent.firstUse = std::min(extent.firstUse, buffer.firstUse);
      extent.lastUse = std::max(extent.lastUse, buffer.lastUse);
    }
  }

  auto describeExtent = [&](const Extent &extent) {
    std::string text = describe(buffers[extent.root]);
    if (extent.members > 1)
      text += " (with " + std::to_string(extent.members - 1) + " alias" +
              (extent.members > 2 ? "es" : "") + ")";
    text += " at bytes " + describeBytes(plan.offsets[extent.root], extent.end);
    if (extent.firstUse == std::numeric_limits<int64_t>::min())
      text += " live throughout";
    else
      text += " live over " + describeInterval(extent.firstUse, extent.lastUse);
    return text;
  };

  // Sweep over time: the groups live at once are disjoint in memory so far,
  // so a newcomer only needs checking against its neighbours by offset.
  std::vector<size_t> order;
  for (size_t e = 0; e < extents.size(); ++e)
    if (extents[e].end > plan.offsets[extents[e].root])
      order.push_back(e);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (extents[a].firstUse != extents[b].firstUse)
      return extents[a].firstUse < extents[b].firstUse;
    return a < b;
  });
  using Expiry = std::pair<int64_t, size_t>; // lastUse, extent
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>>
      expiring;
  std::map<size_t, size_t> liveByOffset; // begin -> extent
  for (size_t e : order) {
    const Extent &extent = extents[e];
    while (!expiring.empty() && expiring.top().first < extent.firstUse) {
      liveByOffset.erase(plan.offsets[extents[expiring.top().second].root]);
      expiring.pop();
    }
    size_t begin = plan.offsets[extent.root];
    auto next = liveByOffset.lower_bound(begin);
    if (next != liveByOffset.end() && next->first < extent.end)
      return describeExtent(extents[next->second]) + " and " +
             describeExtent(extent) + " overlap in memory while both live";
    if (next != liveByOffset.begin()) {
      auto previous = std::prev(next);
      if (extents[previous->second].end > begin)
        return describeExtent(extents[previous->second]) + " and " +
               describeExtent(extent) + " overlap in memory while both live";
    }
    liveByOffset.emplace(begin, e);
    expiring.push({extent.lastUse, e});
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

namespace {

/// "1.50 GiB (1610612736 bytes)"; plain bytes below 1 KiB.
std::string formatBytes(size_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f %s (%zu bytes)", value, units[unit],
                bytes);
  return text;
}

} // namespace

std::string formatPlanSummary(const MemoryPlan &plan) {
  std::string text = "arena: " + formatBytes(plan.arenaBytes) + "\n";
  text += "persistent: " + formatBytes(plan.persistentBytes) + "\n";
  char line[160];
  double saving =
      plan.transientSumBytes == 0
          ? 0.0
          : 100.0 * (1.0 - static_cast<double>(plan.transientBytes) /
                               static_cast<double>(plan.transientSumBytes));
  text += "transient: " + formatBytes(plan.transientBytes) + " at offset " +
          std::to_string(plan.transientBase) + "\n";
  std::snprintf(line, sizeof(line),
                "  lower bound %s at instruction %" PRId64
                " (plan/lower bound %.3f)\n",
                formatBytes(plan.transientLowerBound).c_str(),
                plan.transientPeakInstruction, plan.lowerBoundRatio());
  text += line;
  std::snprintf(line, sizeof(line), "  without reuse %s (reuse saves %.1f%%)\n",
                formatBytes(plan.transientSumBytes).c_str(), saving);
  text += line;
  text += "peak by category:\n";
  for (BufferCategory category : kAllBufferCategories)
    if (plan.peak(category) != 0)
      text += std::string("  ") + stringifyBufferCategory(category) + ": " +
              formatBytes(plan.peak(category)) + "\n";
  return text;
}

} // namespace strata::planning
