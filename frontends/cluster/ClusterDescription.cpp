//===- ClusterDescription.cpp - the machines a job runs on ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every key is checked where it is read: its type and range, with the
// file, line and value in the message. Keys the description does not know
// are errors (with the closest known key), and every missing key is
// reported at the mapping that should hold it, so one run lists every
// problem.
//
//===----------------------------------------------------------------------===//
#include "frontends/cluster/ClusterDescription.h"

#include "frontends/cluster/ClusterPresets.h"
#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/EditDistance.h"
#include "frontends/model/ScalarValues.h"
#include "frontends/model/YamlTree.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace strata::frontend {

namespace {

/// Reads the keys of one mapping, each once, and reports the rest.
class MappingReader {
public:
  MappingReader(const YamlNode &mapping, DiagnosticSink &sink)
      : mapping(mapping), sink(sink) {}

  /// The value of |key|; reports a missing required key at the mapping
  /// ("missing key device.memory_gib: what it means").
  const YamlNode *get(const std::string &key, const char *meaning,
                      bool required = true) {
    known.push_back(key);
    const YamlEntry *entry = mapping.find(key);
    if (entry && !entry->value->isNull())
      return entry->value.get();
    if (required)
      sink.error(mapping.location, "missing key " + pathOf(key) + " (" +
                                       meaning + ")");
    return nullptr;
  }

  /// A positive finite number.
  std::optional<double> positive(const std::string &key, const char *meaning,
                                 bool required = true) {
    const YamlNode *node = get(key, meaning, required);
    if (!node)
      return std::nullopt;
    std::optional<double> value =
        node->isScalar() && node->plain ? parseYamlFloat(node->text)
                                        : std::nullopt;
    if (!value || *value <= 0) {
      sink.error(node->location, pathOf(key) + " must be a positive number (" +
                                     meaning + "), got " + describeNode(*node));
      return std::nullopt;
    }
    return value;
  }

  /// A fraction in (0, 1].
  std::optional<double> fraction(const std::string &key, const char *meaning) {
    const YamlNode *node = get(key, meaning);
    if (!node)
      return std::nullopt;
    std::optional<double> value =
        node->isScalar() && node->plain ? parseYamlFloat(node->text)
                                        : std::nullopt;
    if (!value || *value <= 0 || *value > 1) {
      sink.error(node->location, pathOf(key) +
                                     " must be a fraction in (0, 1] (" +
                                     meaning + "), got " + describeNode(*node));
      return std::nullopt;
    }
    return value;
  }

  /// A positive integer.
  std::optional<int64_t> count(const std::string &key, const char *meaning) {
    const YamlNode *node = get(key, meaning);
    if (!node)
      return std::nullopt;
    int64_t value = 0;
    if (!node->isScalar() || !node->plain ||
        parseYamlInteger(node->text, value) != IntegerStatus::Ok ||
        value < 1) {
      sink.error(node->location, pathOf(key) +
                                     " must be a positive integer (" +
                                     meaning + "), got " + describeNode(*node));
      return std::nullopt;
    }
    return value;
  }

  /// A string (plain or quoted).
  std::optional<std::string> text(const std::string &key, const char *meaning,
                                  bool required = true) {
    const YamlNode *node = get(key, meaning, required);
    if (!node)
      return std::nullopt;
    if (!node->isScalar()) {
      sink.error(node->location, pathOf(key) + " must be a string (" +
                                     meaning + "), got " + describeNode(*node));
      return std::nullopt;
    }
    return node->text;
  }

  /// A nested mapping; reports another kind of value.
  const YamlNode *section(const std::string &key, const char *meaning) {
    const YamlNode *node = get(key, meaning);
    if (node && !node->isMapping()) {
      sink.error(node->location, pathOf(key) + " must be a mapping (" +
                                     meaning + "), got " + describeNode(*node));
      return nullptr;
    }
    return node;
  }

  /// Reports every key that was not asked for.
  void rejectUnknownKeys() {
    std::vector<std::string_view> candidates(known.begin(), known.end());
    for (const YamlEntry &entry : mapping.entries) {
      if (std::find(known.begin(), known.end(), entry.key) != known.end())
        continue;
      std::string message = "unknown key " + pathOf(entry.key) +
                            " in a cluster description";
      std::string close = closestMatch(entry.key, candidates);
      if (!close.empty())
        message += "; did you mean '" + close + "'?";
      sink.error(entry.keyLocation, message);
    }
  }

