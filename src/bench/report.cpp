// The printed table, the CSV and the gnuplot speedup plot of a benchmark run.
#include "bench/report.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/file_io.hpp"

extern char** environ;

namespace bitforge::bench {

namespace fs = std::filesystem;

namespace {

std::string speedup_cell(const BenchResult& r, const Measurement& m, const std::string& baseline) {
  if (m.implementation == baseline) return "-";
  const Measurement* b = r.find(m.layer, baseline);
  return b ? fmt::format("{:.2f}x", b->timing.min_seconds / m.timing.min_seconds) : "-";
}

std::string optional_cell(const std::optional<double>& v, const char* format_suffix) {
  if (!v) return "-";
  return fmt::format("{:.2f}{}", *v, format_suffix);
}

std::string gnuplot_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

// A double-quoted gnuplot string: the only kind in which "\n" starts a new line.
std::string gnuplot_text(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// A private directory for the plot's data and script, removed with its contents on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/bitforge-plot-XXXXXX";
    if (!::mkdtemp(pattern.data()))
      fail("cannot create a temporary directory for the plot: {}", std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Runs gnuplot on `script` with its output in `log`; the exit status (or -1 if it could not start).
int run_gnuplot(const std::string& script, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const char* argv[] = {"gnuplot", script.c_str(), nullptr};
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

std::string format_report(const BenchResult& r, const std::vector<ImplSummary>& summaries,
                          const GoalCheck& goals) {
  const BenchOptions& o = r.options;
  std::string out;
  out +=
      fmt::format("bitforge bench: suite {}, {} layer{}, {} thread{}\n", o.suite, r.layers.size(),
                  r.layers.size() == 1 ? "" : "s", o.threads, o.threads == 1 ? "" : "s");
  out += fmt::format(
      "timing: per layer all implementations in the same run, interleaved; after a warm-up call "
      "each is timed until "
      ">= {} s and >= {} calls; minimum reported. GOP/s = 2 x MACs / time for every "
      "implementation.\n",
      o.min_seconds, o.min_repeats);
  out += fmt::format("machine: {}; generated kernels for {} (Halide {}); {}\n", r.cpu, r.target,
                     r.halide, r.onednn);
  for (const std::string& n : r.notes) out += fmt::format("note: {}\n", n);

  std::size_t layer_w = 5, impl_w = 14;
  for (const std::string& l : r.layers) layer_w = std::max(layer_w, l.size());
  for (const std::string& i : o.implementations) impl_w = std::max(impl_w, i.size());
  out += fmt::format("\n{:<{}}  {:<{}}  {:>10}  {:>9}  {:>8}  {:>8}  {:>8}  {}\n", "layer", layer_w,
                     "implementation", impl_w, "time_ms", "GOP/s", "vs f32", "vs u8s8", "roofline",
                     "detail");
  for (const std::string& layer : r.layers) {
    bool first = true;
    for (const Measurement& m : r.rows) {
      if (m.layer != layer) continue;
      out += fmt::format("{:<{}}  {:<{}}  {:>10.4f}  {:>9.1f}  {:>8}  {:>8}  {:>8}  {}\n",
                         first ? layer : "", layer_w, m.implementation, impl_w,
                         m.timing.min_seconds * 1e3, m.gops(), speedup_cell(r, m, "onednn-f32"),
                         speedup_cell(r, m, "onednn-u8s8"), optional_cell(m.roofline_pct, "%"),
                         m.detail);
      first = false;
    }
  }
  out +=
      "vs f32, vs u8s8: speedup over onednn-f32, onednn-u8s8 (their time / this time); roofline: "
      "best possible "
      "time on this machine / this time\n";

  out += fmt::format("\ngeometric means over {} layer{}:\n", r.layers.size(),
                     r.layers.size() == 1 ? "" : "s");
  out += fmt::format("{:<{}}  {:>9}  {:>8}  {:>8}  {:>14}  {:>8}\n", "implementation", impl_w,
                     "GOP/s", "vs f32", "vs u8s8", "slowest vs f32", "roofline");
  for (const ImplSummary& s : summaries)
    out +=
        fmt::format("{:<{}}  {:>9.1f}  {:>8}  {:>8}  {:>14}  {:>8}\n", s.implementation, impl_w,
                    s.gops, optional_cell(s.speedup_f32, "x"), optional_cell(s.speedup_u8s8, "x"),
                    optional_cell(s.min_speedup_f32, "x"), optional_cell(s.roofline_pct, "%"));

  out += fmt::format("\nspeed goals (issue 5, item 4): {}\n", goals.scope);
  for (const Goal& g : goals.goals) {
    const std::string value =
        g.percent ? fmt::format("{:.1f}%", g.value) : fmt::format("{:.2f}x", g.value);
    std::string gap =
        g.met() ? "" : fmt::format("{:.0f}% short", 100.0 * (1.0 - g.value / g.target));
    if (g.ceiling) {
      if (!gap.empty()) gap += "; ";
      gap += fmt::format("at its roofline it would be {:.2f}x", *g.ceiling);
    }
    out += fmt::format("  {:<8} {}: {}{}\n", g.met() ? "met" : "NOT MET", g.text, value,
                       gap.empty() ? "" : " (" + gap + ")");
  }
  return out;
}

std::string format_csv(const BenchResult& r) {
  std::string csv = std::string(kCsvHeader) + "\n";
  for (const Measurement& m : r.rows)
    csv += fmt::format("{},{},{},{:.6f},{:.3f},{}\n", m.key, m.implementation, r.options.threads,
                       m.timing.min_seconds * 1e3, m.gops(),
                       m.roofline_pct ? fmt::format("{:.2f}", *m.roofline_pct) : std::string());
  return csv;
}

void check_writable(const std::string& path, const std::string& what) {
  if (path.empty()) fail("{} needs a file name", what);
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) fail("cannot write {} {}: it is a directory", what, path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    fail("cannot write {} {}: directory {} does not exist", what, path, dir.string());
  if (::access(dir.c_str(), W_OK) != 0)
    fail("cannot write {} {}: directory {} is not writable", what, path, dir.string());
}

std::string svg_path_for(const std::string& png) {
  if (png.size() <= 4 || png.substr(png.size() - 4) != ".png")
    fail("--plot {} must name a .png file (the .svg is written beside it)", png);
  return png.substr(0, png.size() - 4) + ".svg";
}

void write_speedup_plot(const BenchResult& r, const std::string& png) {
  const std::string svg = svg_path_for(png);
  std::vector<std::string> bars;
  for (const std::string& impl : r.options.implementations)
    if (impl != "onednn-f32") bars.push_back(impl);
  if (bars.empty() || std::find(r.options.implementations.begin(), r.options.implementations.end(),
                                "onednn-f32") == r.options.implementations.end())
    fail(
        "--plot draws speedups over onednn-f32: --impls needs onednn-f32 and at least one other "
        "implementation");

  // Data: one row per layer, one column per implementation; '?' where one is missing.
  std::string dat = "layer";
  for (const std::string& b : bars) dat += " " + b;
  dat += "\n";
  double lo = 1, hi = 1;
  for (const std::string& layer : r.layers) {
    dat += layer;
    const Measurement* base = r.find(layer, "onednn-f32");
    for (const std::string& b : bars) {
      const Measurement* m = r.find(layer, b);
      if (!base || !m) {
        dat += " ?";
        continue;
      }
      const double s = base->timing.min_seconds / m->timing.min_seconds;
      lo = std::min(lo, s);
      hi = std::max(hi, s);
      dat += fmt::format(" {:.4f}", s);
    }
    dat += "\n";
  }
  const ScratchDir scratch;
  const std::string dat_path = scratch.file("speedup.dat"), gp_path = scratch.file("speedup.gp");
  write_file_atomically(dat_path, dat);

  const std::string suffix = fmt::format(".tmp-{}", ::getpid());
  const std::string png_tmp = png + suffix, svg_tmp = svg + suffix;
  const std::string title = fmt::format(
      "bitforge bench {}, {} thread{}: speedup over oneDNN f32\n{}, {}, {}", r.options.suite,
      r.options.threads, r.options.threads == 1 ? "" : "s", r.cpu, r.target, r.onednn);
  // Log scale, from half the smallest bar (or 1/2) to twice the largest: every bar shows,
  // and 1 (as fast as oneDNN f32) is the dashed line.
  std::string gp = fmt::format(
      "set title {} noenhanced\n"
      "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 "
      "border -1\n"
      "set boxwidth 0.9\nset logscale y\nset yrange [{}:{}]\nset xrange [-0.6:{}]\n"
      "set ylabel 'speedup over oneDNN f32 (log scale)'\nset xlabel 'layer'\nset grid ytics\n"
      "set key outside right top vertical noenhanced\nset datafile missing '?'\n"
      "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black' front\n",
      gnuplot_text(title), lo / 2, hi * 2, static_cast<double>(r.layers.size()) - 0.4);
  const std::string plot =
      fmt::format("plot for [i=2:{}] {} using i:xtic(1) title columnheader(i)\n", bars.size() + 1,
                  gnuplot_quote(dat_path));
  const int width = std::max(900, static_cast<int>(r.layers.size() * (bars.size() + 1) * 14 + 200));
  gp += fmt::format("set terminal pngcairo size {},560\nset output {}\n{}", width,
                    gnuplot_quote(png_tmp), plot);
  gp += fmt::format("set terminal svg size {},560 dynamic\nset output {}\n{}set output\n", width,
                    gnuplot_quote(svg_tmp), plot);
  write_file_atomically(gp_path, gp);

  const std::string log = scratch.file("gnuplot.log");
  const int status = run_gnuplot(gp_path, log);
  std::error_code ec, ec2;
  if (status != 0) {
    fs::remove(png_tmp, ec);
    fs::remove(svg_tmp, ec);
    if (status < 0)
      fail("cannot run gnuplot for --plot (scripts/setup installs it: Debian package gnuplot-nox)");
    std::string why;
    try {
      why = last_line(read_file(log));
    } catch (const Error&) {
    }
    fail("gnuplot failed writing {} (exit {}): {}", png, status, why);
  }
  // Both or neither: a PNG without its SVG would be a half-written output.
  fs::rename(png_tmp, png, ec);
  if (!ec) {
    fs::rename(svg_tmp, svg, ec);
    if (ec) fs::remove(png, ec2);
  }
  if (ec) {
    fs::remove(png_tmp, ec2);
    fs::remove(svg_tmp, ec2);
    fail("cannot write --plot {}: {}", png, ec.message());
  }
}

}  // namespace bitforge::bench
