#!/usr/bin/env python3
"""Distils a `bitforge tune` log into a shipped best-record file (data/tophub/*.jsonl).

Keeps, per (workload key, Halide target string, thread count, CPU), the successful trial with
the smallest min_s -- the same choice dispatch makes from the full log, so shipping the
distilled file dispatches exactly as the log would. The output opens with '#' comment
lines saying how the records were tuned (load_records skips comment lines).

usage: distill.py LOG OUT "how it was tuned" ["more comment lines" ...]
"""
import json
import os
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    log, out, comments = sys.argv[1], sys.argv[2], sys.argv[3:]
    best, order, trials = {}, [], {}
    with open(log) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{log}:{number}: {e} (line skipped)", file=sys.stderr)
                continue
            # Lines without "threads" predate the field: measured on one thread; without
            # "cpu", on a CPU not recorded.
            k = (r["key"], r["halide"], r.get("threads", 1), r.get("cpu", ""))
            trials[k] = trials.get(k, 0) + 1
            if r["error"] != "" or not r["costs"]:
                continue
            if k not in best:
                order.append(k)
            if k not in best or r["min_s"] < best[k]["min_s"]:
                best[k] = r
    if not best:
        sys.exit(f"{log}: no successful trial")
    lines = [f"# {c}\n" for c in comments]
    lines += [f"# {k[0]}: best of {trials[k]} trials on {k[2]} thread{'s' if k[2] > 1 else ''}"
              + (f" of {k[3]}" if k[3] else "") + "\n" for k in order]
    lines += [json.dumps(best[k], separators=(",", ":")) + "\n" for k in order]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, out)  # never a half-written file


if __name__ == "__main__":
    main()
