#include "nnkern/threads.hpp"

#include "parallel.hpp"

#include <omp.h>

#include <dirent.h>
#include <pthread.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>
#include <stdexcept>
#include <string>

namespace nnkern {

namespace {

// A positive integer from the environment variable `name` (OMP_NUM_THREADS may be a list for nested
// levels, "4,2": its first value), or 0 when unset or not one.
int threads_from_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v, &end, 10);
  while (*end == ' ') ++end;
  if (errno || end == v || n < 1 || n > 1 << 16 || (*end && *end != ',')) return 0;
  return static_cast<int>(n);
}

int default_threads() {
  for (const char* name : {"NNKERN_NUM_THREADS", "OMP_NUM_THREADS"})
    if (const int n = threads_from_env(name)) return n;
  return omp_get_num_procs();
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && (!std::strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcasecmp(v, "yes"));
}

std::atomic<int> g_threads{0};  // 0: not chosen yet -> default_threads()

// OpenMP (libgomp) keeps its workers between regions; a forked child inherits the pool's
// bookkeeping but not the threads, so its first team would wait for them forever. As PyTorch does,
// a child forked after any team ran stays on one thread (a team of one never touches the pool).
std::atomic<bool> g_workers_started{false};
std::atomic<bool> g_forked_single{false};
void on_fork_child() {
  if (g_workers_started.load()) g_forked_single = true;
}
const int g_atfork_registered = pthread_atfork(nullptr, nullptr, on_fork_child);

thread_local int t_call_threads = 1;
thread_local int t_thread_limit = 0;  // 0: no limit

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("number of threads must be >= 1, got " + std::to_string(n));
  g_threads = n;
}

int get_num_threads() {
  int n = g_threads.load();
  if (n == 0) {
    const int chosen = default_threads();
    g_threads.compare_exchange_strong(n, chosen);  // n: another thread's choice if it came first
    n = g_threads.load();
  }
  return n;
}

void set_thread_limit(int n) {
  if (n < 0) throw std::invalid_argument("thread limit must be >= 0 (0: no limit), got " + std::to_string(n));
  t_thread_limit = n;
}

int thread_limit() { return t_thread_limit; }

int last_call_threads() { return t_call_threads; }
bool forked_single_threaded() { return g_forked_single; }

namespace detail {
void begin_call() { t_call_threads = 1; }
void note_workers_started() { g_workers_started.store(true, std::memory_order_relaxed); }
void note_team(int size) { t_call_threads = std::max(t_call_threads, size); }
}  // namespace detail

namespace {

std::atomic<bool> g_load_aware{env_flag("NNKERN_LOAD_AWARE")};

// Thread ids of this process's OpenMP workers (and of the threads that call the kernels). Other
// threads of this process (numpy's OpenBLAS pool, ONNX Runtime's, TensorFlow's) busy-wait after their
// own calls and take a core just as another process would: measured here, a 2-thread GEMM right after
// a numpy matmul took 37 ms instead of 3 ms. So only these are not counted as load.
std::mutex g_ours_mutex;
std::vector<long> g_ours;

long current_tid() { return static_cast<long>(syscall(SYS_gettid)); }

void note_ours(long tid) {
  std::lock_guard<std::mutex> lock(g_ours_mutex);
  if (std::find(g_ours.begin(), g_ours.end(), tid) != g_ours.end()) return;
  if (g_ours.size() >= 256) {  // a server starting a thread per request: forget the ended ones
    g_ours.erase(std::remove_if(g_ours.begin(), g_ours.end(),
                                [](long t) {
                                  return access(("/proc/self/task/" + std::to_string(t)).c_str(), F_OK) != 0;
                                }),
                 g_ours.end());
  }
  g_ours.push_back(tid);
}

// OpenMP keeps one pool of workers per calling thread; a region of n threads run once from each
// calling thread names the workers its later regions (ours and Eigen's GEMM) use.
void note_own_workers(int n) {
  thread_local int noted = 1;
  if (noted >= n) return;
  detail::note_workers_started();
#pragma omp parallel num_threads(n)
  note_ours(current_tid());
  noted = n;
}

// Threads in state R (running or runnable) in the whole system, from /proc/loadavg's "R/T" field,
// minus the ones that are ours (OpenMP workers spin, and count, between parallel regions).
// -1 where /proc cannot tell (not Linux).
int others_runnable() {
  int all = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    double l1, l5, l15;
    int total;
    if (std::fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &all, &total) != 5) all = -1;
    std::fclose(f);
  }
  if (all < 0) return -1;
  std::vector<long> ours;
  {
    std::lock_guard<std::mutex> lock(g_ours_mutex);
    ours = g_ours;
  }
  ours.push_back(current_tid());
  int own = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      const long tid = std::strtol(e->d_name, nullptr, 10);
      if (std::find(ours.begin(), ours.end(), tid) == ours.end()) continue;
      const std::string path = std::string("/proc/self/task/") + e->d_name + "/stat";
      if (FILE* f = std::fopen(path.c_str(), "r")) {
        char buf[512];
        const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
        std::fclose(f);
        buf[n] = 0;
        const char* close = std::strrchr(buf, ')');  // the state follows the (command name)
        if (close && close[1] == ' ' && close[2] == 'R') ++own;
      }
    }
    closedir(dir);
  }
  return all > own ? all - own : 0;
}

// Cores not busy with other processes, refreshed at most every 50 ms (reading /proc costs 20 us
// warm, up to ~150 us cold; only calls big enough to consider threads, >= ~40 us of work, check).
// With OpenMP's spinning barriers a team whose second thread waits for a busy core runs several
// times slower than one thread (measured here: 3x to 14x under a parallel build), so a busy core
// is not used.
int free_cores(int cores) {
  using Clock = std::chrono::steady_clock;
  static std::atomic<Clock::rep> checked{0};
  static std::atomic<int> free_count{0};
  const Clock::rep now = Clock::now().time_since_epoch().count();
  const Clock::rep period = std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(50)).count();
  Clock::rep last = checked.load(std::memory_order_relaxed);
  if (last == 0 || now - last > period) {
    if (checked.compare_exchange_strong(last, now)) {
      // Against the whole system's processors: /proc/loadavg counts all of them, while `cores`
      // may be fewer (CPU affinity, containers).
      const int others = others_runnable();
      const int online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
      free_count = others < 0 || online < 1 ? cores : std::clamp(online - others, 1, cores);
    }
  }
  const int f = free_count.load(std::memory_order_relaxed);
  return f > 0 ? f : cores;
}

}  // namespace

void set_load_aware(bool on) { g_load_aware = on; }
bool load_aware() { return g_load_aware; }

int threads_for_work(double flops) {
  int n = get_num_threads();
  if (t_thread_limit > 0) n = std::min(n, t_thread_limit);
  if (n == 1 || flops < kMinParallelFlops || g_forked_single) return 1;
  if (g_load_aware) {
    note_own_workers(n);
    n = std::min(n, free_cores(omp_get_num_procs()));
  }
  const double fit = flops / kMinFlopsPerThread;
  return fit < n ? static_cast<int>(fit) : n;
}

int threads_for_bytes(double bytes) { return threads_for_work(kFlopsPerByte * bytes); }

}  // namespace nnkern
