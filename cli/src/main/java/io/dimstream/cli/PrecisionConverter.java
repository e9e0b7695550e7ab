package io.dimstream.cli;

import io.dimstream.core.encoder.EncoderException;
import io.dimstream.core.encoder.Precision;
import picocli.CommandLine;

/** picocli: {@code --precision fp32|int8|fp16|bf16} with the encoder's own message for a bad value. */
public final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
    @Override
    public Precision convert(String value) {
        try {
            return Precision.parse(value);
        } catch (EncoderException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
