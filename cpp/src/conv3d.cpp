// Conv3D and Conv3DTranspose as im2col + GEMM (im2col.hpp's driver, as conv2d). Both are correlations over
// patch rows: Conv3D's of the padded input; Conv3DTranspose's of the input with stride - 1 zeros
// inserted between cells (never materialised) and a flipped kernel, run one output phase at a time
// so that the products skip the inserted zeros (correlate_by_phase).
#include "nnkern/conv3d.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "im2col.hpp"
#include "nnkern/threads.hpp"
#include "parallel.hpp"

namespace nnkern {

namespace {

using Axes = Window3D::Axes;

// The correlation both layers run. Output voxel o's tap k reads position
// q = o * stride - pad + k * dilation (per axis) of the input with in_step - 1 zeros between cells:
// cell q / in_step when q is a multiple of in_step inside the input, zero otherwise.
struct Correlation {
  index_t batch = 0;
  Axes in{}, out{}, kernel{}, stride{}, dilation{}, pad{}, in_step{};
  index_t channels = 0;      // of an input cell
  index_t groups = 1;
  index_t out_channels = 0;  // columns of the kernel matrix; group g owns out_channels / groups of them

  index_t group_in() const { return channels / groups; }
  index_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
  index_t depth() const { return taps() * group_in(); }  // rows of the kernel matrix (tap, channel)
  index_t in_voxels() const { return in[0] * in[1] * in[2]; }
  index_t out_voxels() const { return out[0] * out[1] * out[2]; }
  // 1x1x1, stride 1, unpadded, no zeros inserted: the input itself is the patch matrix.
  bool pointwise() const {
    for (int a = 0; a < 3; ++a)
      if (kernel[a] != 1 || stride[a] != 1 || pad[a] != 0 || in_step[a] != 1 || out[a] != in[a]) return false;
    return true;
  }
  // The input cell tap position q reads on `axis`, or -1 for a zero (padding or an inserted zero).
  index_t cell(index_t q, int axis) const {
    if (q < 0) return -1;
    const index_t step = in_step[axis];
    if (step != 1 && q % step != 0) return -1;
    const index_t i = q / step;
    return i < in[axis] ? i : -1;
  }
};

// im2col: rows [p0, p1) of one image's patch matrix for group g; row p is output voxel p (in
// (d, h, w) order), its columns the taps in the kernel's (kd, kh, kw, group_in) order.
void gather_patches(const float* image, const Correlation& c, index_t g, index_t p0, index_t p1, float* patch) {
  const index_t cg = c.group_in(), C = c.channels, W = c.in[2], H = c.in[1];
  const index_t KD = c.kernel[0], KH = c.kernel[1], KW = c.kernel[2];
  const index_t row_span = KW * cg, depth = c.depth();
  // A kernel row's taps are adjacent in x: one copy (one group, no dilation or inserted zeros along x).
  const bool adjacent_taps = c.groups == 1 && c.dilation[2] == 1 && c.in_step[2] == 1;
  const float* channels = image + g * cg;
  index_t od = p0 / (c.out[1] * c.out[2]), oh = p0 / c.out[2] % c.out[1], ow = p0 % c.out[2];
  for (index_t p = p0; p < p1; ++p) {
    float* dst = patch + (p - p0) * depth;
    const index_t qd0 = od * c.stride[0] - c.pad[0], qh0 = oh * c.stride[1] - c.pad[1];
    const index_t qw0 = ow * c.stride[2] - c.pad[2];
    for (index_t a = 0; a < KD; ++a) {
      const index_t id = c.cell(qd0 + a * c.dilation[0], 0);
      for (index_t b = 0; b < KH; ++b, dst += row_span) {
        const index_t ih = id < 0 ? -1 : c.cell(qh0 + b * c.dilation[1], 1);
        if (ih < 0) {
          std::fill_n(dst, row_span, 0.0f);
          continue;
        }
        const float* src_row = channels + (id * H + ih) * W * C;
        if (adjacent_taps && qw0 >= 0 && qw0 + KW <= W) {
          std::memcpy(dst, src_row + qw0 * C, row_span * sizeof(float));
          continue;
        }
        for (index_t k = 0; k < KW; ++k) {
          const index_t iw = c.cell(qw0 + k * c.dilation[2], 2);
          float* d = dst + k * cg;
          if (iw < 0)
            std::fill_n(d, cg, 0.0f);
          else
            std::memcpy(d, src_row + iw * C, cg * sizeof(float));
        }
      }
    }
    if (++ow == c.out[2]) {
      ow = 0;
      if (++oh == c.out[1]) {
        oh = 0;
        ++od;
      }
    }
  }
}

// y = act(patches . kernel + bias) over tiles of output voxels (im2col.hpp); `kernel` is the
// (depth, out_channels) kernel matrix.
void correlate(const float* x, const float* kernel, const float* bias, float* y, const Correlation& c,
               Activation act) {
  const index_t voxels = c.out_voxels(), C = c.out_channels, depth = c.depth();
  if (c.batch == 0 || voxels == 0 || C == 0) return;
  if (depth == 0) {  // no input channels: the output is the bias alone
    std::fill_n(y, c.batch * voxels * C, 0.0f);
    bias_activation(y, c.batch * voxels, C, bias, act);
    return;
  }
  detail::Im2colProblem p;
  p.batch = c.batch;
  p.out_pixels = voxels;
  p.in_channels = c.channels;
  p.image_floats = c.in_voxels() * c.channels;
  p.groups = c.groups;
  p.group_in = c.group_in();
  p.depth = depth;
  p.out_channels = C;
  p.pointwise = c.pointwise();
  detail::im2col_conv(x, kernel, bias, nullptr, y, p, act, threads_for_work(2.0 * c.batch * voxels * depth * C),
                      [&](const float* image, index_t g, index_t p0, index_t p1, float* patch) {
                        gather_patches(image, c, g, p0, p1, patch);
                      });
}

// A correlation over an input with in_step - 1 zeros between cells (no dilation) as one zero-free
// correlation per output phase: on each axis the outputs o = r + in_step * j of phase r read only the
// taps k = k0 + in_step * m with k0 = (pad - r) mod in_step, at input cell j + m + (r - pad + k0) / in_step.
// Each phase runs correlate() (its own shape-fixed tiles) into a scratch array scattered into y, so the
// GEMMs skip the inserted zeros (in 3-D with stride 2, 7 of every 8 patch entries).
void correlate_by_phase(const float* x, const float* matrix, const float* bias, float* y, const Correlation& c,
                        Activation act) {
  const index_t Ci = c.channels, Co = c.out_channels;
  std::vector<float> sub_matrix, sub_y;
  Axes r{};
  for (r[0] = 0; r[0] < c.in_step[0]; ++r[0])
    for (r[1] = 0; r[1] < c.in_step[1]; ++r[1])
      for (r[2] = 0; r[2] < c.in_step[2]; ++r[2]) {
        Correlation p = c;
        p.in_step = {1, 1, 1};
        Axes k0{};
        for (int a = 0; a < 3; ++a) {
          const index_t s = c.in_step[a];
          p.out[a] = c.out[a] > r[a] ? (c.out[a] - r[a] + s - 1) / s : 0;
          k0[a] = ((c.pad[a] - r[a]) % s + s) % s;
          p.kernel[a] = k0[a] < c.kernel[a] ? (c.kernel[a] - k0[a] + s - 1) / s : 0;
          p.pad[a] = -(r[a] - c.pad[a] + k0[a]) / s;  // an exact multiple of s
        }
        if (p.out_voxels() == 0) continue;
        // The phase's kernel rows: taps k0 + in_step * m of the full (flipped) kernel matrix.
        sub_matrix.resize(static_cast<size_t>(p.taps() * Ci * Co));
        float* dst = sub_matrix.data();
        for (index_t a = 0; a < p.kernel[0]; ++a)
          for (index_t b = 0; b < p.kernel[1]; ++b)
            for (index_t k = 0; k < p.kernel[2]; ++k, dst += Ci * Co) {
              const index_t tap = ((k0[0] + a * c.in_step[0]) * c.kernel[1] + k0[1] + b * c.in_step[1]) * c.kernel[2] +
                                  k0[2] + k * c.in_step[2];
              std::memcpy(dst, matrix + tap * Ci * Co, Ci * Co * sizeof(float));
            }
        sub_y.resize(static_cast<size_t>(p.batch * p.out_voxels() * Co));
        correlate(x, sub_matrix.data(), bias, sub_y.data(), p, act);
        const float* src = sub_y.data();
        for (index_t n = 0; n < c.batch; ++n)
          for (index_t d = 0; d < p.out[0]; ++d)
            for (index_t h = 0; h < p.out[1]; ++h) {
              float* row = y + (((n * c.out[0] + r[0] + d * c.in_step[0]) * c.out[1] + r[1] + h * c.in_step[1]) *
                                c.out[2] + r[2]) * Co;
              for (index_t w = 0; w < p.out[2]; ++w, src += Co)
                std::memcpy(row + w * c.in_step[2] * Co, src, Co * sizeof(float));
            }
      }
}

}  // namespace

void validate(const Conv3DShape& s) { validate_conv(s, "conv3d"); }

Conv3DShape conv3d_shape(index_t batch, const Axes& in, index_t in_channels, const Axes& kernel, index_t out_channels,
                         const Axes& strides, const Axes& dilation, Padding padding, index_t groups) {
  Conv3DShape s;
  set_conv_shape<3>(s, {batch, in, kernel, strides, dilation}, in_channels, out_channels, groups, padding, "conv3d");
  return s;
}

void conv3d_ndhwc(const float* x, const float* kernel, const float* bias, float* y, const Conv3DShape& s,
                  Activation act) {
  detail::begin_call();
  Correlation c;
  c.batch = s.batch;
  c.in = s.in;
  for (int a = 0; a < 3; ++a) c.out[a] = s.out(a);
  c.kernel = s.kernel;
  c.stride = s.stride;
  c.dilation = s.dilation;
  c.pad = s.pad_before;
  c.in_step = {1, 1, 1};
  c.channels = s.in_channels;
  c.groups = s.groups;
  c.out_channels = s.out_channels;
  correlate(x, kernel, bias, y, c, act);  // Keras's kernel is already the (tap, channel) x filters matrix
}

void validate(const Conv3DTransposeShape& s) {
  validate<3>(s, "conv3d_transpose");
  require(s.in_channels >= 0 && s.out_channels >= 0, "conv3d_transpose: channels must be >= 0");
  for (int a = 0; a < 3; ++a) {
    require(s.out[a] >= 1, "conv3d_transpose: the output size " + axes_str(s.out) + " is empty");
    require(s.pad_before[a] < s.dilated_kernel(a), "conv3d_transpose: the crop " + axes_str(s.pad_before) +
                                                       " must be smaller than the dilated kernel");
  }
  const index_t in_voxels = checked_product({s.in[0], s.in[1], s.in[2]}, "conv3d_transpose input");
  checked_product({s.batch, in_voxels, s.in_channels}, "conv3d_transpose input");
  checked_product({s.kernel[0], s.kernel[1], s.kernel[2], s.in_channels, s.out_channels}, "conv3d_transpose kernel");
  const index_t out_voxels = checked_product({s.out[0], s.out[1], s.out[2]}, "conv3d_transpose output");
  checked_product({s.batch, out_voxels, s.out_channels}, "conv3d_transpose output");
}

Conv3DTransposeShape conv3d_transpose_shape(index_t batch, const Axes& in, index_t in_channels, const Axes& kernel,
                                            index_t out_channels, const Axes& strides, const Axes& dilation,
                                            Padding padding, const Axes& output_padding) {
  Conv3DTransposeShape s;
  static_cast<Window3D&>(s) = {batch, in, kernel, strides, dilation};
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  validate<3>(s, "conv3d_transpose");  // before the length rules compute with it
  for (int a = 0; a < 3; ++a) {
    s.out[a] = conv_transpose_output_length(in[a], kernel[a], strides[a], dilation[a], padding, output_padding[a]);
    s.pad_before[a] = conv_transpose_pad_before(in[a], kernel[a], strides[a], dilation[a], padding, output_padding[a]);
  }
  validate(s);
  return s;
}

void conv3d_transpose_ndhwc(const float* x, const float* kernel, const float* bias, float* y,
                            const Conv3DTransposeShape& s, Activation act) {
  detail::begin_call();
  if (s.batch == 0 || s.out_voxels() == 0 || s.out_channels == 0) return;
  // The correlation's kernel matrix: row (flipped tap, in channel), column out channel, i.e. Keras's
  // (kd, kh, kw, out, in) kernel with the taps reversed and the last two axes swapped.
  const index_t taps = s.kernel[0] * s.kernel[1] * s.kernel[2], Ci = s.in_channels, Co = s.out_channels;
  std::vector<float> matrix(static_cast<size_t>(taps * Ci * Co));
  for (index_t t = 0; t < taps; ++t) {
    const float* src = kernel + (taps - 1 - t) * Co * Ci;
    float* dst = matrix.data() + t * Ci * Co;
    for (index_t o = 0; o < Co; ++o)
      for (index_t i = 0; i < Ci; ++i) dst[i * Co + o] = src[o * Ci + i];
  }
  Correlation c;
  c.batch = s.batch;
  c.in = s.in;
  c.out = s.out;
  c.kernel = s.kernel;
  c.stride = {1, 1, 1};
  c.dilation = s.dilation;
  c.in_step = s.stride;
  // Full-result cell f = o + crop; the flipped tap k' reads position f - (dilated_kernel - 1) + k' * dilation.
  for (int a = 0; a < 3; ++a) c.pad[a] = s.dilated_kernel(a) - 1 - s.pad_before[a];
  c.channels = Ci;
  c.groups = 1;
  c.out_channels = Co;
  const bool strided = c.in_step != Axes{1, 1, 1};
  if (strided && c.dilation == Axes{1, 1, 1}) return correlate_by_phase(x, matrix.data(), bias, y, c, act);
  correlate(x, matrix.data(), bias, y, c, act);
}

}  // namespace nnkern
