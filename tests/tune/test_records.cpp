// Tuning records: a record survives the JSON line round trip exactly; a log with a
// malformed line loads the others and names the file and line; a cut-off last line does
// not swallow the next record appended.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "cli/cli_support.hpp"
#include "core/error.hpp"
#include "tune/records.hpp"

namespace bitforge {
namespace {

TrialRecord sample_record() {
  TrialRecord r;
  r.key = "conv2d_u1b1_mb1ic8ih6iw6oc8kh3kw3_nchw_oihw_i32";
  r.target = "x86-64-avx512";
  r.halide = "x86-64-linux-avx512_sapphirerapids";
  r.threads = 2;
  r.cpu = "AMD EPYC (family 25, model 1)";
  r.config = Config({{"tile_o", "16"}, {"word", "u64"}, {"loop_order", "taps_planes_words"}, {"odd", "007"}});
  r.costs = {1.25e-5, 1.0 / 3.0 * 1e-5, 2.5e-5};
  r.min_s = r.costs[1];
  r.median_s = r.costs[0];
  r.spread = r.costs[2] / r.costs[1] - 1;
  r.time = "2026-11-22T01:52:00Z";
  r.version = "0.1.0";
  return r;
}

void expect_same(const TrialRecord& a, const TrialRecord& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.halide, b.halide);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.cpu, b.cpu);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.costs, b.costs);  // bit-exact doubles
  EXPECT_EQ(a.min_s, b.min_s);
  EXPECT_EQ(a.median_s, b.median_s);
  EXPECT_EQ(a.spread, b.spread);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.version, b.version);
}

TEST(TuneRecords, RoundTripSuccessAndEveryErrorKind) {
  const TrialRecord ok = sample_record();
  const std::string line = record_to_json_line(ok);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  expect_same(record_from_json_line(line), ok);
  // Numeric knobs are JSON numbers (as ScheduleSpace::to_json writes them); "007" is not a
  // canonical integer and stays a string, so it reads back unchanged.
  EXPECT_NE(line.find("\"tile_o\":16"), std::string::npos) << line;
  EXPECT_NE(line.find("\"odd\":\"007\""), std::string::npos) << line;

  for (TrialError e : {TrialError::Compile, TrialError::Crash, TrialError::Timeout, TrialError::WrongResult,
                       TrialError::Invalid}) {
    TrialRecord failed = sample_record();
    failed.costs.clear();
    failed.min_s = failed.median_s = failed.spread = 0;
    failed.error = e;
    failed.detail = "SIGSEGV: line one\nline \"two\"";
    const TrialRecord back = record_from_json_line(record_to_json_line(failed));
    expect_same(back, failed);
    EXPECT_EQ(trial_error_name(back.error), trial_error_name(e));
  }
}

TEST(TuneRecords, RefusesMalformedLinesNamingTheProblem) {
  const std::string good = record_to_json_line(sample_record());
  auto why = [](const std::string& line) {
    try {
      record_from_json_line(line);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(why("{\"key\": "), "not valid JSON");
  EXPECT_EQ(why("[1,2]"), "not a JSON object");
  std::string no_costs = good;
  no_costs.replace(no_costs.find("\"costs\""), 7, "\"kosts\"");
  EXPECT_EQ(why(no_costs), "missing field 'costs'");
  std::string bad_error = good;
  bad_error.replace(bad_error.find("\"error\":\"\""), 10, "\"error\":\"boom\"");
  EXPECT_NE(why(bad_error).find("unknown error kind 'boom'"), std::string::npos) << why(bad_error);
  std::string zero_threads = good;
  zero_threads.replace(zero_threads.find("\"threads\":2"), 11, "\"threads\":0");
  EXPECT_EQ(why(zero_threads), "field 'threads' must be an integer from 1 to 256");
}

// Logs written before records had a thread count were measured on tune's default, one thread.
TEST(TuneRecords, ALineWithoutThreadsWasMeasuredOnOneThread) {
  std::string line = record_to_json_line(sample_record());
  const std::size_t at = line.find("\"threads\":2,");
  ASSERT_NE(at, std::string::npos) << line;
  line.erase(at, 12);
  EXPECT_EQ(record_from_json_line(line).threads, 1);
}

// Logs written before records named their CPU: measured on a CPU not recorded.
TEST(TuneRecords, ALineWithoutCpuWasMeasuredOnAnUnrecordedCpu) {
  std::string line = record_to_json_line(sample_record());
  const std::string field = "\"cpu\":\"AMD EPYC (family 25, model 1)\",";
  const std::size_t at = line.find(field);
  ASSERT_NE(at, std::string::npos) << line;
  EXPECT_EQ(record_from_json_line(line).cpu, "AMD EPYC (family 25, model 1)");
  line.erase(at, field.size());
  EXPECT_EQ(record_from_json_line(line).cpu, "");
  line.insert(at, "\"cpu\":7,");
  try {
    record_from_json_line(line);
    FAIL() << line;
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "field 'cpu' must be a string");
  }
}

TEST(TuneRecords, LoadSkipsMalformedLinesWithFileAndLineNumber) {
  cli_test::TempDir dir;
  const std::string path = dir.file("log.jsonl");
  TrialRecord a = sample_record(), b = sample_record();
  b.min_s = 1e-6;
  b.costs = {1e-6};
  cli_test::write_bytes(path, "# how this was tuned\n" + record_to_json_line(a) + "\n{\"key\": \"trunc\n\n" +
                                  record_to_json_line(b) + "\nnot json at all\n");
  const LoadedRecords loaded = load_records({path});
  ASSERT_EQ(loaded.records.size(), 2u);
  EXPECT_EQ(loaded.records[0].min_s, a.min_s);
  EXPECT_EQ(loaded.records[1].min_s, b.min_s);
  ASSERT_EQ(loaded.skipped.size(), 2u);
  EXPECT_EQ(loaded.skipped[0], path + ":3: not valid JSON");
  EXPECT_EQ(loaded.skipped[1], path + ":6: not valid JSON");
}

TEST(TuneRecords, AppendAfterACutOffLineKeepsTheNewRecordWhole) {
  cli_test::TempDir dir;
  const std::string path = dir.file("log.jsonl");
  const std::string line = record_to_json_line(sample_record());
  // A log whose writer died mid-line (only possible on a write error: appends are one
  // write() each).
  cli_test::write_bytes(path, line + "\n" + line.substr(0, 40));
  {
    RecordLog log(path);
    log.append(sample_record());
    log.append(sample_record());
  }
  const LoadedRecords loaded = load_records({path});
  EXPECT_EQ(loaded.records.size(), 3u);
  ASSERT_EQ(loaded.skipped.size(), 1u);
  EXPECT_EQ(loaded.skipped[0].rfind(path + ":2: ", 0), 0u) << loaded.skipped[0];
}

TEST(TuneRecords, UnreadableLogAndMissingDirectoryAreErrors) {
  cli_test::TempDir dir;
  EXPECT_THROW(load_records({dir.file("absent.jsonl")}), Error);
  EXPECT_THROW(RecordLog(dir.file("no/such/dir/log.jsonl")), Error);
}

}  // namespace
}  // namespace bitforge
