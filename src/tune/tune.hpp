// bitforge tune: automatic tuning of schedule configs.
//
// What it is for: finding the fastest config of an operator's schedule space for a
// (workload, target) by measuring trials — in an isolated worker process, so a config that
// crashes, hangs, fails to compile or computes a wrong result costs one trial and is
// recorded as such — with random, grid, genetic or model-based (XGBoost cost model) search;
// keeping every trial in an append-only JSON Lines log that a re-run resumes from; and
// dispatching the best recorded config per (workload key, target).
// What it is not: a code generator (codegen/ compiles kernels) or a benchmark suite
// (bench/ compares implementations).
#pragma once

#include "tune/measure.hpp"
#include "tune/records.hpp"
#include "tune/tuner.hpp"
