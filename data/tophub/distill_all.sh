#!/bin/bash
# Distils the logs made by tune_tophub.sh into data/tophub/*.jsonl, each opening with
# comment lines that say how it was tuned.
#   usage: distill_all.sh LOGDIR "trial passes, e.g. 16 then 32 then 64 (resumed)"
# ONLY and PREFIX as for tune_tophub.sh (ONLY=avx2: the three AVX2 resnet18 files).
set -e
ONLY=${ONLY:-}
PREFIX=${PREFIX:-}
LOGDIR=${1:?directory of the logs}
PASSES=${2:?how the trial counts were reached}
HERE=$(cd "$(dirname "$0")" && pwd)
CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p' | head -1), model $(lscpu | sed -n 's/^Model: *//p' | head -1))"
FLAGS=$(grep -o -w -E 'avx512_vpopcntdq|avx512_vnni|avx512bw|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')
distill() {  # log name, ISA cap, tune arguments
  local name=$PREFIX$1 cap=$2; shift 2
  if [ "$ONLY" = avx2 ] && [ "$cap" != avx2 ]; then return; fi
  python3 "$HERE/distill.py" "$LOGDIR/$name.jsonl" "$HERE/$name.jsonl" \
    "bitforge best records (tophub): the fastest successful trial per workload key, Halide target and thread count." \
    "tuned with: BITFORGE_MAX_ISA=$cap bitforge tune $* --trials N --tuner ga --min-seconds 0.05 --log $name.jsonl" \
    "trials per workload: N = $PASSES (data/tophub/tune_tophub.sh; each pass resumes the same log)" \
    "machine: $CPU ($FLAGS), 2 vCPUs shared with other jobs, 1 kernel thread (2 for the records that say so); $(date -u +%F)" \
    "distilled by data/tophub/distill.py; the per-workload lines below give the trials actually in the log"
}
distill avx512_resnet18_w1a1 avx512 --suite resnet18 --act u1 --wgt b1
distill avx512_resnet18_w1a2 avx512 --suite resnet18 --act u2 --wgt b1
distill avx512_resnet18_w2a2 avx512 --suite resnet18 --act u2 --wgt b2
distill avx2_resnet18_w1a1 avx2 --suite resnet18 --act u1 --wgt b1
distill avx2_resnet18_w1a2 avx2 --suite resnet18 --act u2 --wgt b1
distill avx2_resnet18_w2a2 avx2 --suite resnet18 --act u2 --wgt b2
distill avx512_deepbench_conv_w1a1 avx512 --suite deepbench-device --op conv2d --act u1 --wgt b1
