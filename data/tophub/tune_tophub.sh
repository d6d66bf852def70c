#!/bin/bash
# Re-makes the tuning logs behind data/tophub: every group below, TRIALS trials per
# workload in total (re-running with a larger TRIALS resumes each log and measures only the
# difference). Then distil each log with distill.py (see README.md).
#   usage: tune_tophub.sh TRIALS LOGDIR [BITFORGE]
# With STREAMS=2 the groups run as two streams at once, each pinned to its own core
# (taskset), which halves the wall time on a 2-core machine; their kernels are timed on
# one thread either way. Then the three AVX-512 resnet18 logs are tuned again on two
# threads (records for `bench --threads 2`), one at a time, as their kernels take both
# cores; their first trials are each workload's one-thread best, as recorded and with a
# parallel loop (tune tries both first).
# With ONLY=avx2 only the three AVX2 resnet18 groups run (stream a: w1a2; b: w1a1, then
# w2a2), for a machine without AVX-512; PREFIX is put before each log's name (e.g.
# PREFIX=epyc-zen3_ for a second CPU's files: records are per CPU).
set -e
TRIALS=${1:?trials per workload}
LOGDIR=${2:?directory for the logs}
B=$(realpath "${3:-$(dirname "$0")/../../build/bitforge}")
STREAMS=${STREAMS:-1}
ONLY=${ONLY:-}
PREFIX=${PREFIX:-}
cd "$LOGDIR"
run() {  # core ("" = any), log name, ISA cap, tune arguments...
  local core=$1 name=$PREFIX$2 cap=$3; shift 3
  if [ "$ONLY" = avx2 ] && [ "$cap" != avx2 ]; then return; fi
  local pin=()
  [ -n "$core" ] && pin=(taskset -c "$core")
  echo "=== $(date -u +%FT%TZ) start $name: BITFORGE_MAX_ISA=$cap bitforge tune $* --trials $TRIALS --tuner ga --min-seconds 0.05 --log $name.jsonl"
  local t0=$(date +%s)
  BITFORGE_MAX_ISA=$cap "${pin[@]}" "$B" tune "$@" --trials "$TRIALS" --tuner ga --min-seconds 0.05 --log "$name.jsonl"
  echo "=== $(date -u +%FT%TZ) end $name wall $(( $(date +%s) - t0 )) s"
}
# Each group's run() skips the groups ONLY leaves out (avx512 ones under ONLY=avx2).
stream_a() {
  run "$1" avx512_resnet18_w1a1 avx512 --suite resnet18 --act u1 --wgt b1
  run "$1" avx512_resnet18_w2a2 avx512 --suite resnet18 --act u2 --wgt b2
  run "$1" avx2_resnet18_w1a2 avx2 --suite resnet18 --act u2 --wgt b1
  run "$1" avx512_deepbench_conv_w1a1 avx512 --suite deepbench-device --op conv2d --act u1 --wgt b1
}
stream_b() {
  run "$1" avx512_resnet18_w1a2 avx512 --suite resnet18 --act u2 --wgt b1
  run "$1" avx2_resnet18_w1a1 avx2 --suite resnet18 --act u1 --wgt b1
  run "$1" avx2_resnet18_w2a2 avx2 --suite resnet18 --act u2 --wgt b2
}
case "$ONLY" in
  "" | avx2) ;;
  *) echo "tune_tophub.sh: ONLY=$ONLY is not a group (allowed: avx2, or unset for all)" >&2; exit 2 ;;
esac
if [ "$STREAMS" = 2 ]; then
  stream_a 0 > stream_a.log 2>&1 &
  stream_b 1 > stream_b.log 2>&1 &
  wait
  cat stream_a.log stream_b.log
else
  stream_a ""
  stream_b ""
fi
run "" avx512_resnet18_w1a1 avx512 --suite resnet18 --act u1 --wgt b1 --threads 2
run "" avx512_resnet18_w1a2 avx512 --suite resnet18 --act u2 --wgt b1 --threads 2
run "" avx512_resnet18_w2a2 avx512 --suite resnet18 --act u2 --wgt b2 --threads 2
