// bitforge core: the current time as an ISO-8601 UTC stamp ("2026-11-22T01:52:00Z"), for
// what records when it was measured (tuning records, the machine model).
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace bitforge {

inline std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace bitforge
