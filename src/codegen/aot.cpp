// Ahead-of-time compilation: a static library and a C header per kernel, linkable into
// an application that does not depend on bitforge (only on the Halide runtime header,
// which is written beside it).
#include <Halide.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "codegen/bitserial_microkernel.hpp"
#include "codegen/codegen.hpp"
#include "codegen/generated_operator.hpp"
#include "codegen/lowering.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"

namespace bitforge {

namespace fs = std::filesystem;
using codegen::GeneratedOperator;

namespace {

// Runs a program without a shell; Error with its exit status on failure.
void run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("'{}' failed (status {})", fmt::join(argv, " "), status);
}

std::string c_type(DType t) {
  switch (t) {
    case DType::f32: return "float";
    case DType::i32: return "int32_t";
    case DType::i16: return "int16_t";
    case DType::i8: return "int8_t";
    case DType::u8: return "uint8_t";
    case DType::u16: return "uint16_t";
    case DType::u32: return "uint32_t";
    case DType::u64: return "uint64_t";
  }
  return "void";
}

// The halide_type_code_t of a DType's elements.
const char* halide_type_code(DType t) {
  switch (t) {
    case DType::f32: return "halide_type_float";
    case DType::i32:
    case DType::i16:
    case DType::i8: return "halide_type_int";
    default: return "halide_type_uint";
  }
}

// One operand of the raw-pointer API: its C name, element type and row-major shape.
struct ApiOperand {
  std::string name;
  DType dtype;
  Shape shape;
};

std::string shape_literal(const Shape& s) { return fmt::format("{}", fmt::join(s, ", ")); }

// C code filling a halide_buffer_t over a row-major array (Halide dims reversed).
std::string buffer_setup(const ApiOperand& a, bool is_const) {
  std::string s = fmt::format("  halide_dimension_t {0}_dims[{1}];\n  {{\n    const int32_t shape[{1}] = {{{2}}};\n"
                              "    int32_t stride = 1;\n    for (int d = 0; d < {1}; ++d) {{\n"
                              "      {0}_dims[d].min = 0; {0}_dims[d].extent = shape[{1} - 1 - d];\n"
                              "      {0}_dims[d].stride = stride; {0}_dims[d].flags = 0; stride *= shape[{1} - 1 - d];\n"
                              "    }}\n  }}\n",
                              a.name, a.shape.size(), shape_literal(a.shape));
  // Every field is assigned, none initialized: halide_buffer_t has constructors (through
  // halide_type_t) in C++ and none in C, and no initializer spelling is warning-free in
  // both (`{0}` trips -Wmissing-field-initializers in C++, `{}` is not C99).
  s += fmt::format("  halide_buffer_t {0}_buf;\n  {0}_buf.device = 0;\n  {0}_buf.device_interface = NULL;\n"
                   "  {0}_buf.host = (uint8_t*){1}{0};\n  {0}_buf.flags = 0;\n"
                   "  {0}_buf.type.code = {2};\n  {0}_buf.type.bits = {3};\n  {0}_buf.type.lanes = 1;\n"
                   "  {0}_buf.dimensions = {4};\n  {0}_buf.dim = {0}_dims;\n  {0}_buf.padding = NULL;\n",
                   a.name, is_const ? "(void*)" : "", halide_type_code(a.dtype), 8 * dtype_size(a.dtype),
                   a.shape.size());
  return s;
}

// A scratch directory removed with its contents when it goes out of scope, on success
// and on failure alike, so a failed compilation leaves nothing behind.
class ScratchDir {
 public:
  explicit ScratchDir(fs::path p) : path_(std::move(p)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A name no other thread or process uses at the same time (tests compile in parallel).
std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}_{}", getpid(), counter++);
}

}  // namespace

std::string kernel_assembly(const Workload& wl, const Config& config, const CodegenTarget& target) {
  auto op = codegen::generate_operator(wl, config, target);
  const codegen::LoweredWorkload lw = codegen::lower_workload(wl);
  const ScratchDir tmp(fs::temp_directory_path() / ("bitforge_asm_" + unique_suffix()));
  const std::string file = (tmp.path() / "kernel.s").string();
  Halide::Target t = target.halide_target().with_feature(Halide::Target::NoRuntime);
  Halide::Pipeline(op->output.out).compile_to_assembly(file, op->run_arguments(lw.conv.epilogue), "kernel", t);
  return read_file(file);
}

