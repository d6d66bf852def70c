#include "codegen/schedule_space.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace bitforge {

const std::string& Config::get(const std::string& knob) const {
  auto it = values_.find(knob);
  if (it == values_.end()) fail("config has no value for knob '{}'", knob);
  return it->second;
}

std::int64_t Config::get_int(const std::string& knob) const { return std::stoll(get(knob)); }

bool Config::get_bool(const std::string& knob) const { return get(knob) == "1"; }

std::string Config::str() const {
  std::string s;
  for (const auto& [k, v] : values_) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

Knob int_knob(std::string name, std::vector<std::int64_t> values, std::string doc) {
  Knob k{std::move(name), {}, true, std::move(doc)};
  for (auto v : values) k.values.push_back(std::to_string(v));
  return k;
}

Knob choice_knob(std::string name, std::vector<std::string> values, std::string doc) {
  return Knob{std::move(name), std::move(values), false, std::move(doc)};
}

ScheduleSpace::ScheduleSpace(std::string op, std::vector<Knob> knobs, Rule valid, Config default_config)
    : ScheduleSpace(std::move(op), std::move(knobs), std::move(valid), std::move(default_config), true) {}

ScheduleSpace::ScheduleSpace(std::string op, std::vector<Knob> knobs, Rule valid, Config default_config, bool checked)
    : op_(std::move(op)), knobs_(std::move(knobs)), valid_(std::move(valid)), default_(std::move(default_config)) {
  // The default must itself be a valid point of the space: a space whose default it
  // cannot run is a bug in the operator, caught the first time the space is built.
  if (std::string why = check(default_); checked && !why.empty())
    fail("internal: default config of {} is invalid: {}", op_, why);
}

ScheduleSpace ScheduleSpace::restricted(const std::map<std::string, std::string>& fixed) const {
  std::vector<Knob> knobs = knobs_;
  for (const auto& [name, value] : fixed) {
    const Knob& k = knob(name);
    if (std::find(k.values.begin(), k.values.end(), value) == k.values.end())
      fail("knob '{}' of {} has no value '{}' (allowed: {})", name, op_, value, fmt::join(k.values, ", "));
    for (Knob& r : knobs)
      if (r.name == name) r.values = {value};
  }
  Config d = default_;
  for (const auto& [name, value] : fixed) d.set(name, value);
  if (!check(d).empty()) {
    // Its first valid config: the rule may tie the fixed values to other knobs' values.
    ScheduleSpace probe(op_, knobs, valid_, default_, /*checked=*/false);
    if (probe.size() == 0) fail("no valid config of {} has {}", op_, Config(fixed).str());
    d = probe.at(0);
  }
  return ScheduleSpace(op_, std::move(knobs), valid_, std::move(d));
}

bool ScheduleSpace::has_values(const Config& c, const std::map<std::string, std::string>& fixed) {
  for (const auto& [name, value] : fixed)
    if (!c.values().count(name) || c.get(name) != value) return false;
  return true;
}

const Knob& ScheduleSpace::knob(const std::string& name) const {
  for (const Knob& k : knobs_)
    if (k.name == name) return k;
  std::vector<std::string> names;
  for (const Knob& k : knobs_) names.push_back(k.name);
  fail("unknown knob '{}' for {} (knobs: {})", name, op_, fmt::join(names, ", "));
}

std::uint64_t ScheduleSpace::raw_size() const {
  std::uint64_t n = 1;
  for (const Knob& k : knobs_) n *= k.values.size();
  return n;
}

Config ScheduleSpace::raw_config(std::uint64_t raw) const {
  Config c;
  for (const Knob& k : knobs_) {
    c.set(k.name, k.values[raw % k.values.size()]);
    raw /= k.values.size();
  }
  return c;
}

std::uint64_t ScheduleSpace::raw_index(const Config& c) const {
  std::uint64_t raw = 0, scale = 1;
  for (const Knob& k : knobs_) {
    const std::string& v = c.get(k.name);
    auto it = std::find(k.values.begin(), k.values.end(), v);
    raw += scale * static_cast<std::uint64_t>(it - k.values.begin());
    scale *= k.values.size();
  }
  return raw;
}

const std::vector<std::uint64_t>& ScheduleSpace::valid_raw() const {
  if (!valid_raw_) {
    auto list = std::make_shared<std::vector<std::uint64_t>>();
    // An odometer over the knobs' values (raw index order, first knob fastest): each step
    // re-sets only the knobs whose digit changed, instead of building every config anew
    // (spaces reach tens of millions of raw configs; the rule check is then the cost).
    const std::uint64_t n = raw_size();
    std::vector<std::size_t> digit(knobs_.size(), 0);
    Config c = raw_config(0);
    for (std::uint64_t r = 0; r < n; ++r) {
      if (valid_(c).empty()) list->push_back(r);
      for (std::size_t k = 0; k < knobs_.size(); ++k) {
        digit[k] = (digit[k] + 1) % knobs_[k].values.size();
        c.set(knobs_[k].name, knobs_[k].values[digit[k]]);
        if (digit[k] != 0) break;  // no carry into the next knob
      }
    }
    valid_raw_ = list;
  }
  return *valid_raw_;
}

std::uint64_t ScheduleSpace::size() const { return valid_raw().size(); }

Config ScheduleSpace::at(std::uint64_t index) const {
  const auto& v = valid_raw();
  if (index >= v.size()) fail("config index {} is out of range (the {} space has {} configs)", index, op_, v.size());
  return raw_config(v[index]);
}

std::uint64_t ScheduleSpace::index_of(const Config& c) const {
  validate(c);
  const auto& v = valid_raw();
  return static_cast<std::uint64_t>(std::lower_bound(v.begin(), v.end(), raw_index(c)) - v.begin());
}

Config ScheduleSpace::sample(const std::function<std::uint64_t()>& next,
                             const std::map<std::string, std::string>& fixed) const {
  for (const auto& [name, value] : fixed) {
    const Knob& k = knob(name);
    if (std::find(k.values.begin(), k.values.end(), value) == k.values.end())
      fail("knob '{}' value '{}' is not allowed (allowed: {})", name, value, fmt::join(k.values, ", "));
  }
  // Rejection sampling over the raw space is uniform over the valid configs and needs no
  // enumeration; a rule check costs about a microsecond, so try many times before
  // falling back to enumerating the valid configs.
  // Once enumerated (a space whose valid configs are too rare to hit), draw from the list.
  const std::uint64_t n = raw_size();
  for (int attempt = 0; attempt < 20000 && !valid_raw_; ++attempt) {
    Config c = raw_config(next() % n);
    for (const auto& [name, value] : fixed) c.set(name, value);
    if (valid_(c).empty()) return c;
  }
  std::vector<std::uint64_t> matching;
  for (std::uint64_t raw : valid_raw()) {
    const Config c = raw_config(raw);
    bool ok = true;
    for (const auto& [name, value] : fixed) ok = ok && c.get(name) == value;
    if (ok) matching.push_back(raw);
  }
  if (matching.empty()) fail("the {} space has no valid config with {}", op_, Config(fixed).str());
  return raw_config(matching[next() % matching.size()]);
}

std::string ScheduleSpace::check(const Config& c) const {
  for (const Knob& k : knobs_) {
    auto it = c.values().find(k.name);
    if (it == c.values().end()) return fmt::format("knob '{}' has no value", k.name);
    if (std::find(k.values.begin(), k.values.end(), it->second) == k.values.end())
      return fmt::format("knob '{}' value '{}' is not allowed (allowed: {})", k.name, it->second,
                         fmt::join(k.values, ", "));
  }
  for (const auto& [name, _] : c.values()) knob(name);  // throws for an unknown knob
  return valid_(c);
}

void ScheduleSpace::validate(const Config& c) const {
  if (std::string why = check(c); !why.empty()) fail("invalid {} config: {}", op_, why);
}

nlohmann::json ScheduleSpace::to_json(const Config& c) const {
  nlohmann::json j = nlohmann::json::object();
  for (const Knob& k : knobs_) {
    const std::string& v = c.get(k.name);
    if (k.numeric) j[k.name] = std::stoll(v); else j[k.name] = v;
  }
  return j;
}

Config ScheduleSpace::from_json(const nlohmann::json& j) const {
  if (!j.is_object()) fail("a {} config must be a JSON object of knob values", op_);
  Config c = default_;
  for (const auto& [name, value] : j.items()) {
    const Knob& k = knob(name);
    std::string v;
    if (value.is_number_integer()) v = std::to_string(value.get<std::int64_t>());
    else if (value.is_string()) v = value.get<std::string>();
    else if (value.is_boolean()) v = value.get<bool>() ? "1" : "0";
    else fail("knob '{}' value {} is not allowed (allowed: {})", name, value.dump(), fmt::join(k.values, ", "));
    if (std::find(k.values.begin(), k.values.end(), v) == k.values.end())
      fail("knob '{}' value {} is not allowed (allowed: {})", name, value.dump(), fmt::join(k.values, ", "));
    c.set(name, v);
  }
  validate(c);
  return c;
}

}  // namespace bitforge

namespace bitforge {

Config load_config(const ScheduleSpace& space, const std::string& spec) {
  if (spec == "default") return space.default_config();
  const std::string text = read_file(spec);
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail("config '{}' is not valid JSON", spec);
  try {
    return space.from_json(j);
  } catch (const Error& e) {
    fail("config '{}': {}", spec, e.what());
  }
}

}  // namespace bitforge
