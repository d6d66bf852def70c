// bitforge core: the one error type of the project.
//
// Every refusal of bad input (a level outside its encoding, a malformed .npy, an
// unknown knob value, ...) is an Error whose message names the bad value and what was
// allowed. The CLI turns it into one line on stderr and exit code 2. Internal
// invariant violations are not Errors: they are bugs and use assert.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace bitforge {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Formats and throws an Error: `fail("stride {} must be >= 1", s)`.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace bitforge
