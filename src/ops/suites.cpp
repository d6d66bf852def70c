#include "ops/suites.hpp"

#include <cctype>
#include <charconv>
#include <map>

#include "core/error.hpp"

namespace bitforge {

namespace suite_tables {
extern const std::string_view kResnet18;
extern const std::string_view kDeepbenchDevice;
}  // namespace suite_tables

namespace {

std::vector<std::string> split_tabs(std::string_view line) {
  std::vector<std::string> cells;
  for (std::size_t start = 0;;) {
    std::size_t end = line.find('\t', start);
    cells.emplace_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return cells;
    start = end + 1;
  }
}

// A row of a section, read by column name.
class Row {
 public:
  Row(const TsvSection& s, const std::vector<std::string>& cells, std::string_view what)
      : section_(s), cells_(cells), what_(what) {}
  const std::string& text(std::string_view column) const {
    for (std::size_t i = 0; i < section_.columns.size(); ++i)
      if (section_.columns[i] == column) return cells_.at(i);
    fail("{}: no column '{}'", what_, column);
  }
  std::int64_t number(std::string_view column) const {
    const std::string& t = text(column);
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size())
      fail("{}: column '{}' holds '{}', not an integer", what_, column, t);
    return v;
  }

 private:
  const TsvSection& section_;
  const std::vector<std::string>& cells_;
  std::string_view what_;
};

Conv2d square_conv(OperandType act, OperandType wgt, std::int64_t c, std::int64_t h, std::int64_t w,
                   std::int64_t o, std::int64_t kh, std::int64_t kw, std::int64_t pad,
                   std::int64_t stride) {
  Conv2d wl;
  wl.act = act;
  wl.wgt = wgt;
  wl.c = c;
  wl.h = h;
  wl.w = w;
  wl.o = o;
  wl.kh = kh;
  wl.kw = kw;
  wl.pad_top = wl.pad_left = wl.pad_bottom = wl.pad_right = pad;
  wl.stride_h = wl.stride_w = stride;
  return wl;
}

std::vector<SuiteEntry> resnet18(OperandType act, OperandType wgt) {
  std::vector<SuiteEntry> out;
  for (const TsvSection& s : parse_tsv_sections(suite_tables::kResnet18, "resnet18 table"))
    for (const auto& cells : s.rows) {
      Row r(s, cells, "resnet18 table");
      out.push_back({r.text("name"),
                     square_conv(act, wgt, r.number("in_channels"), r.number("H"), r.number("W"),
                                 r.number("out_channels"), r.number("kernel"), r.number("kernel"),
                                 r.number("pad"), r.number("stride"))});
    }
  return out;
}

std::vector<SuiteEntry> deepbench_device(OperandType act, OperandType wgt) {
  std::vector<SuiteEntry> out;
  const std::string_view what = "deepbench-device table";
  for (const TsvSection& s : parse_tsv_sections(suite_tables::kDeepbenchDevice, what))
    for (const auto& cells : s.rows) {
      Row r(s, cells, what);
      if (r.text("kind") == "gemm") {
        // C[m, n] = A[m, k] B[k, n]: m output features, k inputs, n batch columns.
        Dense d;
        d.act = act;
        d.wgt = wgt;
        d.n = r.number("n");
        d.c = r.number("k");
        d.o = r.number("m");
        out.push_back({fmt::format("gemm-{}x{}x{}", d.o, d.n, d.c), d});
      } else if (r.text("kind") == "conv") {
        Conv2d c = square_conv(act, wgt, r.number("C"), r.number("H"), r.number("W"), r.number("K"),
                               r.number("R"), r.number("S"), r.number("pad"), r.number("stride"));
        out.push_back({fmt::format("conv-{}x{}x{}-{}-{}x{}-p{}-s{}", c.w, c.h, c.c, c.o, c.kh,
                                   c.kw, c.pad_top, c.stride_h),
                       c});
      } else {
        fail("{}: unknown kind '{}' (allowed: gemm, conv)", what, r.text("kind"));
      }
    }
  return out;
}

}  // namespace

std::vector<TsvSection> parse_tsv_sections(std::string_view text, std::string_view what) {
  std::vector<TsvSection> sections;
  std::size_t line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells = split_tabs(line);
    bool header = true;
    for (std::size_t i = 1; i < cells.size(); ++i)
      if (!cells[i].empty() && std::isdigit(static_cast<unsigned char>(cells[i][0]))) header = false;
    if (header) {
      sections.push_back({cells, {}});
      continue;
    }
    if (sections.empty()) fail("{}: line {} has data before any header", what, line_no);
    if (cells.size() != sections.back().columns.size())
      fail("{}: line {} has {} cells; its header has {}", what, line_no, cells.size(),
           sections.back().columns.size());
    sections.back().rows.push_back(std::move(cells));
  }
  return sections;
}

std::vector<std::string> suite_names() { return {"resnet18", "deepbench-device"}; }

std::string_view suite_table_text(std::string_view name) {
  if (name == "resnet18") return suite_tables::kResnet18;
  if (name == "deepbench-device") return suite_tables::kDeepbenchDevice;
  fail("unknown suite '{}' (allowed: {})", name, fmt::join(suite_names(), ", "));
}

std::vector<SuiteEntry> load_suite(std::string_view name, OperandType act, OperandType wgt) {
  suite_table_text(name);  // refuses an unknown name
  std::vector<SuiteEntry> entries = name == "resnet18" ? resnet18(act, wgt) : deepbench_device(act, wgt);
  for (SuiteEntry& e : entries) {
    if (act.is_float())
      std::visit([](auto& w) { w.epilogue = Epilogue::accumulator(); }, e.workload);
    std::visit([](const auto& w) { w.validate(); }, e.workload);
  }
  return entries;
}

}  // namespace bitforge
