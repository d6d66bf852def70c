#include "aot_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "ops/reference/reference.hpp"

namespace bitforge::testing {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_raw(const fs::path& p, const void* data, std::size_t bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

void write_tensor(const fs::path& p, const Tensor& t) {
  const Tensor c = t.contiguous();
  write_raw(p, c.raw_data(), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
}

}  // namespace

Completed run(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  Completed c;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid)
    c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.output = slurp(log);
  return c;
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

const Conv2d& as_conv(const Workload& wl, Conv2d& storage) {
  if (const Conv2d* c = std::get_if<Conv2d>(&wl)) return *c;
  storage = std::get<Dense>(wl).as_conv2d();
  return storage;
}

}  // namespace

std::optional<std::string> find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path p = fs::path(dir.empty() ? "." : dir) / program;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return std::nullopt;
}

DType aot_input_dtype(const Workload& wl) {
  Conv2d storage;
  const Conv2d& c = as_conv(wl, storage);
  switch (c.family()) {
    case OpFamily::BitSerial:
      return c.act.encoding().level_dtype();
    case OpFamily::Int8:
      return DType::u8;
    case OpFamily::Int16:
      return DType::i16;
    case OpFamily::Float32:
      return DType::f32;
  }
  return DType::f32;
}

DType aot_weight_dtype(const Workload& wl) {
  Conv2d storage;
  const Conv2d& c = as_conv(wl, storage);
  switch (c.family()) {
    case OpFamily::BitSerial:
      return c.wgt.encoding().level_dtype();
    case OpFamily::Int8:
      return DType::i8;
    case OpFamily::Int16:
      return DType::i16;
    case OpFamily::Float32:
      return DType::f32;
  }
  return DType::f32;
}

::testing::AssertionResult aot_matches_reference(const GeneratedCase& c,
                                                 const CodegenTarget& target, const Toolchain& tc,
                                                 const fs::path& root, std::uint64_t seed) {
  const std::string what = workload_key(c.workload) + " " + c.config.str() + " on " + target.name;
  auto failure = [&](const std::string& why) {
    return ::testing::AssertionFailure() << what << ": " << why;
  };
  Rng rng(seed);
  const Operands ops = case_operands(rng, c.workload);
  const Tensor want = reference::run(c.workload, ops.input, ops.weight, ops.params);

  // Each case in its own directory: several kernels' libraries must not meet.
  const fs::path dir = root / std::to_string(seed);
  fs::create_directories(dir);
  const std::string name = compile_kernel_aot(c.workload, c.config, target, dir.string());
  for (const std::string& f : {"lib" + name + ".a", name + ".h", name + "_prepare.h",
                               name + "_run.h", std::string("HalideRuntime.h")})
    if (!fs::is_regular_file(dir / f)) return failure("compile_kernel_aot did not write " + f);
  if (slurp(dir / (name + ".h")).find("// workload: " + workload_key(c.workload) + "\n") ==
      std::string::npos)
    return failure("the header does not name the workload");

  // Operands as the raw API takes them: row-major arrays of the kernel's element types.
  std::vector<std::string> files = {(dir / "weight.bin").string(), (dir / "input.bin").string()};
  write_tensor(files[0], ops.weight.astype(aot_weight_dtype(c.workload)));
  write_tensor(files[1], ops.input.astype(aot_input_dtype(c.workload)));
  const Epilogue& e =
      std::visit([](const auto& w) -> const Epilogue& { return w.epilogue; }, c.workload);
  auto add = [&](const std::string& file, const Tensor& t) {
    files.push_back((dir / file).string());
    write_tensor(files.back(), t);
  };
  if (e.kind == Epilogue::Kind::Affine) {
    add("scale.bin", ops.params.scale);
    add("bias.bin", ops.params.bias);
    if (e.activation == Epilogue::Activation::Clip) {
      for (const auto& [file, v] :
           {std::pair{"clip_lo.bin", ops.params.clip_lo}, {"clip_hi.bin", ops.params.clip_hi}}) {
        files.push_back((dir / file).string());
        write_raw(files.back(), &v, sizeof v);
      }
    }
  } else if (e.kind == Epilogue::Kind::Threshold) {
    add("thresholds.bin", ops.params.thresholds);
    add("descending.bin", ops.params.descending);
  }
  files.push_back((dir / "output.bin").string());

  const std::string exe = (dir / "driver").string();
  // Warnings are errors: the generated header must compile cleanly in a user's strict build.
  std::vector<std::string> build = {tc.cxx,
                                    "-std=c++17",
                                    "-O1",
                                    "-Wall",
                                    "-Wextra",
                                    "-pedantic",
                                    "-Werror",
                                    "-I" + dir.string(),
                                    "-DKERNEL=" + name,
                                    "-DKERNEL_UPPER=" + upper(name),
                                    "-DKERNEL_HEADER=\"" + name + ".h\"",
                                    BITFORGE_TEST_SOURCE_DIR "/tests/codegen/arm/aot_driver.cpp",
                                    (dir / ("lib" + name + ".a")).string(),
                                    "-o",
                                    exe};
  build.insert(build.end(), tc.link_flags.begin(), tc.link_flags.end());
  const Completed built = run(build, dir / "build.log");
  if (built.status != 0)
    return failure("building the driver failed: " + join(build) + "\n" + built.output);

  std::vector<std::string> cmd = tc.runner;
  cmd.push_back(exe);
  cmd.insert(cmd.end(), files.begin(), files.end());
  const Completed ran = run(cmd, dir / "run.log");
  if (ran.status != 0) return failure("the driver failed: " + join(cmd) + "\n" + ran.output);

  const Shape out_shape = std::visit([](const auto& w) { return w.output_shape(); }, c.workload);
  Tensor got(want.dtype(), out_shape);
  const std::string bytes = slurp(files.back());
  const std::size_t expected = static_cast<std::size_t>(got.numel()) * dtype_size(got.dtype());
  if (bytes.size() != expected)
    return failure("the driver wrote " + std::to_string(bytes.size()) + " bytes, expected " +
                   std::to_string(expected));
  std::memcpy(got.raw_data(), bytes.data(), bytes.size());
  const bool float_sums = std::visit([](const auto& w) { return w.act.is_float(); }, c.workload);
  if (auto r = matches_reference(got, want, float_sums); !r) return failure(r.message());
  return ::testing::AssertionSuccess();
}

std::vector<std::string> run_aot_cases(const std::vector<GeneratedCase>& cases,
                                       const CodegenTarget& target, const Toolchain& tc,
                                       const fs::path& root, int threads) {
  std::vector<std::string> failures;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < cases.size();) {
      std::string message;
      try {
        const auto r = aot_matches_reference(cases[i], target, tc, root, 0xa07 + i);
        if (!r) message = r.message();
      } catch (const std::exception& e) {
        message = workload_key(cases[i].workload) + " " + cases[i].config.str() + ": " + e.what();
      }
      if (!message.empty()) {
        std::lock_guard<std::mutex> lock(mutex);
        failures.push_back(message);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  return failures;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "XXXXXX";
  if (!mkdtemp(templ.data())) throw std::runtime_error("cannot create a directory like " + templ);
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bitforge::testing
