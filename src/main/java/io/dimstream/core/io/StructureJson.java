package io.dimstream.core.io;

import com.fasterxml.jackson.core.JsonGenerator;
import io.dimstream.core.crystal.Site;
import io.dimstream.core.crystal.Species;
import io.dimstream.core.crystal.Structure;
import java.io.IOException;
import java.util.Map;

/**
 * The JSON form of a structure used by {@code dimstream parse}:
 * {@code {"id":…,"lattice":[[…],[…],[…]],"sites":[{"frac":[x,y,z],"species":{"Fe":1.0}},…]}}.
 * Species keys are element symbols with the oxidation state when known ({@code "Fe3+"}).
 */
public final class StructureJson {
    private StructureJson() {
    }

    public static void write(JsonGenerator g, Structure s) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", s.id());
        g.writeArrayFieldStart("lattice");
        for (int i = 0; i < 3; i++) {
            g.writeStartArray();
            for (int k = 0; k < 3; k++) {
                g.writeNumber(s.lattice().get(i, k));
            }
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("sites");
        for (Site site : s.sites()) {
            g.writeStartObject();
            g.writeArrayFieldStart("frac");
            for (int k = 0; k < 3; k++) {
                g.writeNumber(site.frac(k));
            }
            g.writeEndArray();
            g.writeObjectFieldStart("species");
            for (Map.Entry<Species, Double> e : site.species().entrySet()) {
                g.writeNumberField(e.getKey().toString(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
