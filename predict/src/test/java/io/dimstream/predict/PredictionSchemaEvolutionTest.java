package io.dimstream.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dimstream.core.kafka.AvroSerde;
import io.dimstream.schemas.Prediction;
import java.io.InputStream;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class PredictionSchemaEvolutionTest {

    @Test
    void recordsWrittenWithSchemaV1StayReadable() throws Exception {
        Schema v1;
        try (InputStream in = getClass().getResourceAsStream("/avro-history/io.dimstream.schemas.Prediction/v1.avsc")) {
            v1 = new Schema.Parser().parse(in);
        }
        GenericRecord old = new GenericData.Record(v1);
        old.put("id", "mp-149");
        old.put("property", "band_gap");
        old.put("value", 0.61);
        old.put("modelName", "dim-sitenet");
        old.put("modelVersion", 3);
        old.put("headVersion", 2);
        old.put("labelsUsed", 250);
        old.put("cvMae", 0.4);
        old.put("predictedAt", 1_700_000_000_000L);
        byte[] bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

        Prediction p = AvroSerde.of(Prediction.class).fromBytes(bytes);
        assertEquals("mp-149", p.getId());
        assertEquals(0.61, p.getValue(), 0);
        assertEquals(250, p.getLabelsUsed());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), p.getPredictedAt());
        assertNull(p.getUncertainty(), "v1 records have no uncertainty");
        assertEquals("", p.getHeadKind());
    }

    @Test
    void v2RecordsCarryUncertaintyAndHeadKind() {
        Prediction p = Prediction.newBuilder().setId("mp-1").setProperty("band_gap").setValue(1.0).setModelName("m")
                .setModelVersion(1).setHeadVersion(1).setLabelsUsed(10).setCvMae(0.2)
                .setPredictedAt(Instant.ofEpochMilli(5)).setUncertainty(0.3).setHeadKind("rf").build();
        AvroSerde<Prediction> serde = AvroSerde.of(Prediction.class);
        Prediction back = serde.fromBytes(serde.toBytes(p));
        assertEquals(0.3, back.getUncertainty(), 0);
        assertEquals("rf", back.getHeadKind());
    }
}
