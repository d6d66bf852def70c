// Tuner convergence: best config so far versus trials for the xgb, ga and random tuners
// on every layer of a suite (issue 4, item 6), measured for real: each trial compiles a
// kernel and times it in the tuning session's isolated worker (tune/measure.hpp).
//
//   build/bench/bench_tuner_convergence --out DIR [--trials 48] [--budget random=144] [--batch 8]
//       [--tuners xgb,ga,random] [--suite resnet18] [--act u2] [--wgt b1] [--target host]
//       [--layers C2,C6] [--seed 1] [--plot PREFIX] [--report-only]
//
// --budget gives one tuner more trials than --trials: random search rarely reaches 95%
// of the best within the common budget, and "xgb needs at most a third of random's
// trials" can only be decided if random gets at least three times xgb's budget.
// Each tuner has its own log, DIR/<tuner>.jsonl, written by the ordinary tuning session
// (run_tuning_session): a killed run resumes where it stopped, and a tuner sees as its
// transfer set the layers it has already tuned (as `bitforge tune --suite` does). Layers
// are tuned one after the other, each by every tuner in turn, so a change in the machine's
// load during the run falls on all tuners alike.
//
// The report: for each layer the best config any tuner found (within its budget) is the
// reference; a tuner "reaches 95%" at the first trial whose best-so-far throughput is at
// least 95% of it. A tuner that never does counts as its budget (a lower bound, marked).
// Outputs (each written atomically): DIR/convergence.csv (every tuner, layer and trial),
// DIR/convergence_mean.dat (mean over layers of best-so-far / reference), PREFIX.png and
// PREFIX.svg (gnuplot; PREFIX defaults to DIR/tuner_convergence), DIR/convergence.gp (the
// script that drew them) and DIR/convergence.md (the table for docs/tuning.md, also printed).
// This is a benchmark, not a test: it asserts nothing.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "codegen/codegen.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "ops/suites.hpp"
#include "tune/progress.hpp"
#include "tune/tuning_session.hpp"

using namespace bitforge;
namespace fs = std::filesystem;

