// Large output arrays come from a cache of freed blocks instead of malloc. glibc hands a block above
// its mmap threshold (at most 32 MiB) back to the kernel when it is freed, and trims the heap's free
// top, so each call of a model on a batch faulted its intermediates' pages in again, zeroed by the
// kernel: MobileNetV2 on a batch of 8 took ~7,000 page faults and ~15 ms of system time per predict.
// Blocks freed here stay mapped and are handed out again for a request of about their size.
// They are 64-byte aligned (numpy's own are 16-byte aligned): the activations in the kernels' epilogues
// run their vector path in place only on aligned rows and copy unaligned ones through a buffer
// (activation.cpp).
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>

#include "array.hpp"

namespace nnkern::py_bind {
namespace {

constexpr size_t kMinCachedBytes = size_t(16) << 10;  // smaller outputs: numpy's own allocation
constexpr size_t kBlockAlign = 64;
constexpr size_t kMaxIdleBytes = size_t(256) << 20;  // cached, unused blocks kept at most

struct IdleBlock {
  void* data;
  unsigned long long freed;  // when given back (a count): the most recent is the likeliest still in cache
};

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, IdleBlock> idle;  // block size -> block
  size_t idle_bytes = 0;
  unsigned long long clock = 0;
};

// Never destroyed: arrays alive at interpreter exit give their blocks back after static destructors ran.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

// Names the capsules that own cached blocks, so sole_output_in can tell a kernel's output from other
// capsule-backed arrays (a DLPack import, another extension's buffer) that something else may write or read.
constexpr const char* kBlockCapsuleName = "nnkern.output_block";

struct Block {
  void* data;
  size_t bytes;
};

void give_back(void* p) {
  auto* block = static_cast<Block*>(p);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.idle_bytes + block->bytes <= kMaxIdleBytes) {
      c.idle.emplace(block->bytes, IdleBlock{block->data, ++c.clock});
      c.idle_bytes += block->bytes;
      block->data = nullptr;
    }
  }
  std::free(block->data);
  delete block;
}

// A block of at least `bytes` (and at most 1.5 times as many, so a small request does not take a
// large block): the most recently given back of the cached ones, else a new one. The most recent one's
// lines are the likeliest to be in cache still: writing an output over cold lines first reads them
// from memory (MobileNetV2's 56x56x144 expand conv: 238 us into the block just freed, 327 us into
// one freed three outputs before).
Block* take(size_t bytes) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto best = c.idle.end();
    for (auto it = c.idle.lower_bound(bytes); it != c.idle.end() && it->first <= bytes + bytes / 2; ++it)
      if (best == c.idle.end() || it->second.freed > best->second.freed) best = it;
    if (best != c.idle.end()) {
      auto* block = new Block{best->second.data, best->first};
      c.idle_bytes -= best->first;
      c.idle.erase(best);
      return block;
    }
  }
  const size_t rounded = (bytes + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  void* data = std::aligned_alloc(kBlockAlign, rounded);
  if (!data) throw std::bad_alloc();
  return new Block{data, rounded};
}

}  // namespace

FloatArray new_float_array(const std::vector<index_t>& shape) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  size_t count = 1;
  for (index_t d : shape) count *= static_cast<size_t>(d);
  const size_t bytes = count * sizeof(float);
  if (bytes < kMinCachedBytes) return FloatArray(s);
  Block* block = take(bytes);
  py::capsule owner(block, kBlockCapsuleName, &give_back);
  return FloatArray(s, static_cast<float*>(block->data), owner);
}

bool sole_output_in(const py::list& values, py::ssize_t index) {
  if (index < 0 || index >= static_cast<py::ssize_t>(values.size())) throw py::index_error("sole_output_in: index out of range");
  PyObject* item = PyList_GET_ITEM(values.ptr(), index);  // borrowed: the list's own reference
  if (Py_REFCNT(item) != 1 || !py::isinstance<py::array>(item)) return false;
  auto a = py::reinterpret_borrow<py::array>(item);
  // The array must be the block's own (views of it hold the array, not the capsule, but a numpy that
  // collapsed them onto the capsule would show here as more references to it).
  PyObject* base = py::detail::array_proxy(item)->base;  // borrowed
  return base != nullptr && PyCapsule_IsValid(base, kBlockCapsuleName) && Py_REFCNT(base) == 1 &&
         a.writeable() && (a.flags() & py::array::c_style) && a.dtype().equal(py::dtype::of<float>());
}

size_t release_cached_outputs() {
  Cache& c = cache();
  std::multimap<size_t, IdleBlock> idle;
  size_t bytes;
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    idle.swap(c.idle);
    bytes = c.idle_bytes;
    c.idle_bytes = 0;
  }
  for (auto& [size, block] : idle) std::free(block.data);
  return bytes;
}

size_t cached_output_bytes() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().idle_bytes;
}

}  // namespace nnkern::py_bind
