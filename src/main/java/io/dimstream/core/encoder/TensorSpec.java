package io.dimstream.core.encoder;

import java.util.List;

/**
 * One declared model input or output: name, element type ({@code float32} / {@code int64}) and shape,
 * each dimension either a number or a symbolic name ({@code B}, {@code S}, {@code J}).
 */
public record TensorSpec(String name, String type, List<String> shape) {
    public TensorSpec {
        shape = List.copyOf(shape);
    }
}
