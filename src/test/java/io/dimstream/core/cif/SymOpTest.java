package io.dimstream.core.cif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SymOpTest {

    static void check(String text, double[] rot, double[] trans) {
        SymOp op = SymOp.parse(text);
        assertNotNull(op, text);
        assertArrayEquals(rot, op.rot(), 1e-12, text);
        assertArrayEquals(trans, op.trans(), 1e-12, text);
    }

    @Test
    void parsesXyzForms() {
        check("x, y, z", new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, new double[3]);
        check("-x+1/2, 1/2+y, -z", new double[] {-1, 0, 0, 0, 1, 0, 0, 0, -1}, new double[] {0.5, 0.5, 0});
        check("x-y,x,z+1/6", new double[] {1, -1, 0, 1, 0, 0, 0, 0, 1}, new double[] {0, 0, 1.0 / 6});
        check("+X, -Y , 0.5+Z", new double[] {1, 0, 0, 0, -1, 0, 0, 0, 1}, new double[] {0, 0, 0.5});
        check("-y+x,-x,z-1/3", new double[] {1, -1, 0, -1, 0, 0, 0, 0, 1}, new double[] {0, 0, -1.0 / 3});
        check("x y z", new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, new double[3]);
        check("3/4+y, 1/4+x, 3/4-z", new double[] {0, 1, 0, 1, 0, 0, 0, 0, -1}, new double[] {0.75, 0.25, 0.75});
        assertTrue(SymOp.parse("x,y,z").isIdentity());
        assertTrue(SymOp.parse("x+1,y,z-2").isIdentity());
    }

    @Test
    void rejectsInvalidOperations() {
        for (String bad : new String[] {"", "x,y", "x,y,z,x", "x,y,q", "x,x,z", "1/0+x,y,z", "x y,z", "x,,z", "xy,y,z", "x+,y,z"}) {
            assertNull(SymOp.parse(bad), bad);
        }
        assertNull(SymOp.parse(null));
    }
}
