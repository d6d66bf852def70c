#include "cli/cli_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace bitforge::cli_test {

namespace fs = std::filesystem;

std::string bitforge_binary() { return BITFORGE_TEST_BINARY; }

RunResult run_bitforge(const std::vector<std::string>& args, std::uint64_t file_size_limit) {
  const std::string binary = bitforge_binary();
  std::vector<std::string> storage{binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

  pid_t pid = 0;
  int rc = 0;
  if (file_size_limit == 0) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
  } else {
    // posix_spawn cannot set a resource limit, so fork and exec; the child only calls
    // async-signal-safe functions.
    pid = ::fork();
    if (pid < 0) {
      rc = errno;
    } else if (pid == 0) {
      const rlimit limit{file_size_limit, file_size_limit};
      const int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 ||
          ::dup2(err_pipe[1], 2) < 0 || ::setrlimit(RLIMIT_FSIZE, &limit) != 0 ||
          ::signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
        ::_exit(127);
      ::execve(binary.c_str(), argv.data(), environ);
      ::_exit(127);
    }
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("cannot run '" + binary + "': " + std::strerror(rc));
  }

  // Drain both pipes together so neither child stream can fill up and block it.
  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      (fs::path(base && *base ? base : "/tmp") / "bitforge_cli_test.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp '" + tmpl + "': " + std::strerror(errno));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // A test may have made something read-only; give permissions back before removing.
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

std::set<std::string> TempDir::entries() const {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(path_)) names.insert(e.path().filename().string());
  return names;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

Tensor make_tensor(DType dtype, const Shape& shape, const std::vector<std::int64_t>& values) {
  Tensor t(dtype, shape);
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    throw std::invalid_argument("make_tensor: value count does not match the shape");
  std::size_t i = 0;
  for_each_index(shape, [&](std::span<const std::int64_t> idx) { t.set_int(idx, values[i++]); });
  return t;
}

int count_newlines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace bitforge::cli_test