  std::string pathOf(const std::string &key) const {
    return mapping.path.empty() ? key : mapping.path + "." + key;
  }

private:
  const YamlNode &mapping;
  DiagnosticSink &sink;
  std::vector<std::string> known;
};

void readLink(MappingReader &links, const std::string &key,
              const char *meaning, LinkSpec &out, DiagnosticSink &sink) {
  const YamlNode *node = links.section(key, meaning);
  if (!node)
    return;
  MappingReader link(*node, sink);
  if (auto v = link.positive("bandwidth_gb_s",
                             "GB/s one device sends in one direction"))
    out.bandwidthBytesPerS = *v * 1e9;
  if (auto v = link.positive("latency_us", "microseconds per message"))
    out.latencyS = *v * 1e-6;
  link.rejectUnknownKeys();
}

void readGemmCurve(const YamlNode &node, ClusterDescription &out,
                   DiagnosticSink &sink) {
  if (!node.isSequence() || node.items.empty()) {
    sink.error(node.location,
               "efficiency.gemm must be a non-empty sequence of {flops, "
               "fraction} (the fraction of peak a GEMM of that many FLOPs "
               "per call reaches), got " +
                   describeNode(node));
    return;
  }
  for (const auto &item : node.items) {
    if (!item->isMapping()) {
      sink.error(item->location, item->path +
                                     " must be a mapping {flops, fraction}, "
                                     "got " +
                                     describeNode(*item));
      continue;
    }
    MappingReader point(*item, sink);
    std::optional<double> flops =
        point.positive("flops", "FLOPs of one GEMM call");
    std::optional<double> fraction =
        point.fraction("fraction", "of peak FLOP/s at that size");
    point.rejectUnknownKeys();
    if (!flops || !fraction)
      continue;
    if (!out.gemmEfficiency.empty() &&
        *flops <= out.gemmEfficiency.back().flops) {
      sink.error(item->location,
                 item->path + ".flops " + formatDouble(*flops) +
                     " must be larger than the previous point's " +
                     formatDouble(out.gemmEfficiency.back().flops) +
                     " (points ascend)");
      continue;
    }
    out.gemmEfficiency.push_back({*flops, *fraction});
  }
}

std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

void readDescription(const YamlNode &root, const std::string &fileName,
                     ClusterDescription &out, DiagnosticSink &sink) {
  MappingReader top(root, sink);
  if (auto v = top.text("name", "what the cluster is called"))
    out.name = *v;
  if (auto v = top.count("nodes", "machines in the job"))
    out.nodes = *v;
  if (auto v = top.count("gpus_per_node", "devices (ranks) per node"))
    out.gpusPerNode = *v;

  if (const YamlNode *node = top.section("device", "one device's capacity")) {
    MappingReader device(*node, sink);
    if (const YamlNode *kind = device.get("kind", "gpu or cpu")) {
      if (kind->isScalar() && kind->text == "gpu")
        out.deviceKind = DeviceKind::Gpu;
      else if (kind->isScalar() && kind->text == "cpu")
        out.deviceKind = DeviceKind::Cpu;
      else
        sink.error(kind->location, "unknown device.kind " +
                                       describeNode(*kind) +
                                       "; expected gpu or cpu");
    }
    if (auto v = device.positive("memory_gib", "memory of one device, GiB"))
      out.deviceMemoryBytes = int64_t(std::llround(*v * 1073741824.0));
    if (auto v = device.positive("peak_bf16_tflops",
                                 "dense bf16 TFLOP/s of one device"))
      out.peakBf16FlopsPerS = *v * 1e12;
    if (auto v = device.positive("peak_f32_tflops",
                                 "dense f32 TFLOP/s of one device"))
      out.peakF32FlopsPerS = *v * 1e12;
    if (auto v = device.positive("memory_bandwidth_gb_s",
                                 "memory bandwidth of one device, GB/s"))
      out.memoryBandwidthBytesPerS = *v * 1e9;
    device.rejectUnknownKeys();
  }

  if (const YamlNode *node =
          top.section("links", "intra_node and inter_node links")) {
    MappingReader links(*node, sink);
    readLink(links, "intra_node", "the links between devices of one node",
             out.intraNode, sink);
    readLink(links, "inter_node", "the network between nodes", out.interNode,
             sink);
    links.rejectUnknownKeys();
  }

  if (const YamlNode *node = top.section(
          "efficiency", "how close to peak the kernels come")) {
    MappingReader efficiency(*node, sink);
    if (const YamlNode *gemm = efficiency.get(
            "gemm", "fraction of peak by FLOPs per GEMM call"))
      readGemmCurve(*gemm, out, sink);
    if (auto v = efficiency.fraction("attention", "of peak FLOP/s"))
      out.attentionEfficiency = *v;
    if (auto v = efficiency.fraction("elementwise", "of memory bandwidth"))
      out.elementwiseEfficiency = *v;
    efficiency.rejectUnknownKeys();
  }

  if (const YamlNode *node = top.get(
          "calibration", "a profile from strata-tune calibrate", false)) {
    if (!node->isScalar() || node->text.empty()) {
      sink.error(node->location,
                 "calibration must be the path of a profile, got " +
                     describeNode(*node));
    } else {
      out.calibrationPath = node->text.front() == '/'
                                ? node->text
                                : folderOf(fileName) + node->text;
      if (!std::ifstream(out.calibrationPath))
        sink.error(node->location, "calibration profile '" +
                                       out.calibrationPath +
                                       "' cannot be read");
    }
  }
  top.rejectUnknownKeys();
}

} // namespace