namespace {

std::string write_kernel_files(const Workload& wl, const Config& config, const CodegenTarget& target,
                               const std::string& dir) {
  auto op = codegen::generate_operator(wl, config, target);
  const codegen::LoweredWorkload lw = codegen::lower_workload(wl);
  const std::string name = codegen::kernel_name(wl, config, target);
  // Everything is written into a hidden scratch directory beside the outputs (same file
  // system, so the final renames are atomic) and only moved into place once complete.
  const ScratchDir scratch(fs::path(dir) / fmt::format(".{}.{}.tmp", name, unique_suffix()));
  const fs::path& work = scratch.path();

  const Halide::Target t = target.halide_target();
  const Halide::Target no_rt = t.with_feature(Halide::Target::NoRuntime);
  const std::string prep_obj = (work / (name + "_prepare.o")).string();
  const std::string run_obj = (work / (name + "_run.o")).string();
  const std::string rt_obj = (work / (name + "_runtime.o")).string();
  Halide::Pipeline(op->prepared).compile_to({{Halide::OutputFileType::object, prep_obj},
                                             {Halide::OutputFileType::c_header, (work / (name + "_prepare.h")).string()}},
                                            op->prepare_arguments(), name + "_prepare", no_rt);
  Halide::Pipeline(op->output.out).compile_to({{Halide::OutputFileType::object, run_obj},
                                               {Halide::OutputFileType::c_header, (work / (name + "_run.h")).string()}},
                                              op->run_arguments(lw.conv.epilogue), name + "_run", no_rt);
  Halide::compile_standalone_runtime(rt_obj, t);
  const std::string lib = (work / ("lib" + name + ".a")).string();
  run_program({"ar", "rcs", lib, prep_obj, run_obj, rt_obj});

  // The raw-pointer C API: operands as row-major arrays in the workload's layouts.
  const Shape in_shape = std::visit([](const auto& w) { return w.input_shape(); }, wl);
  const Shape w_shape = std::visit([](const auto& w) { return w.weight_shape(); }, wl);
  const Shape out_shape = std::visit([](const auto& w) { return w.output_shape(); }, wl);
  const DType out_dtype = std::visit([](const auto& w) { return w.output_dtype(); }, wl);
  const Shape prep_shape(op->prepared_extents.rbegin(), op->prepared_extents.rend());
  const DType in_dtype = codegen::kernel_input_dtype(lw.conv), w_dtype = codegen::kernel_weight_dtype(lw.conv);
  // The Halide functions take the convolution's (lowered) shapes; memory is identical.
  const ApiOperand weight{"weight", w_dtype, lw.conv.weight_shape()};
  const ApiOperand prepared{"prepared", op->prepared_dtype, prep_shape};
  const ApiOperand input{"input", in_dtype, lw.conv.input_shape()};
  const ApiOperand output{"output", out_dtype, lw.conv.output_shape()};
  std::vector<ApiOperand> epi;
  std::vector<std::string> epi_scalars;
  const Epilogue& e = lw.conv.epilogue;
  if (e.kind == Epilogue::Kind::Affine) {
    epi = {{"scale", DType::f32, {lw.conv.o}}, {"bias", DType::f32, {lw.conv.o}}};
    if (e.activation == Epilogue::Activation::Clip) epi_scalars = {"clip_lo", "clip_hi"};
  } else if (e.kind == Epilogue::Kind::Threshold) {
    epi = {{"thresholds", DType::i32, {lw.conv.o, e.threshold_count()}}, {"descending", DType::u8, {lw.conv.o}}};
  }

  // What each operand's axes are, for the header's comment.
  std::string in_axes, w_axes, out_axes;
  if (const Conv2d* c = std::get_if<Conv2d>(&wl)) {
    in_axes = out_axes = std::string(layout_name(c->layout));
    w_axes = std::string(layout_name(c->weight_layout));
  } else {
    in_axes = "N, C";
    w_axes = "O, C";
    out_axes = "N, O";
  }
  if (e.packed)
    out_axes = fmt::format("{} levels bit-packed along channels into {} words, bit planes at axis {}", out_axes,
                           dtype_name(e.word), std::visit([](const auto& w) { return w.epilogue.bit_axis; }, wl));
  std::string epi_doc;
  for (const ApiOperand& a : epi)
    epi_doc += fmt::format("//   {:<10} {} [{}]\n", a.name, c_type(a.dtype), shape_literal(a.shape));
  for (const std::string& sname : epi_scalars) epi_doc += fmt::format("//   {:<10} float\n", sname);
  if (!epi_doc.empty()) epi_doc = "// Epilogue parameters (SEMANTICS.md section 4), per output channel:\n" + epi_doc;

  std::string h = fmt::format(
      "// Generated by bitforge " BITFORGE_VERSION_STRING ": kernel {name}\n"
      "// workload: {key}\n// target:   {target} (Halide {halide})\n// config:   {config}\n//\n"
      "// Operands are row-major arrays (64-byte alignment recommended):\n"
      "//   input    {in_t} [{in_s}]   levels/values, {in_axes}\n"
      "//   weight   {w_t} [{w_s}]   levels/values, {w_axes}\n"
      "//   prepared {p_t} [{p_s}]   {name}_prepare_raw's output; keep it per weight tensor\n"
      "//   output   {o_t} [{o_s}]   {out_axes}\n{epi_doc}"
      "// Functions return 0 on success, a Halide error code otherwise.\n"
      "#pragma once\n#include <stddef.h>\n#include <stdint.h>\n#include \"HalideRuntime.h\"\n#include \"{name}_prepare.h\"\n#include \"{name}_run.h\"\n\n"
      "#define {NAME}_INPUT_ELEMENTS {in_n}\n#define {NAME}_WEIGHT_ELEMENTS {w_n}\n"
      "#define {NAME}_PREPARED_ELEMENTS {p_n}\n#define {NAME}_OUTPUT_ELEMENTS {o_n}\n\n",
      fmt::arg("name", name), fmt::arg("key", workload_key(wl)), fmt::arg("target", target.name),
      fmt::arg("halide", target.halide), fmt::arg("config", schedule_space(wl, target).to_json(config).dump()),
      fmt::arg("in_t", c_type(in_dtype)), fmt::arg("in_s", shape_literal(in_shape)), fmt::arg("w_t", c_type(w_dtype)),
      fmt::arg("w_s", shape_literal(w_shape)), fmt::arg("p_t", c_type(op->prepared_dtype)),
      fmt::arg("p_s", shape_literal(prep_shape)), fmt::arg("o_t", c_type(out_dtype)), fmt::arg("o_s", shape_literal(out_shape)),
      fmt::arg("NAME", [&] { std::string u = name; for (char& ch : u) ch = static_cast<char>(std::toupper(ch)); return u; }()),
      fmt::arg("in_axes", in_axes), fmt::arg("w_axes", w_axes), fmt::arg("out_axes", out_axes),
      fmt::arg("epi_doc", epi_doc), fmt::arg("in_n", shape_numel(in_shape)), fmt::arg("w_n", shape_numel(w_shape)),
      fmt::arg("p_n", shape_numel(prep_shape)), fmt::arg("o_n", shape_numel(out_shape)));
  h += fmt::format("static inline int {}_prepare_raw(const {}* weight, {}* prepared) {{\n", name, c_type(w_dtype),
                   c_type(op->prepared_dtype));
  h += buffer_setup(weight, true) + buffer_setup(prepared, false);
  h += fmt::format("  return {}_prepare(&weight_buf, &prepared_buf);\n}}\n\n", name);
  std::string params = fmt::format("const {}* input, const {}* prepared", c_type(in_dtype), c_type(op->prepared_dtype));
  for (const ApiOperand& a : epi) params += fmt::format(", const {}* {}", c_type(a.dtype), a.name);
  for (const std::string& sname : epi_scalars) params += ", float " + sname;
  params += fmt::format(", {}* output", c_type(out_dtype));
  h += fmt::format("static inline int {}_run_raw({}) {{\n", name, params);
  h += buffer_setup(input, true) + buffer_setup(prepared, true);
  std::string call = fmt::format("{}_run(&input_buf, &prepared_buf", name);
  for (const ApiOperand& a : epi) {
    h += buffer_setup(a, true);
    call += ", &" + a.name + "_buf";
  }
  for (const std::string& sname : epi_scalars) call += ", " + sname;
  h += buffer_setup(output, false);
  h += "  return " + call + ", &output_buf);\n}\n";

  write_file_atomically((work / (name + ".h")).string(), h);
  write_file_atomically((work / "HalideRuntime.h").string(), read_file(BITFORGE_HALIDE_RUNTIME_HEADER));
  // Publish: move each finished file into place (the scratch directory goes with `scratch`).
  for (const std::string& f : {"lib" + name + ".a", name + ".h", name + "_prepare.h", name + "_run.h", std::string("HalideRuntime.h")})
    fs::rename(work / f, fs::path(dir) / f);
  return name;
}

}  // namespace

std::string compile_kernel_aot(const Workload& wl, const Config& config, const CodegenTarget& target,
                               const std::string& dir) {
  if (!fs::exists(dir)) fail("output directory '{}' does not exist", dir);
  if (!fs::is_directory(dir)) fail("output directory '{}' is not a directory", dir);
  // A microkernel is a function of bitforge's own library, called by JIT kernels; the AOT
  // library does not carry it (yet), so its objects would not link.
  if (const std::string mk = codegen::microkernel_of(config); mk != "none")
    fail("config uses microkernel {}, which ahead-of-time kernels cannot call yet (allowed: microkernel none)", mk);
  // File-system and Halide failures become Errors (one line at the CLI, exit 2) instead
  // of escaping as other exception types.
  try {
    return write_kernel_files(wl, config, target, dir);
  } catch (const fs::filesystem_error& e) {
    fail("cannot write kernel files into '{}': {} ({})", dir, e.code().message(), e.path1().string());
  } catch (const Halide::Error& e) {
    fail("Halide could not compile {} for {}: {}", workload_key(wl), target.name, e.what());
  }
}

}  // namespace bitforge
