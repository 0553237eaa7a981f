// nnkern._core.attention: the scaled dot-product attention core of MultiHeadAttention and Attention.
// Every argument is checked here before any pointer is touched; the mask is read through its own
// strides, so a broadcast view (e.g. a (batch, 1, kv_len) padding mask) is never expanded, and query, key
// and value may be views with a longer time step (slices of one fused projection), read in place.
#include "array.hpp"
#include "nnkern/attention.hpp"

namespace py = pybind11;
using namespace nnkern;
using namespace nnkern::py_bind;

namespace {

constexpr const char* kFn = "attention";

MaskedScores masked_from_name(const std::string& name) {
  if (name == "zeroed") return MaskedScores::Zeroed;
  if (name == "uniform") return MaskedScores::Uniform;
  if (name == "shifted") return MaskedScores::Shifted;
  throw py::value_error(std::string(kFn) + ": 'masked' must be 'zeroed', 'uniform' or 'shifted', got '" + name + "'");
}

// The mask's strides over (batch, heads, q_len, kv_len), after numpy's right-aligned broadcasting.
AttentionMask mask_view(const py::array& m, const AttentionShape& s) {
  if (m.dtype().kind() != 'b')
    throw py::type_error(std::string(kFn) + ": 'mask' must be a bool array, got dtype " + std::string(py::str(m.dtype())));
  if (m.ndim() > 4)
    throw py::value_error(std::string(kFn) + ": 'mask' must have at most 4 axes (batch, heads, q_len, kv_len), got "
                          "shape " + shape_str(m));
  const index_t full[4] = {s.batch, s.heads, s.q_len, s.kv_len};
  index_t strides[4] = {0, 0, 0, 0};
  const int offset = 4 - static_cast<int>(m.ndim());
  for (int a = 0; a < m.ndim(); ++a) {
    const index_t dim = m.shape(a), want = full[offset + a];
    if (dim != 1 && dim != want)
      throw py::value_error(std::string(kFn) + ": 'mask' of shape " + shape_str(m) + " does not broadcast to " +
                            shape_str(std::vector<index_t>(full, full + 4)) + " (batch, heads, q_len, kv_len)");
    strides[offset + a] = dim == 1 ? 0 : m.strides(a);
  }
  return {static_cast<const std::uint8_t*>(m.data()), strides[0], strides[1], strides[2], strides[3]};
}

// q, k or v as a float32 array the kernel reads in place, and its step (floats from one time step to the
// next): a view whose (heads, dim) block is C-contiguous and whose batch and time axes advance in one
// uniform step (a column slice of a fused projection, reshaped) is used as it is; anything else is
// converted to a C-contiguous float32 array (step heads * dim).
std::pair<py::array, index_t> step_view(const py::object& obj, const char* arg) {
  if (py::isinstance<py::array>(obj)) {
    auto a = py::reinterpret_borrow<py::array>(obj);
    constexpr py::ssize_t f = sizeof(float);
    if (a.dtype().equal(py::dtype::of<float>()) && (a.flags() & kNpyAligned) && a.ndim() == 4 && a.size() > 0 &&
        a.strides(3) == f && a.strides(2) == a.shape(3) * f && a.strides(1) % f == 0 &&
        a.strides(1) >= a.shape(2) * a.shape(3) * f && a.strides(0) == a.shape(1) * a.strides(1))
      return {a, a.strides(1) / f};
  }
  FloatArray c = as_float32(obj, kFn, arg);
  return {c, c.ndim() == 4 ? c.shape(2) * c.shape(3) : 0};
}

py::object attention_binding(const py::object& q_in, const py::object& k_in, const py::object& v_in, const py::object& mask_in,
                     bool causal, double scale, const std::string& masked_in, bool return_scores,
                     const py::object& out) {
  const MaskedScores masked = masked_from_name(masked_in);
  auto [q, q_step] = step_view(q_in, "query");
  auto [k, k_step] = step_view(k_in, "key");
  auto [v, v_step] = step_view(v_in, "value");
  require_ndim(q, 4, kFn, "query", "(batch, q_len, heads, key_dim)");
  require_ndim(k, 4, kFn, "key", "(batch, kv_len, heads, key_dim)");
  require_ndim(v, 4, kFn, "value", "(batch, kv_len, heads, value_dim)");
  AttentionShape s;
  s.batch = q.shape(0);
  s.q_len = q.shape(1);
  s.heads = q.shape(2);
  s.key_dim = q.shape(3);
  s.kv_len = k.shape(1);
  s.value_dim = v.shape(3);
  s.q_step = q_step;
  s.k_step = k_step;
  s.v_step = v_step;
  require_shape(k, {s.batch, s.kv_len, s.heads, s.key_dim}, kFn, "key");
  require_shape(v, {s.batch, s.kv_len, s.heads, s.value_dim}, kFn, "value");
  if (s.heads < 1) throw py::value_error(std::string(kFn) + ": 'query' must have at least one head, got shape " + shape_str(q));
  naming(kFn, [&] { validate(s); });
  py::array mask_array;
  AttentionMask mask;
  if (!mask_in.is_none()) {
    mask_array = py::array::ensure(mask_in);
    if (!mask_array) {
      PyErr_Clear();
      throw py::type_error(std::string(kFn) + ": 'mask' must be a bool array, got " + type_name(mask_in));
    }
    mask = mask_view(mask_array, s);
  }
  FloatArray y = output_array(out, {s.batch, s.q_len, s.heads, s.value_dim}, kFn, {{&q, "query"}, {&k, "key"}, {&v, "value"}});
  std::optional<FloatArray> scores;
  if (return_scores) scores = new_float_array({s.batch, s.heads, s.q_len, s.kv_len});
  const auto *qp = static_cast<const float*>(q.data()), *kp = static_cast<const float*>(k.data()),
             *vp = static_cast<const float*>(v.data());
  float* yp = y.mutable_data();
  float* sp = scores ? scores->mutable_data() : nullptr;
  {
    py::gil_scoped_release nogil;
    nnkern::attention(qp, kp, vp, mask, causal, static_cast<float>(scale), masked, yp, sp, s);
  }
  py::object result = out.is_none() ? py::object(std::move(y)) : out;
  if (return_scores) return py::make_tuple(result, *scores);
  return result;
}

}  // namespace

void register_attention(py::module_& m) {
  m.def("attention", &attention_binding, py::arg("query"), py::arg("key"), py::arg("value"), py::arg("mask") = py::none(),
        py::arg("causal") = false, py::arg("scale") = 1.0, py::arg("masked") = "zeroed",
        py::arg("return_scores") = false, py::arg("out") = py::none(),
        "Scaled dot-product attention per batch and head: softmax(scale * query . key^T, masked) . value. "
        "query (batch, q_len, heads, key_dim), key (batch, kv_len, heads, key_dim), value (batch, kv_len, heads, "
        "value_dim), each C-contiguous, or a view with C-contiguous (heads, dim) blocks (read in place); mask a bool array broadcastable to (batch, heads, q_len, kv_len) (True keeps a score); causal "
        "also masks key steps after the query step. masked: what a masked score becomes ('zeroed': Keras's "
        "Softmax layer, fully masked rows all 0; 'uniform': ops.dot_product_attention, fully masked rows uniform; "
        "'shifted': keras.layers.Attention, score - 1e9). Returns the output (batch, q_len, heads, value_dim), "
        "written into `out` if given, and with return_scores also the weights (batch, heads, q_len, kv_len).");
}
