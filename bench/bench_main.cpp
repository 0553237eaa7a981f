// One executable over every kernel family; each bench_<family>.cpp registers its own cases.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
