#!/usr/bin/python3
"""bitforge's .npy files and NumPy's agree, both ways, and `bitforge conv2d` / `dense`
compute what SEMANTICS.md §3 defines, checked against NumPy's own computation.

Run by ctest as: /usr/bin/python3 npy_numpy_interop.py BITFORGE_BINARY CLI_NPY_TOOL
(Debian's python3-numpy; scripts/setup installs it). cli_npy_tool (tests/cli/npy_tool.cpp)
exposes bitforge's npy_read / npy_write.

1. For every dtype (f32 i32 i16 i8 u8 u16 u32 u64) and shapes including 0-d, 1-d and
   empty ones:
   - NumPy writes (format 1.0, 2.0 and 3.0), bitforge's reader reads the same dtype,
     shape and values (printed as text by `cli_npy_tool dump`);
   - bitforge's writer writes given values, NumPy loads the same dtype, shape and values;
   - NumPy -> bitforge read -> bitforge write -> NumPy gives the array back.
2. Arrays NumPy writes that bitforge does not support (float64, int64, bool, big-endian,
   Fortran order) are refused by `bitforge conv2d`: exit 2, one line on stderr, no output.
3. NumPy writes level operands (int8 / uint8 / int16 / int32), `bitforge conv2d` and
   `bitforge dense` run on them, and their int32 output equals NumPy's evaluation of the
   defining sum (NCHW/NHWC, OIHW/HWIO, stride, padding, dilation, groups; u·u, u·b, b·u,
   b·b with bipolar levels next to padding).

Fixed seeds; exits 1 listing every failed check.
"""

import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("npy_numpy_interop: NumPy is missing; install python3-numpy (scripts/setup does)",
          file=sys.stderr)
    sys.exit(1)

BITFORGE, NPY_TOOL = (os.path.abspath(p) for p in sys.argv[1:3]) if len(sys.argv) == 3 else (None, None)
if BITFORGE is None:
    print("usage: npy_numpy_interop.py BITFORGE_BINARY CLI_NPY_TOOL", file=sys.stderr)
    sys.exit(2)

FAILURES = []
CHECKS = 0


def check(ok, what):
    global CHECKS
    CHECKS += 1
    if not ok:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True)


# --------------------------------------------------------------------------------------
# 1. .npy files both ways

DTYPES = {  # bitforge name -> NumPy dtype (little-endian, as bitforge supports)
    "f32": np.dtype("<f4"), "i32": np.dtype("<i4"), "i16": np.dtype("<i2"),
    "i8": np.dtype("i1"), "u8": np.dtype("u1"), "u16": np.dtype("<u2"),
    "u32": np.dtype("<u4"), "u64": np.dtype("<u8"),
}
SHAPES = [(), (1,), (7,), (0,), (3, 0), (2, 0, 3), (2, 3), (3, 1, 4, 2), (1, 2, 1, 3, 2)]


def sample(dtype, shape, rng):
    """Values covering the dtype's extremes (for floats: signs, fractions, large, tiny)."""
    n = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "f":
        pool = np.array([0.0, -0.0, 1.5, -2.25, 3.4028234663852886e38, -1e-38, 1.401298464324817e-45,
                         0.1, 12345.678], dtype=dtype)
        vals = np.concatenate([pool, rng.standard_normal(max(n, 1)).astype(dtype) * 1000])
    else:
        info = np.iinfo(dtype)
        vals = np.concatenate([np.array([info.min, info.max, 0, 1], dtype=dtype),
                               rng.integers(info.min, info.max, size=max(n, 1), dtype=dtype,
                                            endpoint=True)])
    return vals[:n].reshape(shape)


