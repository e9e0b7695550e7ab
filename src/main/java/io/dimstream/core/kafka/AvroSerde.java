package io.dimstream.core.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serde} for the generated Avro {@link SpecificRecord} classes of {@code schemas/}.
 *
 * <p><b>Wire format: Avro single-object encoding</b> (Avro spec, "Single object encoding"): the two
 * marker bytes {@code C3 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer's
 * schema (Parsing Canonical Form), then the plain Avro binary body. Each record thus names the
 * exact schema that wrote it without needing a schema-registry service, and a reader resolves it
 * against its own (newer) schema with ordinary Avro schema resolution.
 *
 * <p><b>Keeping old records readable:</b> the decoder knows the class's current schema plus every
 * older writer schema it is told about: those passed to {@link #withHistoricalSchemas} and those
 * found on the classpath under {@code avro-history/<full.record.Name>/*.avsc} (when a schema
 * evolves, copy its previous {@code .avsc} there). A record whose fingerprint is unknown fails
 * with a {@link SerializationException} naming the fingerprint.
 *
 * <p>Instances are thread-safe.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final Class<T> type;
    private final Schema schema;
    private final SchemaStore.Cache store = new SchemaStore.Cache();
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(Class<T> type) {
        this.type = type;
        SpecificData data = SpecificData.getForClass(type);
        this.schema = data.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(data, schema);
        this.decoder = new BinaryMessageDecoder<>(data, schema, store);
        store.addSchema(schema);
        for (Schema old : classpathHistory(schema.getFullName())) {
            store.addSchema(old);
        }
    }

    /** A serde for the generated class {@code type} (e.g. {@code CrystalFeatures.class}). */
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        return new AvroSerde<>(type);
    }

    /** Also accept records written with these (older) schemas of the same record. */
    public AvroSerde<T> withHistoricalSchemas(Schema... schemas) {
        for (Schema s : schemas) {
            store.addSchema(s);
        }
        return this;
    }

    public Schema schema() {
        return schema;
    }

    /** The 8-byte fingerprint written in front of every record of the current schema. */
    public long fingerprint() {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    public byte[] toBytes(T value) {
        try {
            ByteBuffer buf = encoder.encode(value);
            byte[] out = new byte[buf.remaining()];
            buf.get(out);
            return out;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    public T fromBytes(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new SerializationException("cannot decode " + type.getSimpleName()
                    + ": written with an unknown schema (" + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot decode " + type.getSimpleName() + " from " + bytes.length
                    + " bytes: " + e.getMessage());
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : toBytes(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return fromBytes(data);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
    }

    @Override
    public void close() {
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    private static List<Schema> classpathHistory(String fullName) {
        List<Schema> out = new ArrayList<>();
        String dir = "avro-history/" + fullName + "/";
        ClassLoader cl = AvroSerde.class.getClassLoader();
        for (int v = 1; v <= 64; v++) { // avro-history/<name>/v1.avsc, v2.avsc, ...
            try (InputStream in = cl.getResourceAsStream(dir + "v" + v + ".avsc")) {
                if (in != null) {
                    out.add(new Schema.Parser().parse(in));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + dir + "v" + v + ".avsc", e);
            }
        }
        return out;
    }
}
