package io.dimstream.core.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.schemas.CrystalSubmission;
import io.dimstream.schemas.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static CrystalSubmission sub() {
        return CrystalSubmission.newBuilder().setId("mp-149").setSource("test").setPayload("data_Si\n")
                .setSubmittedAt(Instant.ofEpochMilli(1234)).setMetadata(Map.of("k", "v")).build();
    }

    @Test
    void roundTripUsesSingleObjectEncoding() {
        AvroSerde<CrystalSubmission> serde = AvroSerde.of(CrystalSubmission.class);
        byte[] bytes = serde.serialize("t", sub());
        assertEquals((byte) 0xC3, bytes[0]);
        assertEquals((byte) 0x01, bytes[1]);
        long fp = 0;
        for (int i = 7; i >= 0; i--) {
            fp = (fp << 8) | (bytes[2 + i] & 0xff);
        }
        assertEquals(serde.fingerprint(), fp);
        CrystalSubmission back = serde.deserialize("t", bytes);
        assertEquals(sub(), back);
        assertEquals("cif", back.getFormat());
    }

    @Test
    void garbageAndForeignRecordsFailWithSerializationException() {
        AvroSerde<CrystalSubmission> serde = AvroSerde.of(CrystalSubmission.class);
        assertThrows(SerializationException.class, () -> serde.deserialize("t", "not avro".getBytes()));
        DeadLetter dl = DeadLetter.newBuilder().setId("x").setStage("parse").setErrorType("e").setMessage("m")
                .setFailedAt(Instant.EPOCH).build();
        byte[] other = AvroSerde.of(DeadLetter.class).serialize("t", dl);
        SerializationException e = assertThrows(SerializationException.class, () -> serde.deserialize("t", other));
        assertTrue(e.getMessage().contains("unknown schema"), e.getMessage());
        assertEquals(null, serde.deserialize("t", null));
    }

    @Test
    void recordsOfAnOlderRegisteredSchemaStayReadable() throws Exception {
        // an "older" CrystalSubmission without the format and metadata fields
        Schema old = new Schema.Parser().parse("""
                {"type":"record","name":"CrystalSubmission","namespace":"io.dimstream.schemas","fields":[
                 {"name":"id","type":"string"},{"name":"source","type":"string"},
                 {"name":"payload","type":"string"},
                 {"name":"submittedAt","type":{"type":"long","logicalType":"timestamp-millis"}}]}""");
        GenericRecord r = new GenericData.Record(old);
        r.put("id", "mp-1");
        r.put("source", "old");
        r.put("payload", "x");
        r.put("submittedAt", 99L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0xC3, 0x01});
        long fp = SchemaNormalization.parsingFingerprint64(old);
        for (int i = 0; i < 8; i++) {
            out.write((int) (fp >>> (8 * i)) & 0xff);
        }
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(old).write(r, enc);
        enc.flush();
        byte[] bytes = out.toByteArray();

        AvroSerde<CrystalSubmission> plain = AvroSerde.of(CrystalSubmission.class);
        assertThrows(SerializationException.class, () -> plain.deserialize("t", bytes));
        CrystalSubmission back = AvroSerde.of(CrystalSubmission.class).withHistoricalSchemas(old).deserialize("t", bytes);
        assertEquals("mp-1", back.getId());
        assertEquals("cif", back.getFormat());
        assertEquals(Map.of(), back.getMetadata());
        assertArrayEquals("x".getBytes(), back.getPayload().getBytes());
    }
}
