#include "roofline/machine_model.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "roofline/host_info.hpp"
#include "roofline/probes.hpp"

namespace bitforge::roofline {

namespace {
using Json = nlohmann::ordered_json;

// Bumped when a field changes meaning or is added; an older file is then refused (and re-probed by
// machine_model_for_host) rather than misread.
constexpr int kFormatVersion = 2;  // 2: write bandwidths
constexpr const char* kFormatName = "bitforge-machine-model";

// Field access that names the file and the field in every refusal.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void refuse(const std::string& what) const {
    fail("machine model '{}': {}", source_, what);
  }

  const Json& field(const Json& obj, const char* name, const std::string& where) const {
    auto it = obj.find(name);
    if (it == obj.end()) refuse(fmt::format("missing field '{}{}'", where, name));
    return *it;
  }
  std::string string(const Json& obj, const char* name, const std::string& where = "") const {
    const Json& v = field(obj, name, where);
    if (!v.is_string()) refuse(fmt::format("field '{}{}' must be a string", where, name));
    return v.get<std::string>();
  }
  double number(const Json& obj, const char* name, const std::string& where = "") const {
    const Json& v = field(obj, name, where);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      refuse(fmt::format("field '{}{}' must be a finite number >= 0", where, name));
    return v.get<double>();
  }
  std::int64_t integer(const Json& obj, const char* name, const std::string& where = "") const {
    const Json& v = field(obj, name, where);
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
      refuse(fmt::format("field '{}{}' must be an integer >= 0", where, name));
    return v.get<std::int64_t>();
  }
  bool boolean(const Json& obj, const char* name, const std::string& where = "") const {
    const Json& v = field(obj, name, where);
    if (!v.is_boolean()) refuse(fmt::format("field '{}{}' must be true or false", where, name));
    return v.get<bool>();
  }
  const Json& array(const Json& obj, const char* name) const {
    const Json& v = field(obj, name, "");
    if (!v.is_array()) refuse(fmt::format("field '{}' must be an array", name));
    return v;
  }

 private:
  std::string source_;
};

std::string cache_home() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return xdg;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache";
  return ".cache";
}
}  // namespace

const ComputePeak* MachineModel::peak(std::string_view name) const {
  for (const ComputePeak& p : compute)
    if (p.name == name) return &p;
  return nullptr;
}

const MemoryLevel* MachineModel::level(std::string_view name) const {
  for (const MemoryLevel& l : memory)
    if (l.name == name) return &l;
  return nullptr;
}

std::string to_json(const MachineModel& m) {
  Json j;
  j["format"] = kFormatName;
  j["version"] = kFormatVersion;
  j["cpu"] = m.cpu;
  j["isa_level"] = m.isa_level;
  j["flags"] = m.flags;
  j["cores"] = m.cores;
  j["clock_ghz"] = m.clock_ghz;
  j["measured_at"] = m.measured_at;
  j["quick"] = m.quick;
  j["compute"] = Json::array();
  for (const ComputePeak& p : m.compute)
    j["compute"].push_back({{"name", p.name},
                            {"instruction", p.instruction},
                            {"isa", p.isa},
                            {"gops_one_core", p.gops_one_core},
                            {"gops_all_cores", p.gops_all_cores}});
  j["memory"] = Json::array();
  for (const MemoryLevel& l : m.memory)
    j["memory"].push_back({{"name", l.name},
                           {"bytes_per_core", l.bytes_per_core},
                           {"shared_by", l.shared_by},
                           {"buffer_bytes", l.buffer_bytes},
                           {"read_gbps_one_core", l.read_gbps_one_core},
                           {"read_gbps_all_cores", l.read_gbps_all_cores},
                           {"write_gbps_one_core", l.write_gbps_one_core},
                           {"write_gbps_all_cores", l.write_gbps_all_cores},
                           {"note", l.note}});
  // nlohmann writes doubles with the fewest digits that read back exactly: the round
  // trip is exact.
  return j.dump(2) + "\n";
}

