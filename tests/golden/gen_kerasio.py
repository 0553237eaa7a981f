"""A corpus of keras-io example architectures (issue 10, "Tests and evidence"), built with Keras 3 at small
sizes, given seeded random weights, saved as `.keras` files under data/kerasio/ with Keras's outputs on a
fixed input. tests/models/test_kerasio_corpus.py loads each with nnkern and compares outputs and parameter
counts. Models needing layers nnkern lacks are kept (their record names the layer): their tests are
expected failures until the layer lands.

Each builder follows its keras-io example (named in its docstring) with the sizes cut down.
"""
import pathlib

import keras
import numpy as np
from keras import layers, ops

from _golden_io import GoldenWriter
from _keras_helpers import check_keras_loads_model_files, save_if_changed

FILES_DIR = "kerasio"  # under data/
MAX_FILE_BYTES = 150 * 1024
N_SAMPLES = 4


def mnist_convnet():
    """vision/mnist_convnet: Sequential Conv2D / MaxPooling2D / Flatten / Dropout / Dense softmax."""
    return keras.Sequential([
        keras.Input(shape=(14, 14, 1)),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_convnet")


def text_cnn():
    """nlp/text_classification_from_scratch: Embedding, two strided Conv1D, GlobalMaxPooling1D, Dense."""
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(60, 8)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(8, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(8, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(8, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, predictions, name="text_cnn")


def imdb_bilstm():
    """nlp/bidirectional_lstm_imdb: Embedding, two Bidirectional LSTMs, Dense sigmoid."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(40, 8)(inputs)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(8))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="imdb_bilstm")


def ddpg_actor():
    """rl/ddpg_pendulum get_actor: the output scaled by `outputs * upper_bound` (an op node Multiply)."""
    last_init = keras.initializers.RandomUniform(minval=-0.003, maxval=0.003)
    inputs = layers.Input(shape=(3,))
    out = layers.Dense(32, activation="relu")(inputs)
    out = layers.Dense(32, activation="relu")(out)
    outputs = layers.Dense(1, activation="tanh", kernel_initializer=last_init)(out)
    outputs = outputs * 2.0
    return keras.Model(inputs, outputs, name="ddpg_actor")


def ddpg_critic():
    """rl/ddpg_pendulum get_critic: state and action branches joined by layers.Concatenate."""
    state_input = layers.Input(shape=(3,))
    state_out = layers.Dense(16, activation="relu")(state_input)
    state_out = layers.Dense(32, activation="relu")(state_out)
    action_input = layers.Input(shape=(1,))
    action_out = layers.Dense(32, activation="relu")(action_input)
    concat = layers.Concatenate()([state_out, action_out])
    out = layers.Dense(32, activation="relu")(concat)
    out = layers.Dense(32, activation="relu")(out)
    outputs = layers.Dense(1)(out)
    return keras.Model([state_input, action_input], outputs, name="ddpg_critic")


def unet_segmentation():
    """vision/oxford_pets_image_segmentation (Xception-like U-Net), cut down: strided Conv2D,
    BatchNormalization, SeparableConv2D, residual adds, Conv2DTranspose, UpSampling2D, and a
    concatenate skip connection."""
    inputs = keras.Input(shape=(16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    skip = x
    previous = x
    for filters in [16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    for filters in [16, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous = x
        if filters == 16:
            x = layers.concatenate([x, skip])
            previous = layers.Conv2D(8, 1, padding="same")(x)
            x = previous
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs, name="unet_segmentation")


def dcgan_generator():
    """generative/dcgan_overriding_train_step: Dense, Reshape, Conv2DTranspose + LeakyReLU, Conv2D sigmoid."""
    latent_dim = 8
    return keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(4 * 4 * 16),
        layers.Reshape((4, 4, 16)),
        layers.Conv2DTranspose(16, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(8, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(3, kernel_size=5, padding="same", activation="sigmoid"),
    ], name="generator")


def dcgan_discriminator():
    """generative/dcgan_overriding_train_step: strided Conv2D + LeakyReLU, Flatten, Dropout, Dense."""
    return keras.Sequential([
        keras.Input(shape=(16, 16, 3)),
        layers.Conv2D(8, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(16, kernel_size=4, strides=2, padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")


def char_lstm_seq2seq():
    """nlp/lstm_seq2seq: encoder LSTM(return_state) whose states start the decoder LSTM (initial_state)."""
    num_encoder_tokens, num_decoder_tokens, latent_dim = 7, 9, 16
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="char_lstm_seq2seq")


def vae_encoder():
    """generative/vae encoder, with the Sampling layer written with ops on symbolic tensors (the noise is an
    input, so outputs are reproducible): z = z_mean + exp(0.5 * z_log_var) * epsilon."""
    latent_dim = 2
    encoder_inputs = keras.Input(shape=(12, 12, 1))
    epsilon = keras.Input(shape=(latent_dim,))
    x = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = z_mean + ops.exp(0.5 * z_log_var) * epsilon
    return keras.Model([encoder_inputs, epsilon], [z_mean, z_log_var, z], name="encoder")


def timeseries_conv1d():
    """timeseries/timeseries_classification_from_scratch: Conv1D + BatchNormalization + ReLU x3, GAP, Dense."""
    input_layer = keras.layers.Input((24, 1))
    x = input_layer
    for _ in range(3):
        x = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
    gap = keras.layers.GlobalAveragePooling1D()(x)
    output_layer = keras.layers.Dense(2, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer, name="timeseries_conv1d")


def denoising_autoencoder():
    """vision/autoencoder: Conv2D + MaxPooling2D encoder, Conv2DTranspose (strides 2) decoder."""
    inputs = layers.Input(shape=(12, 12, 1))
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, x, name="autoencoder")


def gru_text():
    """A GRU text classifier (nlp examples' recurrent variant): Embedding, GRU, Dense."""
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(40, 8)(inputs)
    x = layers.GRU(8)(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x), name="gru_text")


def transformer_text():
    """nlp/text_classification_with_transformer, cut down: one TransformerBlock (MultiHeadAttention,
    Dropout, residual Add, LayerNormalization, feed-forward) over an Embedding, GAP, Dense."""
    inputs = layers.Input(shape=(10,))
    x = layers.Embedding(40, 8)(inputs)
    attn_output = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    attn_output = layers.Dropout(0.1)(attn_output)
    out1 = layers.LayerNormalization(epsilon=1e-6)(x + attn_output)
    ffn_output = layers.Dense(8)(layers.Dense(16, activation="relu")(out1))
    ffn_output = layers.Dropout(0.1)(ffn_output)
    x = layers.LayerNormalization(epsilon=1e-6)(out1 + ffn_output)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="transformer_text")


def video_conv3d():
    """vision/video_classification (3-D convolutions), cut down: Conv3D, GlobalAveragePooling3D, Dense."""
    inputs = layers.Input(shape=(4, 8, 8, 1))
    x = layers.Conv3D(4, 3, activation="relu", padding="same")(inputs)
    x = layers.Conv3D(8, 3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling3D()(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x), name="video_conv3d")


# id: (builder, inputs [(per-sample shape, dtype, low, high)], layer nnkern lacks or None)
MODELS = {
    "mnist_convnet": (mnist_convnet, [((14, 14, 1), "float32", 0, 1)], None),
    "text_cnn": (text_cnn, [((30,), "int64", 0, 60)], None),
    "imdb_bilstm": (imdb_bilstm, [((9,), "int32", 0, 40)], None),
    "ddpg_actor": (ddpg_actor, [((3,), "float32", -1, 1)], None),
    "ddpg_critic": (ddpg_critic, [((3,), "float32", -1, 1), ((1,), "float32", -2, 2)], None),
    "unet_segmentation": (unet_segmentation, [((16, 16, 3), "float32", 0, 1)], None),
    "dcgan_generator": (dcgan_generator, [((8,), "float32", -1, 1)], None),
    "dcgan_discriminator": (dcgan_discriminator, [((16, 16, 3), "float32", 0, 1)], None),
    "char_lstm_seq2seq": (char_lstm_seq2seq, [((5, 7), "float32", 0, 1), ((6, 9), "float32", 0, 1)], None),
    "vae_encoder": (vae_encoder, [((12, 12, 1), "float32", 0, 1), ((2,), "float32", -1, 1)], None),
    "timeseries_conv1d": (timeseries_conv1d, [((24, 1), "float32", -2, 2)], None),
    "denoising_autoencoder": (denoising_autoencoder, [((12, 12, 1), "float32", 0, 1)], None),
    "gru_text": (gru_text, [((9,), "int32", 0, 40)], None),
    "transformer_text": (transformer_text, [((10,), "float32", 0, 40)], None),
    "video_conv3d": (video_conv3d, [((4, 8, 8, 1), "float32", 0, 1)], None),
}


def _seeded_weights(model, seed):
    """Uniform(-0.5, 0.5) weights, positive moving variances (BatchNormalization divides by them)."""
    rng = np.random.default_rng(seed)
    out = []
    for v in model.weights:
        low, high = (0.5, 1.5) if v.path.endswith("moving_variance") else (-0.5, 0.5)
        out.append(rng.uniform(low, high, size=v.shape).astype(np.float32))
    return out


def model_inputs(specs, seed):
    """The fixed input of a model: seeded uniform values (integers floored) per input spec."""
    rng = np.random.default_rng(seed)
    xs = []
    for shape, dtype, low, high in specs:
        values = rng.uniform(low, high, size=(N_SAMPLES,) + tuple(shape))
        xs.append(np.floor(values).astype(dtype) if np.dtype(dtype).kind in "iu" else values.astype(dtype))
    return xs


def generate(data_dir):
    w = GoldenWriter("kerasio")
    saved = []
    for seed, (model_id, (builder, specs, needs)) in enumerate(MODELS.items()):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = builder()
        model.set_weights([w_ for w_ in _seeded_weights(model, 1000 + seed)])
        xs = model_inputs(specs, 2000 + seed)
        x = xs[0] if len(xs) == 1 else xs
        y = model.predict(x, verbose=0)
        ys = [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]
        rel = f"{FILES_DIR}/{model_id}.keras"
        path = pathlib.Path(data_dir) / rel
        save_if_changed(model, path, deflate=True)
        size = path.stat().st_size
        assert size < MAX_FILE_BYTES, f"{rel}: {size} bytes"
        record = {"path": rel, "safe_mode": True}
        saved.append((record, x, ys))
        w.add(model_id, {"keras_file": record, "needs": needs, "count_params": int(model.count_params()),
                         "layer_classes": [type(layer).__name__ for layer in model.layers],
                         "operations": [type(op).__name__ for op in getattr(model, "operations", model.layers)],
                         "input_specs": [[list(s), d, lo, hi] for s, d, lo, hi in specs], "input_seed": 2000 + seed,
                         "output_shapes": [list(t.shape) for t in model.outputs]},
              **{f"x{i}": v for i, v in enumerate(xs)}, **{f"y{i}": v for i, v in enumerate(ys)})
        print(f"  {model_id}: {model.count_params()} params, {size} bytes")
    check_keras_loads_model_files(data_dir, saved)
    return w.save(data_dir)
