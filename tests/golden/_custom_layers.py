"""A user-defined layer with its own weight and two sublayers, written once against the shared Keras /
nnkern layer API: `scaled_residual_class(keras.layers)` for the generator, `(nnkern.layers)` for tests."""


def scaled_residual_class(layers):
    class ScaledResidual(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.proj = layers.Dense(units)
            self.gate = layers.Dense(units, activation="sigmoid")

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")
            self.proj.build(input_shape)
            self.gate.build(input_shape)

        def call(self, x):
            return self.proj(x) * self.gate(x) * self.scale

        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1]) + (self.units,)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return ScaledResidual
