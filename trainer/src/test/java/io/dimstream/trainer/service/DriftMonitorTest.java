package io.dimstream.trainer.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Drift of recent structures against the training corpus (issue 20): shifts are caught, unbiased samples are not. */
class DriftMonitorTest {

    record Row(String formula, int sites) {
    }

    private static final Pattern LITHIUM = Pattern.compile("Li(?![a-z])");

    static List<Row> bundled() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(
                DriftMonitorTest.class.getResourceAsStream("/drift/mp-formulas.csv"), StandardCharsets.UTF_8))) {
            in.readLine();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] p = line.split(",");
                rows.add(new Row(p[0], Integer.parseInt(p[1])));
            }
        }
        return rows;
    }

    static DriftMonitor reference(List<Row> ref) {
        DriftMonitor m = new DriftMonitor(5000, 7);
        List<DriftMonitor.Sample> s = new ArrayList<>();
        for (Row r : ref) {
            DriftMonitor.sample(r.formula(), r.sites()).ifPresent(s::add);
        }
        m.resetReference(s);
        return m;
    }

    static double score(DriftMonitor m, List<Row> recent) {
        m.clearRecent();
        recent.forEach(r -> m.observe(r.formula(), r.sites()));
        return m.measure().orElseThrow().score();
    }

    @Test
    void jensenShannonIsZeroForEqualAndOneForDisjointDistributions() {
        assertEquals(0, DriftMonitor.js(new double[] {1, 2, 3}, new double[] {2, 4, 6}), 1e-12);
        assertEquals(1, DriftMonitor.js(new double[] {1, 0}, new double[] {0, 5}), 1e-12);
        assertEquals(0, DriftMonitor.sizeBin(1));
        assertEquals(2, DriftMonitor.sizeBin(7));
        assertEquals(3, DriftMonitor.sizeBin(8));
        assertEquals(DriftMonitor.SIZE_BINS - 1, DriftMonitor.sizeBin(100_000));
    }

    @Test
    void aRunOfLithiumCompoundsDriftsAndAnUnbiasedSampleOfTheSameSizeDoesNot() throws Exception {
        List<Row> rows = new ArrayList<>(bundled());
        // shuffled first: the file order is by material id, and consecutive ids are not a random sample
        Collections.shuffle(rows, new Random(3));
        DriftMonitor m = reference(rows.subList(0, 2000));
        assertEquals(2000, m.referenceCount());
        List<Row> pool = new ArrayList<>(rows.subList(2000, 3000));
        List<Row> lithium = pool.stream().filter(r -> LITHIUM.matcher(r.formula()).find()).toList();
        assertTrue(lithium.size() >= 30, "lithium compounds in the pool: " + lithium.size());
        double unbiased = score(m, pool.subList(0, lithium.size()));
        double shifted = score(m, lithium);
        double unbiased300 = score(m, pool.subList(0, 300));
        System.out.printf("drift (bundled MP demo sample): unbiased %d %.3f, lithium %d %.3f, unbiased 300 %.3f%n",
                lithium.size(), unbiased, lithium.size(), shifted, unbiased300);
        assertTrue(unbiased < 0.02, "unbiased " + unbiased);
        assertTrue(unbiased300 < 0.02, "unbiased 300 " + unbiased300);
        assertTrue(shifted > 0.1, "lithium run " + shifted);
        assertTrue(m.measure().orElseThrow().toString().startsWith("drift 0.0"), m.measure().orElseThrow().toString());
    }

    @Test
    void onTheSharedSplitsShiftsInChemistryAndInSizeAreCaught() throws Exception {
        Path dir = Path.of(System.getProperty("dimstream.shared.dir", "../shared/data"));
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("train.csv.gz")),
                "shared data " + dir + " absent: skipping the drift calibration on the MP splits");
        DriftMonitor m = reference(read(dir.resolve("train.csv.gz")));
        List<Row> val = new ArrayList<>(read(dir.resolve("val.csv.gz")));
        Collections.shuffle(val, new Random(5));
        double unbiased = score(m, val.subList(0, 300));
        double lithium = score(m, val.stream().filter(r -> LITHIUM.matcher(r.formula()).find()).limit(300).toList());
        List<Row> big = val.stream().filter(r -> r.sites() >= 40).limit(300).toList();
        m.clearRecent();
        big.forEach(r -> m.observe(r.formula(), r.sites()));
        DriftMonitor.Drift d = m.measure().orElseThrow();
        System.out.printf("drift (shared MP, reference %d): unbiased 300 %.3f, lithium 300 %.3f, >=40 sites: %s%n",
                m.referenceCount(), unbiased, lithium, d);
        assertTrue(unbiased < 0.02, "unbiased " + unbiased);
        assertTrue(lithium > 0.1, "lithium " + lithium);
        assertTrue(d.sizeExcess() > 0.3, d.toString());
    }

    static List<Row> read(Path csvGz) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (var in = new InputStreamReader(new GZIPInputStream(Files.newInputStream(csvGz)), StandardCharsets.UTF_8)) {
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                rows.add(new Row(r.get("formula"), Integer.parseInt(r.get("nsites"))));
            }
        }
        return rows;
    }
}