double ClusterDescription::gemmEfficiencyAt(double flops) const {
  if (gemmEfficiency.empty())
    return 1.0;
  if (flops <= gemmEfficiency.front().flops)
    return gemmEfficiency.front().fraction;
  if (flops >= gemmEfficiency.back().flops)
    return gemmEfficiency.back().fraction;
  for (size_t i = 1; i < gemmEfficiency.size(); ++i) {
    const EfficiencyPoint &a = gemmEfficiency[i - 1], &b = gemmEfficiency[i];
    if (flops <= b.flops) {
      const double t =
          std::log(flops / a.flops) / std::log(b.flops / a.flops);
      return a.fraction + t * (b.fraction - a.fraction);
    }
  }
  return gemmEfficiency.back().fraction;
}

ClusterParseResult parseClusterDescription(std::string_view text,
                                           const std::string &fileName) {
  ClusterParseResult result;
  result.sourceText = std::string(text);
  DiagnosticSink sink(result.diagnostics);
  std::unique_ptr<YamlNode> root = parseYamlDocument(text, fileName, sink);
  if (!root)
    return result;
  if (!root->isMapping()) {
    sink.error(SourceLocation{fileName, 1, 1},
               "a cluster description must be a mapping of keys (name, "
               "nodes, gpus_per_node, device, links, efficiency), got " +
                   describeNode(*root));
    return result;
  }
  ClusterDescription cluster;
  cluster.source = fileName;
  readDescription(*root, fileName, cluster, sink);
  if (!sink.hasErrors())
    result.cluster = std::move(cluster);
  return result;
}

std::vector<std::string> clusterPresetNames() {
  std::vector<std::string> names;
  for (const auto &[name, text] : clusterPresets())
    names.emplace_back(name);
  return names;
}

ClusterParseResult loadCluster(const std::string &nameOrPath) {
  for (const auto &[name, text] : clusterPresets())
    if (nameOrPath == name) {
      ClusterParseResult result =
          parseClusterDescription(text, "preset:" + std::string(name));
      return result;
    }
  std::ifstream file(nameOrPath, std::ios::binary);
  if (!file) {
    ClusterParseResult result;
    std::string names;
    for (const std::string &name : clusterPresetNames())
      names += (names.empty() ? "" : ", ") + name;
    std::string message = "'" + nameOrPath +
                          "' is neither a cluster preset nor a readable "
                          "file; the presets are " +
                          names;
    std::vector<std::string_view> candidates;
    for (const auto &[name, text] : clusterPresets())
      candidates.push_back(name);
    std::string close = closestMatch(nameOrPath, candidates);
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    result.diagnostics.push_back(
        Diagnostic{Diagnostic::Severity::Error,
                   SourceLocation{kCommandLineFile, 0, 0}, message});
    return result;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parseClusterDescription(text.str(), nameOrPath);
}

} // namespace strata::frontend