namespace {

struct Layer {
  std::string name, key;
  std::int64_t macs = 0;
};

// Best-so-far seconds after each of the first `trials` trials of `key` in `records`
// (infinity until a trial succeeds); shorter if the log holds fewer trials.
std::vector<double> best_so_far(const std::vector<TrialRecord>& records, const std::string& key,
                                const CodegenTarget& target, int trials) {
  std::vector<double> curve;
  double best = std::numeric_limits<double>::infinity();
  for (const TrialRecord& r : records) {
    if (r.key != key || r.target != target.name || r.halide != target.halide) continue;
    if (static_cast<int>(curve.size()) == trials) break;
    if (r.ok() && r.min_s > 0) best = std::min(best, r.min_s);
    curve.push_back(best);
  }
  return curve;
}

std::string gnuplot_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"best-so-far versus trials for several tuners on a suite"};
  std::string out, act = "u2", wgt = "b1", target_name = "host", suite = "resnet18", plot;
  std::vector<std::string> tuners = {"xgb", "ga", "random"}, layers;
  int trials = 48, batch = 8;
  std::vector<std::string> budgets;
  std::uint64_t seed = 1;
  bool report_only = false;
  app.add_option("--out", out, "directory of the logs and outputs (created)")->required();
  app.add_option("--trials", trials, "trials per tuner and layer");
  app.add_option("--batch", batch, "configs measured per round");
  app.add_option("--tuners", tuners, "tuners to compare")->delimiter(',');
  app.add_option("--budget", budgets,
                 "TUNER=N: another trial budget for one tuner, e.g. random=144 for a longer random baseline")
      ->delimiter(',');
  app.add_option("--suite", suite);
  app.add_option("--act", act);
  app.add_option("--wgt", wgt);
  app.add_option("--target", target_name);
  app.add_option("--layers", layers, "only these suite entries (default: all)")->delimiter(',');
  app.add_option("--seed", seed);
  app.add_option("--plot", plot, "path prefix of the PNG and SVG plots (default: OUT/tuner_convergence)");
  app.add_flag("--report-only", report_only, "do not measure: report from the logs in OUT");
  CLI11_PARSE(app, argc, argv);

  try {
    const CodegenTarget target = resolve_target(target_name);
    fs::create_directories(out);
    if (plot.empty()) plot = (fs::path(out) / "tuner_convergence").string();
    std::vector<SuiteEntry> entries;
    for (SuiteEntry& e : load_suite(suite, OperandType::parse(act), OperandType::parse(wgt)))
      if (layers.empty() || std::find(layers.begin(), layers.end(), e.name) != layers.end())
        entries.push_back(std::move(e));
    if (entries.empty()) fail("no layer of suite {} matches --layers {}", suite, fmt::join(layers, ","));
    std::map<std::string, int> budget;
    for (const std::string& b : budgets) {
      const auto eq = b.find('=');
      if (eq == std::string::npos) fail("--budget '{}' must be TUNER=N", b);
      budget[b.substr(0, eq)] = std::stoi(b.substr(eq + 1));
    }
    auto budget_of = [&](const std::string& tuner) { return budget.count(tuner) ? budget.at(tuner) : trials; };
    auto log_of = [&](const std::string& tuner) { return (fs::path(out) / (tuner + ".jsonl")).string(); };

    if (!report_only) {
      for (const SuiteEntry& e : entries) {
        for (const std::string& tuner : tuners) {
          SessionOptions o;
          o.tuner = tuner;
          o.trials = budget_of(tuner);
          o.batch = batch;
          o.seed = seed;
          o.log = log_of(tuner);
          o.progress = tune_detail::stderr_is_terminal();
          const auto t0 = std::chrono::steady_clock::now();
          const std::vector<WorkloadSummary> s = run_tuning_session({e}, target, o);
          const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          fmt::print("{:<4} {:<7} measured {:>3} (failed {:>2}, earlier {:>3})  best {:8.2f} GOP/s  {:6.1f} s\n",
                     e.name, tuner, s[0].measured, s[0].failed, s[0].earlier, s[0].gops(), secs);
          std::fflush(stdout);
        }
      }
    }

    // ---- report ----
    std::map<std::string, std::vector<TrialRecord>> logs;
    for (const std::string& tuner : tuners) {
      LoadedRecords loaded = load_records({log_of(tuner)});
      for (const std::string& why : loaded.skipped) fmt::print(stderr, "warning: {} (line skipped)\n", why);
      logs[tuner] = std::move(loaded.records);
    }
    const std::size_t nt = tuners.size();
    int max_budget = 0;
    for (const std::string& t : tuners) max_budget = std::max(max_budget, budget_of(t));
    const int third = std::max(1, trials / 3);
    auto index_of = [&](const std::string& name) {
      return static_cast<std::size_t>(std::find(tuners.begin(), tuners.end(), name) - tuners.begin());
    };
    const std::size_t ix = index_of("xgb"), ir = index_of("random");
    const bool compare = ix < nt && ir < nt;

    std::string csv = "tuner,layer,trial,best_so_far_s,best_so_far_gops,fraction_of_best\n";
    std::vector<std::vector<double>> sum_fraction(nt, std::vector<double>(max_budget, 0.0));
    // Table 1: the reference (best any tuner found within its budget) and, per tuner,
    // trials to reach 95% of it; ">B": not within its budget of B trials.
    std::string table = fmt::format("| layer | best GOP/s (found by) | {} |{}\n|---|---:|", fmt::join(tuners, " | "),
                                    compare ? " xgb / random |" : "");
    for (std::size_t t = 0; t < nt + (compare ? 1 : 0); ++t) table += "---:|";
    table += "\n";
    // Table 2, free of censoring: best so far as a share of the reference after a third
    // of the common budget and after all of it (and after a longer budget, if any).
    std::string share = "| layer |";
    for (const std::string& t : tuners) {
      share += fmt::format(" {} @{} | {} @{} |", t, third, t, trials);
      if (budget_of(t) > trials) share += fmt::format(" {} @{} |", t, budget_of(t));
    }
    share += "\n|---|";
    for (const std::string& t : tuners) share += budget_of(t) > trials ? "---:|---:|---:|" : "---:|---:|";
    share += "\n";
    std::vector<std::vector<double>> log_share(nt, std::vector<double>(3, 0.0));
    std::vector<double> log_t95(nt, 0.0);
    std::vector<int> censored(nt, 0);
    int layers_done = 0, goal_met = 0, goal_missed = 0, goal_unknown = 0;
    for (const SuiteEntry& e : entries) {
      const std::string key = workload_key(e.workload);
      const double macs = static_cast<double>(workload_macs(e.workload));
      std::vector<std::vector<double>> curves;
      double ref = std::numeric_limits<double>::infinity();
      std::string ref_tuner;
      bool complete = true;
      for (const std::string& tuner : tuners) {
        curves.push_back(best_so_far(logs[tuner], key, target, budget_of(tuner)));
        complete = complete && static_cast<int>(curves.back().size()) == budget_of(tuner);
        if (!curves.back().empty() && curves.back().back() < ref) {
          ref = curves.back().back();
          ref_tuner = tuner;
        }
      }
      if (!complete || !std::isfinite(ref)) {
        fmt::print(stderr, "{}: not every tuner has its budget of trials in its log yet; left out of the report\n",
                   e.name);
        continue;
      }
      ++layers_done;
      table += fmt::format("| {} | {:.1f} ({}) |", e.name, 2 * macs / ref / 1e9, ref_tuner);
      share += fmt::format("| {} |", e.name);
      std::vector<int> t95(nt, 0);
      for (std::size_t t = 0; t < nt; ++t) {
        const int b = budget_of(tuners[t]);
        auto fraction_at = [&](int k) { return std::isfinite(curves[t][k - 1]) ? ref / curves[t][k - 1] : 0.0; };
        for (int k = 1; k <= b; ++k) {
          const double f = fraction_at(k);
          sum_fraction[t][k - 1] += f;
          const double s = curves[t][k - 1];
          csv += fmt::format("{},{},{},{:.9g},{:.4f},{:.4f}\n", tuners[t], e.name, k, std::isfinite(s) ? s : 0.0,
                             std::isfinite(s) ? 2 * macs / s / 1e9 : 0.0, f);
          if (!t95[t] && f >= 0.95) t95[t] = k;
        }
        // Not reached within the budget: counted as the budget, a lower bound.
        table += t95[t] ? fmt::format(" {} |", t95[t]) : fmt::format(" >{} |", b);
        log_t95[t] += std::log(t95[t] ? t95[t] : b);
        censored[t] += t95[t] == 0;
        // A tuner with no successful trial yet counts as 1% (a geometric mean needs > 0).
        const std::vector<int> at = {third, trials, b};
        for (std::size_t i = 0; i < at.size(); ++i) {
          if (i == 2 && b <= trials) break;
          const double f = std::max(fraction_at(at[i]), 0.01);
          share += fmt::format(" {:.0f}% |", 100 * f);
          log_share[t][i] += std::log(f);
        }
      }
      if (compare) {
        // The goal per layer: xgb's trials at most a third of random's. With censoring
        // only a bound is known: ">B" for random makes xgb's ratio at most t/B.
        const int bx = budget_of("xgb"), br = budget_of("random");
        const int x = t95[ix], r = t95[ir];
        std::string cell;
        if (x && r) {
          cell = fmt::format("{:.2f}", static_cast<double>(x) / r);
          (3 * x <= r ? goal_met : goal_missed)++;
        } else if (x && !r) {
          cell = fmt::format("< {:.2f}", static_cast<double>(x) / br);
          (3 * x <= br ? goal_met : goal_unknown)++;
        } else if (!x && r) {
          cell = fmt::format("> {:.2f}", static_cast<double>(bx) / r);
          goal_missed++;
        } else {
          cell = "?";
          goal_unknown++;
        }
        table += fmt::format(" {} |", cell);
      }
      table += "\n";
      share += "\n";
    }
    if (layers_done == 0) fail("no layer has the full budget of trials of every tuner in {} yet", out);
    std::vector<double> geomean(nt);
    table += "| geometric mean | |";
    share += "| geometric mean |";
    for (std::size_t t = 0; t < nt; ++t) {
      geomean[t] = std::exp(log_t95[t] / layers_done);
      table += fmt::format(" {:.1f}{} |", geomean[t], censored[t] ? "*" : "");
      for (int i = 0; i < (budget_of(tuners[t]) > trials ? 3 : 2); ++i)
        share += fmt::format(" {:.0f}% |", 100 * std::exp(log_share[t][i] / layers_done));
    }
    if (compare) table += fmt::format(" {:.2f} |", geomean[ix] / geomean[ir]);
    table += "\n";
    share += "\n";

    std::string notes = "\n";  // a blank line: the notes are a list after the table
    for (std::size_t t = 0; t < nt; ++t)
      if (censored[t])
        notes += fmt::format("\n- {}: {} of {} layers did not reach 95% within its {} trials; they count as {}, so "
                             "this geometric mean is a lower bound.",
                             tuners[t], censored[t], layers_done, budget_of(tuners[t]), budget_of(tuners[t]));
    if (compare) {
      // Censored means are lower bounds: the ratio is then bounded on one side only.
      std::string bound;
      if (censored[ir] && !censored[ix]) bound = "; random's mean is a lower bound, so the true ratio is at most this";
      if (censored[ix] && !censored[ir]) bound = "; xgb's mean is a lower bound, so the true ratio is at least this";
      if (censored[ix] && censored[ir]) bound = "; both means are lower bounds, so the true ratio may be lower or higher";
      notes += fmt::format(
          "\n\nRatio of the geometric means (xgb / random): {:.2f} (goal: at most 1/3){}. Per layer, the goal "
          "(xgb needs at most a third of random's trials) is met on {}, missed on {} and undecided on {} of {} "
          "layers.",
          geomean[ix] / geomean[ir], bound, goal_met, goal_missed, goal_unknown, layers_done);
    }
    const std::string md = table + notes + "\n\nBest so far as a share of the best config any tuner found:\n\n" + share;

    // Mean over layers per trial; "?" (missing) past a tuner's budget.
    std::string dat = "# trial";
    for (const std::string& t : tuners) dat += " " + t;
    dat += "   (mean over layers of best-so-far throughput / best any tuner found)\n";
    for (int k = 0; k < max_budget; ++k) {
      dat += fmt::format("{}", k + 1);
      for (std::size_t t = 0; t < nt; ++t)
        dat += k < budget_of(tuners[t]) ? fmt::format(" {:.4f}", sum_fraction[t][k] / layers_done) : std::string(" ?");
      dat += "\n";
    }
    const std::string dat_path = (fs::path(out) / "convergence_mean.dat").string();
    write_file_atomically((fs::path(out) / "convergence.csv").string(), csv);
    write_file_atomically(dat_path, dat);
    write_file_atomically((fs::path(out) / "convergence.md").string(), md);

    // The plot: gnuplot writes to temporary names, renamed once it succeeded.
    const std::string png_tmp = plot + ".png.tmp", svg_tmp = plot + ".svg.tmp";
    std::string gp = fmt::format(
        "set title {}\nset xlabel 'trials'\nset ylabel 'best so far / best any tuner found (mean over {} layers)'\n"
        "set key bottom right\nset grid\nset yrange [0:1.05]\nset xrange [1:{}]\nset datafile missing '?'\n",
        gnuplot_quote(fmt::format("{}, activations {} x weights {}, on {} ({})", suite, act, wgt, target.name, host_cpu_features().brand)),
        layers_done, max_budget);
    std::string plot_cmd = "plot ";
    for (std::size_t t = 0; t < tuners.size(); ++t)
      plot_cmd += fmt::format("{}{} using 1:{} with lines lw 2 title {}", t ? ", " : "", gnuplot_quote(dat_path),
                              t + 2, gnuplot_quote(tuners[t]));
    gp += fmt::format("set terminal pngcairo size 900,560\nset output {}\n{}\n", gnuplot_quote(png_tmp), plot_cmd);
    gp += fmt::format("set terminal svg size 900,560 dynamic\nset output {}\n{}\nset output\n", gnuplot_quote(svg_tmp),
                      plot_cmd);
    const std::string gp_path = (fs::path(out) / "convergence.gp").string();
    write_file_atomically(gp_path, gp);
    const std::string cmd = fmt::format("gnuplot {}", gnuplot_quote(gp_path));
    if (std::system(cmd.c_str()) != 0) {
      fs::remove(png_tmp);
      fs::remove(svg_tmp);
      fail("gnuplot failed on {}", gp_path);
    }
    fs::rename(png_tmp, plot + ".png");
    fs::rename(svg_tmp, plot + ".svg");

    fmt::print("\n{}", md);
    fmt::print("\nwrote {}/convergence.{{csv,md,gp}}, {} and {}.{{png,svg}}\n", out, dat_path, plot);
  } catch (const Error& e) {
    fmt::print(stderr, "bench_tuner_convergence: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_tuner_convergence: {}\n", e.what());
    return 2;
  }
  return 0;
}
