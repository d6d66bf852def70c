// Helpers for the `bitforge` command-line tests: run the real binary and capture what it
// prints, and give each test a fresh temporary directory for its .npy files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace bitforge::cli_test {

struct RunResult {
  int exit_code = -1;  // the exit status, or 128 + signal number if it was killed
  std::string out;     // stdout
  std::string err;     // stderr
};

// Path of build/bitforge (compiled in by tests/CMakeLists.txt).
std::string bitforge_binary();

// Runs bitforge with `args` (argv[1..]) and no stdin; waits for it. A non-zero
// `file_size_limit` (bytes) runs it under RLIMIT_FSIZE with SIGXFSZ ignored, so a write
// past the limit fails with EFBIG: a way to make an output write fail half-way.
RunResult run_bitforge(const std::vector<std::string>& args, std::uint64_t file_size_limit = 0);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Names of every entry in the directory (hidden ones included).
  std::set<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

std::string read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);

// A tensor of `dtype` and `shape` holding `values` in row-major order (each value must
// fit the dtype).
Tensor make_tensor(DType dtype, const Shape& shape, const std::vector<std::int64_t>& values);

// The number of '\n' characters in `s`.
int count_newlines(const std::string& s);

}  // namespace bitforge::cli_test
