// A stand-alone application that runs one ahead-of-time compiled bitforge kernel through
// the generated header's raw-pointer C API only: it includes no bitforge header and links
// only lib<kernel>.a. It stands for a user's application on a deployment target, which
// is why it is built by the target's cross compiler (or the host's) rather than by CMake.
//
// Built by the AOT tests with
//   -DKERNEL=<name> -DKERNEL_UPPER=<NAME> -DKERNEL_HEADER="<name>.h"
// Usage:
//   aot_driver WEIGHT INPUT [EPILOGUE...] OUTPUT
// WEIGHT, INPUT and the epilogue operands (in <name>_run_raw's parameter order: scale and
// bias, or thresholds and descending, then clip_lo and clip_hi as 4-byte floats) are raw
// little-endian arrays; OUTPUT receives the output array. The argument types come from
// the functions' own signatures, so one driver serves every kernel; the element counts
// of input, weight, prepared and output come from the header's macros and the files'
// sizes are checked against them.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

#include KERNEL_HEADER

#define BF_CAT2(a, b) a##b
#define BF_CAT(a, b) BF_CAT2(a, b)
#define PREPARE_RAW BF_CAT(KERNEL, _prepare_raw)
#define RUN_RAW BF_CAT(KERNEL, _run_raw)
#define ELEMENTS(what) BF_CAT(KERNEL_UPPER, what)

namespace {

[[noreturn]] void die(const char* what, const char* detail) {
  std::fprintf(stderr, "aot_driver: %s %s\n", what, detail);
  std::exit(1);
}

// 64-byte aligned, as the header recommends; never freed (the process is short-lived).
void* aligned_bytes(std::size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  if (!p) die("out of memory for", "a buffer");
  std::memset(p, 0, bytes);
  return p;
}

// Reads a whole file into an aligned buffer; `expected` (if non-zero) must be its size.
void* read_array(const char* path, std::size_t expected, std::size_t* size = nullptr) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) die("cannot open", path);
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (n < 0 || (expected != 0 && static_cast<std::size_t>(n) != expected)) {
    std::fprintf(stderr, "aot_driver: %s has %ld bytes, the header's shapes need %zu\n", path, n,
                 expected);
    std::exit(1);
  }
  void* p = aligned_bytes(static_cast<std::size_t>(n));
  if (n > 0 && std::fread(p, 1, static_cast<std::size_t>(n), f) != static_cast<std::size_t>(n))
    die("cannot read", path);
  std::fclose(f);
  if (size) *size = static_cast<std::size_t>(n);
  return p;
}

void write_array(const char* path, const void* data, std::size_t bytes) {
  std::FILE* f = std::fopen(path, "wb");
  if (!f || std::fwrite(data, 1, bytes, f) != bytes || std::fclose(f) != 0)
    die("cannot write", path);
}

// The arguments of RUN_RAW, built from its parameter types in order: parameter 0 is the
// input, parameter 1 the prepared weights, the last one the output, and everything
// between an epilogue operand read from the next file.
struct RunArgs {
  char** files;  // epilogue files, in order
  const void* prepared;
  void* output = nullptr;
  std::size_t output_bytes = 0;
};

template <typename T>
struct Tag {};

template <typename T>
const T* make_arg(RunArgs& a, Tag<const T*>, std::size_t position, const char* input_path) {
  if (position == 0)
    return static_cast<const T*>(read_array(input_path, ELEMENTS(_INPUT_ELEMENTS) * sizeof(T)));
  if (position == 1) return static_cast<const T*>(a.prepared);
  return static_cast<const T*>(read_array(*a.files++, 0));
}

template <typename T>
T* make_arg(RunArgs& a, Tag<T*>, std::size_t, const char*) {
  a.output_bytes = ELEMENTS(_OUTPUT_ELEMENTS) * sizeof(T);
  a.output = aligned_bytes(a.output_bytes);
  return static_cast<T*>(a.output);
}

// Unused by kernels without clip bounds.
[[maybe_unused]] float make_arg(RunArgs& a, Tag<float>, std::size_t, const char*) {
  const char* path = *a.files++;
  float v = 0;
  std::memcpy(&v, read_array(path, sizeof(float)), sizeof v);
  return v;
}

template <typename... P, std::size_t... I>
int call_run(int (*run)(P...), RunArgs& a, const char* input_path, std::index_sequence<I...>) {
  // Braced initialization evaluates left to right, so the files are read in order.
  std::tuple<P...> args{make_arg(a, Tag<P>{}, I, input_path)...};
  return std::apply(run, args);
}

template <typename W, typename Prep>
Prep* prepare(int (*prep)(const W*, Prep*), const char* weight_path) {
  const W* weight =
      static_cast<const W*>(read_array(weight_path, ELEMENTS(_WEIGHT_ELEMENTS) * sizeof(W)));
  Prep* prepared = static_cast<Prep*>(aligned_bytes(ELEMENTS(_PREPARED_ELEMENTS) * sizeof(Prep)));
  if (int err = prep(weight, prepared)) {
    std::fprintf(stderr, "aot_driver: prepare failed with Halide error %d\n", err);
    std::exit(1);
  }
  return prepared;
}

template <typename... P>
constexpr std::size_t arity(int (*)(P...)) {
  return sizeof...(P);
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::size_t params = arity(&RUN_RAW);  // input, prepared, epilogue..., output
  // Files: weight, input, the epilogue operands, output; that is one per parameter of
  // RUN_RAW, with weight standing in for prepared.
  if (static_cast<std::size_t>(argc) != params + 1) {
    std::fprintf(
        stderr,
        "aot_driver: expected %zu files (weight, input, %zu epilogue operands, output), got %d\n",
        params, params - 3, argc - 1);
    return 1;
  }
  RunArgs a{argv + 3, prepare(&PREPARE_RAW, argv[1])};
  if (int err = call_run(&RUN_RAW, a, argv[2], std::make_index_sequence<params>{})) {
    std::fprintf(stderr, "aot_driver: run failed with Halide error %d\n", err);
    return 1;
  }
  write_array(argv[argc - 1], a.output, a.output_bytes);
  return 0;
}
