// The im2col convolution driver conv2d and conv3d share: output pixels (or voxels) split into tiles
// fixed by the shape, each tile's patch rows gathered into a per-thread scratch tile, multiplied by
// the kernel matrix, then given bias + activation while still in cache. The kernels differ only in
// how a patch row is gathered (the callback).
#pragma once
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <memory>

#include "nnkern/activation.hpp"
#include "nnkern/common.hpp"
#include "parallel.hpp"

namespace nnkern::detail {

// Bytes of a tile's patch rows: small enough to stay in this core's L2 (1 MiB here) between being
// written and being packed by the GEMM, large enough that each GEMM runs near full speed
// (measured on 3x3 64->64 and 1x1 64->256: 128-768 KiB alike, 16-64 KiB and whole-batch GEMMs slower).
constexpr index_t kIm2colTileBytes = 384 * 1024;
// At least this many tiles in a call (where pixels allow), for threads to share.
constexpr index_t kIm2colMinTasks = 8;
// Fewest pixel rows in a tile (where the image has them): each tile's GEMM packs the kernel again, so
// tiles of a few rows of a deep layer spend more time packing than multiplying (ResNet50's 3x3 512 -> 512
// on 7x7 as tiles of 13 rows: 14 GFLOP/s, against 98 for the one product).
constexpr index_t kIm2colMinTileRows = 128;

// y[i] += residual[i] for n values: a residual connection's sum, added while the tile is in cache.
inline void add_residual(float* y, const float* residual, index_t n) {
  Eigen::Map<Eigen::ArrayXf>(y, n) += Eigen::Map<const Eigen::ArrayXf>(residual, n);
}

// A convolution as a product: patch rows (one per output pixel, `depth` = taps * group_in columns in
// the kernel's (tap, channel) order) times the kernel matrix (depth, out_channels), per group.
struct Im2colProblem {
  index_t batch = 0;
  index_t out_pixels = 0;    // output pixels of one image
  index_t in_channels = 0;   // floats of one input pixel
  index_t image_floats = 0;  // floats of one input image
  index_t groups = 1;
  index_t group_in = 0;  // input channels of a group
  index_t depth = 0;     // columns of a patch row
  index_t out_channels = 0;
  // 1x1, stride 1, unpadded (output pixels are the input pixels): the input itself is the patch
  // matrix, so the whole batch is one image of batch * pixels rows and no patch is gathered.
  bool pointwise = false;
};

// y = act(patches . kernel + bias [+ residual]), `residual` (may be null) shaped as y; it may be y itself
// (the sum then accumulates onto it in place), and otherwise shares no memory with y. gather(image, g, p0, p1, patch) writes the patch rows [p0, p1) of
// group g of one image (its first input float at `image`) into `patch` (row stride p.depth).
// Tiles depend on the problem only, never the thread count, so every pixel's sums are the same on
// any number of threads; one task (a few pixels, deep channels) lets the threads share its products.
// `packed_kernel`: the kernel matrix packed by pack_product_rhs (one group only), or null.
template <class Gather>
void im2col_conv(const float* x, const float* kernel, const float* bias, const float* residual, float* y,
                 const Im2colProblem& p, Activation act, int threads, Gather&& gather,
                 const float* packed_kernel = nullptr) {
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
  using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
  const index_t images = p.pointwise ? 1 : p.batch;
  const index_t pixels = p.pointwise ? p.batch * p.out_pixels : p.out_pixels;
  const index_t C = p.out_channels, depth = p.depth, group_out = p.out_channels / p.groups;
  const bool onto_residual = residual != nullptr && residual == y;  // the products accumulate onto it
  // Bytes per pixel that a tile keeps hot: its patch row; when pointwise, its rows of x and y.
  const index_t row_bytes = (p.pointwise ? p.in_channels + C : depth) * static_cast<index_t>(sizeof(float));
  index_t tile = std::clamp<index_t>(kIm2colTileBytes / row_bytes, std::min(kIm2colMinTileRows, pixels), pixels);
  index_t tiles_per_image = (pixels + tile - 1) / tile;
  // Enough tasks to share out when the images are few (tiles stay >= kIm2colMinTileRows pixels).
  if (images * tiles_per_image < kIm2colMinTasks) {
    const index_t want = (kIm2colMinTasks + images - 1) / images;
    tiles_per_image = std::max(tiles_per_image, std::min(want, pixels / kIm2colMinTileRows));
  }
  tile = (pixels + tiles_per_image - 1) / tiles_per_image;  // even tiles
  tiles_per_image = (pixels + tile - 1) / tile;
  const index_t tasks = images * tiles_per_image;
  const int workers = tasks == 1 ? 1 : static_cast<int>(std::min<index_t>(threads, tasks));
  const int product_threads = tasks == 1 ? threads : 1;
  // Once per call and uninitialised: every patch entry is written before it is read.
  std::unique_ptr<float[]> scratch(p.pointwise ? nullptr : new float[static_cast<size_t>(workers * tile * depth)]);

  // y rows = lhs (rows x depth, row stride lhs_stride) . group g's columns of the kernel matrix.
  const auto multiply_group = [&](const float* lhs, index_t lhs_stride, index_t rows, index_t g, float* y_rows) {
    ConstStridedMap a(lhs, rows, depth, Eigen::OuterStride<>(lhs_stride));
    ConstStridedMap w(kernel + g * group_out, depth, group_out, Eigen::OuterStride<>(C));
    StridedMap out(y_rows + g * group_out, rows, group_out, Eigen::OuterStride<>(C));
    tiled_product(a, w, out, onto_residual, product_threads, p.groups == 1 ? packed_kernel : nullptr);
  };
  const auto run_task = [&](index_t task, float* patch) {
    const index_t n = task / tiles_per_image, p0 = (task % tiles_per_image) * tile;
    const index_t p1 = std::min(pixels, p0 + tile);
    float* y_tile = y + (n * pixels + p0) * C;
    for (index_t g = 0; g < p.groups; ++g) {
      if (p.pointwise) {
        multiply_group(x + p0 * p.in_channels + g * p.group_in, p.in_channels, p1 - p0, g, y_tile);
      } else {
        gather(x + n * p.image_floats, g, p0, p1, patch);
        multiply_group(patch, depth, p1 - p0, g, y_tile);
      }
    }
    if (residual && !onto_residual) add_residual(y_tile, residual + (n * pixels + p0) * C, (p1 - p0) * C);
    bias_activation(y_tile, p1 - p0, C, bias, act);
  };

  run_parallel(workers, [&] {
    float* patch = p.pointwise ? nullptr : scratch.get() + omp_get_thread_num() * tile * depth;
// Dynamic: a thread held up (its core busy with another process) leaves its tiles to the others.
#pragma omp for schedule(dynamic)
    for (index_t t = 0; t < tasks; ++t) run_task(t, patch);
  });
}

}  // namespace nnkern::detail
