"""The model architectures of gen_conv3d.py, written once for Keras 3 and for tf-keras (Keras 2, in
_tfkeras_conv3d.py): each takes the Keras module `k` and the input shape."""


def cnn3d(k, input_shape):
    """Every 3-D layer: conv (same, strided, grouped), pooling, padding, cropping, upsampling, transposed conv."""
    L = k.layers
    inp = k.Input(input_shape)
    x = L.Conv3D(4, 3, padding="same", activation="relu", name="conv_a")(inp)
    x = L.MaxPooling3D(2, name="max_pool")(x)
    x = L.ZeroPadding3D(((1, 0), 1, (0, 1)), name="pad")(x)
    x = L.Conv3D(4, (3, 2, 3), strides=(1, 2, 1), name="conv_b")(x)
    x = L.Conv3DTranspose(3, 3, strides=2, padding="same", name="deconv")(x)
    x = L.Cropping3D(((1, 0), (0, 1), 1), name="crop")(x)
    x = L.UpSampling3D((1, 2, 1), name="upsample")(x)
    x = L.AveragePooling3D((2, 2, 1), strides=1, padding="same", name="avg_pool")(x)
    x = L.GlobalAveragePooling3D(name="global_pool")(x)
    return k.Model(inp, L.Dense(3, activation="softmax", name="head")(x), name="cnn3d")


def convlstm(k, input_shape):
    # recurrent_activation given: the defaults differ (Keras 2: hard_sigmoid, 0.2x + 0.5; Keras 3: sigmoid).
    L = k.layers
    return k.Sequential([
        k.Input(input_shape),
        L.ConvLSTM2D(4, 3, padding="same", return_sequences=True, recurrent_activation="sigmoid", name="convlstm_a"),
        L.ConvLSTM2D(3, (3, 2), strides=2, recurrent_activation="sigmoid", name="convlstm_b"),
        L.Flatten(name="flatten"),
        L.Dense(2, name="head"),
    ], name="convlstm")