def same_array(a, b):
    """Same dtype, shape and bits (so -0.0 and 0.0 differ, as they should here)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def dump(path):
    r = run(NPY_TOOL, "dump", path)
    if r.returncode != 0:
        return None, r.stderr.strip()
    lines = dict(line.split(" ", 1) if " " in line else (line, "") for line in r.stdout.splitlines())
    name = lines["dtype"]
    shape = tuple(int(v) for v in lines["shape"].split())
    words = lines["values"].split()
    if name == "f32":
        values = np.array([float.fromhex(w) for w in words], dtype=np.float64).astype("<f4")
    else:
        values = np.array([int(w) for w in words], dtype=object).astype(DTYPES[name])
    return (name, values.reshape(shape)), None


def value_text(v, dtype):
    return float(v).hex() if dtype.kind == "f" else str(int(v))


def check_npy_files(tmp):
    rng = np.random.default_rng(20261122)
    for name, dtype in DTYPES.items():
        for shape in SHAPES:
            arr = sample(dtype, shape, rng)
            tag = f"{name} {shape}"

            # NumPy writes (every format version), bitforge reads.
            for version in [(1, 0), (2, 0), (3, 0)]:
                path = os.path.join(tmp, "np.npy")
                with open(path, "wb") as f:
                    np.lib.format.write_array(f, arr, version=version)
                got, err = dump(path)
                check(got is not None, f"bitforge reads NumPy's {tag} (format {version}): {err}")
                if got is not None:
                    check(got[0] == name, f"bitforge reads dtype {got[0]} for NumPy's {tag}")
                    check(same_array(got[1], arr), f"bitforge reads other values for NumPy's {tag} "
                                                   f"(format {version}): {got[1]!r} vs {arr!r}")

            # bitforge writes, NumPy reads.
            path = os.path.join(tmp, "bf.npy")
            shape_text = ",".join(str(e) for e in shape)
            r = run(NPY_TOOL, "make", name, shape_text, path,
                    *[value_text(v, dtype) for v in arr.reshape(-1)])
            check(r.returncode == 0, f"bitforge writes {tag}: {r.stderr.strip()}")
            if r.returncode == 0:
                try:
                    back = np.load(path, allow_pickle=False)
                    check(same_array(back, arr), f"NumPy reads other values from bitforge's {tag}: "
                                                 f"{back!r} vs {arr!r}")
                    with open(path, "rb") as f:
                        check(np.lib.format.read_magic(f) == (1, 0), f"bitforge's {tag} is format 1.0")
                        f.seek(0)
                        data = f.read()
                    header_len = int.from_bytes(data[8:10], "little")
                    check((10 + header_len) % 64 == 0,
                          f"bitforge's {tag} data starts 64-byte aligned, as NumPy's does")
                except Exception as e:  # noqa: BLE001 - any failure to load is the finding
                    check(False, f"NumPy cannot load bitforge's {tag}: {e}")

            # Round trip through both.
            src, dst = os.path.join(tmp, "src.npy"), os.path.join(tmp, "dst.npy")
            np.save(src, arr)
            r = run(NPY_TOOL, "copy", src, dst)
            check(r.returncode == 0 and same_array(np.load(dst), arr),
                  f"NumPy -> bitforge -> NumPy round trip of {tag}: {r.stderr.strip()}")


# --------------------------------------------------------------------------------------
# 2. NumPy arrays bitforge refuses

def check_refusals(tmp):
    w = os.path.join(tmp, "W.npy")
    np.save(w, np.ones((1, 2, 1, 1), np.uint8))
    cases = {
        "float64": np.zeros((1, 2, 3, 3), np.float64),
        "int64": np.zeros((1, 2, 3, 3), np.int64),
        "bool": np.zeros((1, 2, 3, 3), np.bool_),
        "big-endian int32": np.zeros((1, 2, 3, 3), ">i4"),
        "Fortran order": np.asfortranarray(np.zeros((1, 2, 3, 3), np.uint8)),
        "float32 as levels": np.zeros((1, 2, 3, 3), np.float32),
        "uint16 as levels": np.zeros((1, 2, 3, 3), np.uint16),
    }
    for what, arr in cases.items():
        x, y = os.path.join(tmp, "X.npy"), os.path.join(tmp, "Y.npy")
        np.save(x, arr)
        before = sorted(os.listdir(tmp))
        r = run(BITFORGE, "conv2d", "--input", x, "--weight", w, "--act", "u1", "--wgt", "u1",
                "--out", y)
        check(r.returncode == 2, f"{what}: exit code {r.returncode}, expected 2")
        check(r.stderr.count("\n") == 1 and r.stderr.endswith("\n")
              and r.stderr.startswith("bitforge: error: ") and x in r.stderr,
              f"{what}: stderr is not one error line naming the file: {r.stderr!r}")
        check(sorted(os.listdir(tmp)) == before, f"{what}: the refusal left files behind")


# --------------------------------------------------------------------------------------
# 3. conv2d and dense against NumPy's evaluation of SEMANTICS.md §3

def levels(enc, shape, rng, dtype):
    kind, bits = enc[0], int(enc[1:])
    planes = rng.integers(0, 2 ** bits, size=shape)  # bit-plane value, uniform
    vals = planes if kind == "u" else 2 * planes - (2 ** bits - 1)
    return vals.astype(dtype)


def conv2d_numpy(x, w, stride, pad, dilation, groups):
    """Y[n, o, y, x] = sum over c in group(o), r, s of X[n, c, y*sh - top + r*dh,
    x*sw - left + s*dw] * W[o, c, r, s]; positions outside X contribute 0. NCHW / OIHW."""
    (sh, sw), (top, left, bottom, right), (dh, dw) = stride, pad, dilation
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + left + right - dw * (kw - 1) - 1) // sw + 1
    xp = np.zeros((n, c, h + top + bottom, wd + left + right), np.int64)
    xp[:, :, top:top + h, left:left + wd] = x
    y = np.zeros((n, o, oh, ow), np.int64)
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og].astype(np.int64)
        for r in range(kh):
            for s in range(kw):
                patch = xs[:, :, r * dh:r * dh + sh * (oh - 1) + 1:sh, s * dw:s * dw + sw * (ow - 1) + 1:sw]
                y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, r, s])
    return y


def pad4(text):
    v = [int(t) for t in text.split(",")]
    if len(v) == 1:
        return v * 4
    return [v[0], v[1], v[0], v[1]] if len(v) == 2 else v


def pair(text):
    v = [int(t) for t in text.split(",")]
    return v * 2 if len(v) == 1 else v


CONV_CASES = [
    # act, wgt, x dtype, w dtype, layout, weight layout, N C H W, O KH KW, stride, pad, dilation, groups
    ("u2", "b1", "u1", "i1", "NCHW", "OIHW", (2, 3, 5, 5), (4, 3, 3), "1", "1", "1", 1),
    ("b1", "b1", "i1", "i1", "NCHW", "OIHW", (1, 4, 4, 5), (3, 3, 3), "1", "2", "1", 1),
    ("b2", "b1", "i2", "i4", "NHWC", "HWIO", (1, 3, 6, 6), (2, 3, 3), "2", "1,0,2,1", "1", 1),
    ("u3", "u2", "i4", "u1", "NHWC", "OIHW", (1, 4, 7, 5), (6, 3, 2), "2,1", "1,2", "2,1", 2),
    ("b1", "u3", "i1", "i2", "NCHW", "HWIO", (2, 6, 5, 6), (6, 3, 3), "1,2", "1", "1", 6),
    ("u8", "b8", "u1", "i2", "NHWC", "HWIO", (1, 70, 4, 4), (3, 3, 3), "1", "1", "1", 1),
    ("b3", "b2", "i2", "i1", "NCHW", "OIHW", (1, 65, 5, 4), (2, 2, 3), "2", "0,1", "2", 1),
    ("u1", "u1", "u1", "u1", "NHWC", "HWIO", (3, 2, 3, 3), (2, 1, 1), "1", "0", "1", 1),
]


def check_conv2d(tmp):
    rng = np.random.default_rng(7)
    for i, (act, wgt, xdt, wdt, layout, wlayout, (n, c, h, wd), (o, kh, kw), stride, pad, dil,
            groups) in enumerate(CONV_CASES):
        tag = f"conv2d case {i} ({act}x{wgt} {layout}/{wlayout} stride {stride} pad {pad} " \
              f"dilation {dil} groups {groups})"
        x = levels(act, (n, c, h, wd), rng, xdt)       # NCHW
        w = levels(wgt, (o, c // groups, kh, kw), rng, wdt)  # OIHW
        expected = conv2d_numpy(x, w, pair(stride), pad4(pad), pair(dil), groups)
        xf = x if layout == "NCHW" else x.transpose(0, 2, 3, 1)
        wf = w if wlayout == "OIHW" else w.transpose(2, 3, 1, 0)
        ef = expected if layout == "NCHW" else expected.transpose(0, 2, 3, 1)
        xp, wp, yp = (os.path.join(tmp, f"{k}{i}.npy") for k in "XWY")
        np.save(xp, np.ascontiguousarray(xf))
        np.save(wp, np.ascontiguousarray(wf))
        r = run(BITFORGE, "conv2d", "--input", xp, "--weight", wp, "--act", act, "--wgt", wgt,
                "--layout", layout, "--weight-layout", wlayout, "--stride", stride, "--pad", pad,
                "--dilation", dil, "--groups", groups, "--out", yp)
        check(r.returncode == 0, f"{tag}: exit code {r.returncode}: {r.stderr.strip()}")
        if r.returncode != 0:
            continue
        y = np.load(yp)
        check(y.dtype == np.dtype("<i4"), f"{tag}: output dtype {y.dtype}, expected int32")
        check(y.shape == ef.shape, f"{tag}: output shape {y.shape}, expected {ef.shape}")
        if y.shape == ef.shape:
            bad = np.argwhere(y.astype(np.int64) != ef)
            check(bad.size == 0, f"{tag}: {len(bad)} wrong outputs, first at {bad[:1].tolist()}: "
                                 f"{y[tuple(bad[0])] if bad.size else ''} vs "
                                 f"{ef[tuple(bad[0])] if bad.size else ''}")


DENSE_CASES = [("u2", "b1", "u1", "i1", 3, 64, 5), ("b1", "b1", "i1", "i4", 2, 65, 7),
               ("b4", "u4", "i2", "u1", 4, 130, 3), ("u8", "u8", "u1", "i4", 2, 100, 2)]


def check_dense(tmp):
    rng = np.random.default_rng(11)
    for i, (act, wgt, xdt, wdt, n, c, o) in enumerate(DENSE_CASES):
        tag = f"dense case {i} ({act}x{wgt} N={n} C={c} O={o})"
        x, w = levels(act, (n, c), rng, xdt), levels(wgt, (o, c), rng, wdt)
        xp, wp, yp = (os.path.join(tmp, f"d{k}{i}.npy") for k in "XWY")
        np.save(xp, x)
        np.save(wp, w)
        r = run(BITFORGE, "dense", "--input", xp, "--weight", wp, "--act", act, "--wgt", wgt,
                "--out", yp)
        check(r.returncode == 0, f"{tag}: exit code {r.returncode}: {r.stderr.strip()}")
        if r.returncode == 0:
            y = np.load(yp)
            expected = x.astype(np.int64) @ w.astype(np.int64).T
            check(y.dtype == np.dtype("<i4") and y.shape == expected.shape
                  and np.array_equal(y.astype(np.int64), expected), f"{tag}: output differs from NumPy's")


def main():
    with tempfile.TemporaryDirectory(prefix="bitforge_npy_interop.") as tmp:
        check_npy_files(tmp)
        check_refusals(tmp)
        check_conv2d(tmp)
        check_dense(tmp)
    print(f"npy_numpy_interop: {CHECKS - len(FAILURES)} of {CHECKS} checks passed (NumPy {np.__version__})")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
