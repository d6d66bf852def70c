#!/bin/bash
# Re-makes the tuning logs behind data/tophub: every group below, TRIALS trials per
# workload in total (re-running with a larger TRIALS resumes each log and measures only the
# difference). Then distil each log with distill.py (see README.md).
#   usage: tune_tophub.sh TRIALS LOGDIR [BITFORGE]
set -e
TRIALS=${1:?trials per workload}
LOGDIR=${2:?directory for the logs}
B=${3:-$(dirname "$0")/../../build/bitforge}
cd "$LOGDIR"
run() {  # log name, ISA cap, tune arguments...
  local name=$1 cap=$2; shift 2
  echo "=== $(date -u +%FT%TZ) start $name: BITFORGE_MAX_ISA=$cap bitforge tune $* --trials $TRIALS --tuner ga --min-seconds 0.05 --log $name.jsonl"
  local t0=$(date +%s)
  BITFORGE_MAX_ISA=$cap "$B" tune "$@" --trials "$TRIALS" --tuner ga --min-seconds 0.05 --log "$name.jsonl"
  echo "=== $(date -u +%FT%TZ) end $name wall $(( $(date +%s) - t0 )) s"
}
run avx512_resnet18_w1a1 avx512 --suite resnet18 --act u1 --wgt b1
run avx512_resnet18_w1a2 avx512 --suite resnet18 --act u2 --wgt b1
run avx512_resnet18_w2a2 avx512 --suite resnet18 --act u2 --wgt b2
run avx2_resnet18_w1a1 avx2 --suite resnet18 --act u1 --wgt b1
run avx2_resnet18_w1a2 avx2 --suite resnet18 --act u2 --wgt b1
run avx2_resnet18_w2a2 avx2 --suite resnet18 --act u2 --wgt b2
run avx512_deepbench_conv_w1a1 avx512 --suite deepbench-device --op conv2d --act u1 --wgt b1
