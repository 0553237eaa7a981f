"""The formula each layer computes, for the title of ``explore.layer``'s figure (Keras's definitions,
channels last; ``act`` is the layer's activation)."""

_CONV = "y[i, o] = act(b[o] + Σ_k,c x[i·s + k·d − pad, c] · W[k, c, o])"
_CONV_T = "y[i·s + k·d − pad, o] += x[i, c] · W[k, o, c]   (then + b[o], act)"
_MAX = "y[i, c] = max_k x[i·s + k − pad, c]"
_AVG = "y[i, c] = mean_k x[i·s + k − pad, c]   (padded cells left out)"
_LSTM = ("i, f, o = σ(x·W + h·U + b) per gate;  c̃ = tanh(x·W_c + h·U_c + b_c);  "
         "c = f·c + i·c̃;  h = o·tanh(c)")

FORMULAS = {
    "Dense": "y = act(x · W + b)",
    "Activation": "y = act(x)",
    "Flatten": "y = x reshaped to (batch, -1), row by row",
    "Reshape": "y = x reshaped to target_shape, in row-major order",
    "Permute": "y = x with its axes permuted",
    "RepeatVector": "y[n, t, :] = x[n, :] for each of n repeats",
    "Concatenate": "y = [x₁, x₂, …] laid side by side along `axis`",
    "Add": "y = x₁ + x₂ + …",
    "Subtract": "y = x₁ − x₂",
    "Multiply": "y = x₁ · x₂ · … (element-wise)",
    "Average": "y = (x₁ + x₂ + …) / n",
    "Maximum": "y = max(x₁, x₂, …)",
    "Minimum": "y = min(x₁, x₂, …)",
    "Dot": "y = Σ x₁ · x₂ over `axes`",
    "Embedding": "y[…, :] = W[x[…], :]",
    "Conv1D": _CONV,
    "Conv2D": _CONV,
    "Conv1DTranspose": _CONV_T,
    "Conv2DTranspose": _CONV_T,
    "MaxPooling1D": _MAX,
    "MaxPooling2D": _MAX,
    "AveragePooling1D": _AVG,
    "AveragePooling2D": _AVG,
    "UpSampling1D": "y[i, c] = x[i // size, c]",
    "UpSampling2D": "y[i, j, c] = x[i // size₀, j // size₁, c]",
    "ZeroPadding2D": "y = x with zero rows / columns around it",
    "Cropping2D": "y = x with rows / columns cut off its borders",
    "GlobalAveragePooling2D": "y[c] = mean_ij x[i, j, c]",
    "GlobalMaxPooling2D": "y[c] = max_ij x[i, j, c]",
    "GlobalAveragePooling1D": "y[c] = mean_t x[t, c]",
    "GlobalMaxPooling1D": "y[c] = max_t x[t, c]",
    "LSTM": _LSTM,
    "Dropout": "y = x at inference",
    "MultiHeadAttention": "scores = softmax(Q·Kᵀ / √key_dim) per head;  y = (scores · V) · W_o",
}


def formula(layer):
    """The layer's formula, or ``y = ClassName(x)`` for a class without one here."""
    return FORMULAS.get(type(layer).__name__, f"y = {type(layer).__name__}(x)")
