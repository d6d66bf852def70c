// bitforge codegen: schedule spaces — the named knobs of an operator's schedule, their
// allowed values and validity rules, and configs (one value per knob).
//
// A space is built per (workload, target) by the operator's space function; it knows its
// size, maps index <-> config over its *valid* configs, samples uniformly, and turns
// configs into JSON and back. It says nothing about what a knob does: the operator's
// schedule reads the config.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bitforge {

struct Knob {
  std::string name;
  std::vector<std::string> values;  // allowed values, in a fixed order
  bool numeric = false;             // values are integers (JSON numbers)
  std::string doc;                  // what the knob decides, and why its default is what it is
};

class Config {
 public:
  Config() = default;
  explicit Config(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  const std::string& get(const std::string& knob) const;  // Error if absent
  std::int64_t get_int(const std::string& knob) const;
  bool get_bool(const std::string& knob) const;  // "0" / "1"
  void set(const std::string& knob, std::string value) { values_[knob] = std::move(value); }
  const std::map<std::string, std::string>& values() const { return values_; }
  std::string str() const;  // compact "k=v,k=v" (sorted): a stable cache key
  bool operator==(const Config&) const = default;
  bool operator<(const Config& c) const { return values_ < c.values_; }

 private:
  std::map<std::string, std::string> values_;
};

class ScheduleSpace {
 public:
  // `valid` returns an empty string for a valid config, else the rule it breaks.
  using Rule = std::function<std::string(const Config&)>;
  ScheduleSpace(std::string op, std::vector<Knob> knobs, Rule valid, Config default_config);

  const std::string& op() const { return op_; }
  const std::vector<Knob>& knobs() const { return knobs_; }
  const Knob& knob(const std::string& name) const;  // Error naming the knobs if unknown
  const Config& default_config() const { return default_; }

  std::uint64_t raw_size() const;  // product of the knobs' value counts
  std::uint64_t size() const;      // number of valid configs
  Config at(std::uint64_t index) const;     // the index-th valid config, 0 <= index < size()
  std::uint64_t index_of(const Config& c) const;  // inverse of at(); Error if invalid
  // A uniformly random valid config; `next` returns uniform 64-bit numbers. With
  // `fixed`, uniform among the valid configs that have those knob values (Error if none).
  Config sample(const std::function<std::uint64_t()>& next,
                const std::map<std::string, std::string>& fixed = {}) const;

  // The same space with some knobs fixed to one value each (a tuning run that explores
  // the rest; its configs are configs of this space). Its default is this default with
  // those values, or its first valid config when that is invalid. Error for an unknown
  // knob, a value outside a knob's set, or no valid config.
  ScheduleSpace restricted(const std::map<std::string, std::string>& fixed) const;
  // Whether `c` has every value of `fixed`.
  static bool has_values(const Config& c, const std::map<std::string, std::string>& fixed);

  // Empty if `c` is a complete, valid config of this space, else why not (naming the
  // knob and the allowed values, or the rule).
  std::string check(const Config& c) const;
  void validate(const Config& c) const;  // throws Error with check()'s message

  nlohmann::json to_json(const Config& c) const;
  // Reads a JSON object of knob values; knobs it does not set take the default config's
  // value. Unknown knobs and values outside a knob's allowed set are refused.
  Config from_json(const nlohmann::json& j) const;

 private:
  // `checked`: refuse an invalid default (every public constructor does).
  ScheduleSpace(std::string op, std::vector<Knob> knobs, Rule valid, Config default_config, bool checked);
  Config raw_config(std::uint64_t raw) const;
  std::uint64_t raw_index(const Config& c) const;
  const std::vector<std::uint64_t>& valid_raw() const;

  std::string op_;
  std::vector<Knob> knobs_;
  Rule valid_;
  Config default_;
  mutable std::shared_ptr<std::vector<std::uint64_t>> valid_raw_;  // computed on first use
};

// A config named on the command line: "default" (the space's default config) or the
// path of a JSON file holding a config object (see ScheduleSpace::from_json).
Config load_config(const ScheduleSpace& space, const std::string& spec);

// Helpers for building knobs.
Knob int_knob(std::string name, std::vector<std::int64_t> values, std::string doc);
Knob choice_knob(std::string name, std::vector<std::string> values, std::string doc);

}  // namespace bitforge
