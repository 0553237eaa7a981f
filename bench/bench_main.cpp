// One executable over every kernel family; each bench_<family>.cpp registers its own cases.
// NNKERN_LOAD_AWARE=0 measures the threads asked for even while other processes keep cores busy
// (by default threads_for_work leaves busy cores out, and "threads:2" may then run on one).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>

#include "nnkern/threads.hpp"

int main(int argc, char** argv) {
  if (const char* aware = std::getenv("NNKERN_LOAD_AWARE"); aware && std::strcmp(aware, "0") == 0)
    nnkern::set_load_aware(false);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
