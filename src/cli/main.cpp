// The `bitforge` command: parses the subcommand, runs it, and turns every refusal into
// one line on stderr with exit code 2 (DESIGN.md "Conventions").
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace {
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bitforge: fast low-precision (bit-serial) neural-network operators for CPUs"};
  app.name("bitforge");
  app.set_version_flag("--version", "bitforge " BITFORGE_VERSION);
  app.require_subcommand(1);
  bitforge::cli::add_conv2d_command(app);
  bitforge::cli::add_dense_command(app);
  bitforge::cli::add_workloads_command(app);
  bitforge::cli::add_memplan_command(app);
  bitforge::cli::add_compile_command(app);
  bitforge::cli::add_tune_command(app);
  bitforge::cli::add_roofline_command(app);
  bitforge::cli::add_analyze_command(app);
  bitforge::cli::add_bench_command(app);
  try {
    // CLI11 would only say "a subcommand is required"; name the unknown one instead.
    if (argc > 1 && argv[1][0] != '-') {
      std::vector<std::string> names;
      for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
      if (std::find(names.begin(), names.end(), argv[1]) == names.end())
        throw bitforge::Error(fmt::format("unknown command '{}' (allowed: {})", argv[1], fmt::join(names, ", ")));
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "bitforge: error: " << one_line(e.what()) << " (see bitforge --help)\n";
    return 2;
  } catch (const bitforge::Error& e) {
    std::cerr << "bitforge: error: " << one_line(e.what()) << "\n";
    return 2;
  }
  return 0;
}
