#include "tune/records.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace bitforge {

namespace {
constexpr std::string_view kErrorNames[] = {"", "compile", "crash", "timeout", "wrong_result", "invalid"};

// A config value that is a canonical decimal integer is written as a JSON number (how
// ScheduleSpace::to_json writes numeric knobs), anything else as a string; reading turns
// both back into the same string, so a Config round-trips exactly without its space.
bool is_canonical_integer(const std::string& v) {
  std::int64_t x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  return ec == std::errc() && end == v.data() + v.size() && std::to_string(x) == v;
}
}  // namespace

std::string_view trial_error_name(TrialError e) { return kErrorNames[static_cast<int>(e)]; }

TrialError parse_trial_error(std::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kErrorNames)); ++i)
    if (kErrorNames[i] == name) return static_cast<TrialError>(i);
  fail("unknown error kind '{}' (allowed: \"\", compile, crash, timeout, wrong_result, invalid)", name);
}

std::string bitforge_version() { return BITFORGE_TUNE_VERSION; }

std::string record_to_json_line(const TrialRecord& r) {
  nlohmann::ordered_json j;
  j["key"] = r.key;
  j["target"] = r.target;
  j["halide"] = r.halide;
  j["threads"] = r.threads;
  j["cpu"] = r.cpu;
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  for (const auto& [k, v] : r.config.values()) {
    if (is_canonical_integer(v)) config[k] = std::stoll(v);
    else config[k] = v;
  }
  j["config"] = std::move(config);
  j["costs"] = r.costs;
  j["min_s"] = r.min_s;
  j["median_s"] = r.median_s;
  j["spread"] = r.spread;
  j["error"] = trial_error_name(r.error);
  j["detail"] = r.detail;
  j["time"] = r.time;
  j["version"] = r.version;
  // Invalid UTF-8 in a detail (e.g. bytes of a crashed worker's stderr) must not make the
  // line unwritable: replace it.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

TrialRecord record_from_json_line(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail("not valid JSON");
  if (!j.is_object()) fail("not a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json& {
    auto it = j.find(name);
    if (it == j.end()) fail("missing field '{}'", name);
    return *it;
  };
  auto string_field = [&](const char* name) {
    const nlohmann::json& v = field(name);
    if (!v.is_string()) fail("field '{}' must be a string", name);
    return v.get<std::string>();
  };
  auto number_field = [&](const char* name) {
    const nlohmann::json& v = field(name);
    if (!v.is_number()) fail("field '{}' must be a number", name);
    return v.get<double>();
  };
  TrialRecord r;
  r.key = string_field("key");
  r.target = string_field("target");
  r.halide = string_field("halide");
  if (auto it = j.find("threads"); it != j.end()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 256)
      fail("field 'threads' must be an integer from 1 to 256");
    r.threads = it->get<int>();
  }
  if (auto it = j.find("cpu"); it != j.end()) {
    if (!it->is_string()) fail("field 'cpu' must be a string");
    r.cpu = it->get<std::string>();
  }
  const nlohmann::json& config = field("config");
  if (!config.is_object()) fail("field 'config' must be an object of knob values");
  for (const auto& [k, v] : config.items()) {
    if (v.is_number_integer()) r.config.set(k, std::to_string(v.get<std::int64_t>()));
    else if (v.is_string()) r.config.set(k, v.get<std::string>());
    else fail("config knob '{}' must be an integer or a string", k);
  }
  const nlohmann::json& costs = field("costs");
  if (!costs.is_array()) fail("field 'costs' must be an array of seconds");
  for (const nlohmann::json& c : costs) {
    if (!c.is_number() || c.get<double>() <= 0) fail("field 'costs' must hold positive numbers of seconds");
    r.costs.push_back(c.get<double>());
  }
  r.min_s = number_field("min_s");
  r.median_s = number_field("median_s");
  r.spread = number_field("spread");
  try {
    r.error = parse_trial_error(string_field("error"));
  } catch (const Error& e) {
    fail("field 'error': {}", e.what());
  }
  r.detail = string_field("detail");
  r.time = string_field("time");
  r.version = string_field("version");
  // A successful trial is only usable for dispatch with a positive measured time.
  if (r.ok() && (r.costs.empty() || !(r.min_s > 0)))
    fail("a successful trial needs measured costs and min_s > 0");
  return r;
}

RecordLog::RecordLog(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open tuning log '{}' for appending: {}", path, std::strerror(errno));
  // A log whose last line was cut short (a full disk) must not swallow the next record:
  // end that line first, so it stays one malformed line that load_records reports.
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd_, &last, 1, size - 1) == 1 && last != '\n' && ::write(fd_, "\n", 1) != 1)
    fail("cannot append to tuning log '{}': {}", path, std::strerror(errno));
}

RecordLog::~RecordLog() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordLog::append(const TrialRecord& r) {
  // One write() of the whole line on an O_APPEND descriptor: a killed tuner leaves either
  // the complete line or none of it (short writes to regular files happen only on errors
  // such as a full disk, which are reported).
  std::string line = record_to_json_line(r);
  line.push_back('\n');
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size()))
    fail("cannot append to tuning log '{}': {}", path_, n < 0 ? std::strerror(errno) : "short write");
  // The line survives a crash of the machine too, not only of the tuner.
  ::fdatasync(fd_);
}

LoadedRecords load_records(const std::vector<std::string>& paths) {
  LoadedRecords out;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) fail("cannot read tuning log '{}': {}", path, std::strerror(errno));
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      // Blank lines and '#' comment lines (the shipped tophub files say how they were
      // tuned in a leading comment) are not records.
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      try {
        out.records.push_back(record_from_json_line(line));
      } catch (const Error& e) {
        out.skipped.push_back(fmt::format("{}:{}: {}", path, number, e.what()));
      }
    }
  }
  return out;
}

}  // namespace bitforge