MachineModel machine_model_from_json(const std::string& text, const std::string& source_name) {
  const Reader r(source_name);
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) r.refuse("not valid JSON");
  if (!j.is_object()) r.refuse("not a JSON object");
  if (r.string(j, "format") != kFormatName)
    r.refuse(fmt::format("field 'format' must be \"{}\"", kFormatName));
  if (const std::int64_t v = r.integer(j, "version"); v != kFormatVersion)
    r.refuse(fmt::format("format version {} (this bitforge reads version {})", v, kFormatVersion));
  MachineModel m;
  m.cpu = r.string(j, "cpu");
  m.isa_level = r.string(j, "isa_level");
  for (const Json& f : r.array(j, "flags")) {
    if (!f.is_string()) r.refuse("field 'flags' must hold strings");
    m.flags.push_back(f.get<std::string>());
  }
  m.cores = static_cast<int>(r.integer(j, "cores"));
  if (m.cores < 1) r.refuse("field 'cores' must be >= 1");
  m.clock_ghz = r.number(j, "clock_ghz");
  m.measured_at = r.string(j, "measured_at");
  m.quick = r.boolean(j, "quick");
  int i = 0;
  for (const Json& p : r.array(j, "compute")) {
    const std::string where = fmt::format("compute[{}].", i++);
    if (!p.is_object()) r.refuse(fmt::format("'{}' must be an object", where));
    ComputePeak c;
    c.name = r.string(p, "name", where);
    if (c.name.empty()) r.refuse(fmt::format("field '{}name' is empty", where));
    if (m.peak(c.name)) r.refuse(fmt::format("compute peak '{}' appears twice", c.name));
    c.instruction = r.string(p, "instruction", where);
    c.isa = r.string(p, "isa", where);
    c.gops_one_core = r.number(p, "gops_one_core", where);
    c.gops_all_cores = r.number(p, "gops_all_cores", where);
    m.compute.push_back(std::move(c));
  }
  i = 0;
  for (const Json& l : r.array(j, "memory")) {
    const std::string where = fmt::format("memory[{}].", i++);
    if (!l.is_object()) r.refuse(fmt::format("'{}' must be an object", where));
    MemoryLevel level;
    level.name = r.string(l, "name", where);
    if (level.name != "L1" && level.name != "L2" && level.name != "L3" && level.name != "DRAM")
      r.refuse(
          fmt::format("field '{}name' is '{}' (allowed: L1, L2, L3, DRAM)", where, level.name));
    if (m.level(level.name)) r.refuse(fmt::format("memory level '{}' appears twice", level.name));
    level.bytes_per_core = r.integer(l, "bytes_per_core", where);
    level.shared_by = static_cast<int>(r.integer(l, "shared_by", where));
    level.buffer_bytes = r.integer(l, "buffer_bytes", where);
    level.read_gbps_one_core = r.number(l, "read_gbps_one_core", where);
    level.read_gbps_all_cores = r.number(l, "read_gbps_all_cores", where);
    level.write_gbps_one_core = r.number(l, "write_gbps_one_core", where);
    level.write_gbps_all_cores = r.number(l, "write_gbps_all_cores", where);
    level.note = r.string(l, "note", where);
    m.memory.push_back(std::move(level));
  }
  return m;
}

void save_machine_model(const MachineModel& m, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) fail("cannot create the directory of '{}': {}", path, ec.message());
  }
  write_file_atomically(path, to_json(m));
}

std::string default_machine_model_path() {
  if (const char* env = std::getenv("BITFORGE_MACHINE_MODEL"); env && *env) return env;
  const CpuFeatures f = host_cpu_features();
  const std::string suffix = f.cap.empty() ? "" : "-" + f.isa_level();
  return cache_home() + "/bitforge/machine-model" + suffix + ".json";
}

std::optional<MachineModel> load_machine_model(const std::string& path_in) {
  const std::string path = path_in.empty() ? default_machine_model_path() : path_in;
  if (!std::filesystem::exists(path)) return std::nullopt;
  return machine_model_from_json(read_file(path), path);
}

MachineModel machine_model_for_host(std::string* note) {
  const CpuFeatures features = host_cpu_features();
  const std::string path = default_machine_model_path();
  std::string why;
  try {
    if (std::optional<MachineModel> stored = load_machine_model(path)) {
      if (stored->cpu == features.brand && stored->isa_level == features.isa_level() &&
          stored->flags == model_flags(features)) {
        if (note)
          *note = fmt::format("machine model {} (measured {}{})", path, stored->measured_at,
                              stored->quick ? ", quick" : "");
        return *stored;
      }
      why = fmt::format("the stored one is of {} at ISA level {}", stored->cpu, stored->isa_level);
    } else {
      why = "none stored yet";
    }
  } catch (const Error& e) {
    why = e.what();  // unreadable: it is a cache, measure again and replace it
  }
  ProbeOptions options;
  options.quick = true;
  const double t0 = detail::now_seconds();
  MachineModel m = probe_machine(options);
  const double took = detail::now_seconds() - t0;
  std::string saved = "saved to " + path;
  try {
    save_machine_model(m, path);
  } catch (const Error& e) {
    saved = fmt::format("not saved ({})", e.what());
  }
  if (note)
    *note = fmt::format(
        "probed this machine in {:.1f} s (quick; `bitforge roofline` measures longer) because {}; "
        "{}",
        took, why, saved);
  return m;
}

}  // namespace bitforge::roofline
