package io.dimstream.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dimstream.broker.EmbeddedKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `dimstream broker` keeps its client port across restarts from the same directory; --port chooses it. */
class BrokerCommandIT {

    @TempDir
    Path tmp;

    private static String port(EmbeddedKafkaBroker b) {
        String bs = b.bootstrapServers();
        return bs.substring(bs.lastIndexOf(':') + 1);
    }

    @Test
    void restartFromTheSameDirectoryKeepsThePortAndTheData() throws Exception {
        BrokerCommand first = new BrokerCommand();
        new CommandLine(first).parseArgs("--dir", tmp.resolve("data").toString(), "--partitions", "1");
        String p1;
        try (EmbeddedKafkaBroker b = first.startBroker()) {
            p1 = port(b);
            assertEquals(p1, Files.readString(tmp.resolve("data").resolve(BrokerCommand.PORT_FILE)).trim());
        }
        BrokerCommand again = new BrokerCommand();
        new CommandLine(again).parseArgs("--dir", tmp.resolve("data").toString(), "--partitions", "1");
        try (EmbeddedKafkaBroker b = again.startBroker();
             Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + p1))) {
            assertEquals(p1, port(b), "same port after a restart from the same directory");
            assertTrue(admin.listTopics().names().get().contains("crystals.raw"), "topics kept");
        }
    }

    @Test
    void explicitPortIsUsedAndABusyPortIsOneClearLine() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = s.getLocalPort();
        }
        BrokerCommand cmd = new BrokerCommand();
        new CommandLine(cmd).parseArgs("--dir", tmp.resolve("a").toString(), "--port", String.valueOf(free),
                "--partitions", "1");
        try (EmbeddedKafkaBroker b = cmd.startBroker()) {
            assertEquals(String.valueOf(free), port(b));
            // a second broker asking for the same port: refused with one line, exit 2
            BrokerCommand clash = new BrokerCommand();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            clash.err = new PrintStream(err, true, StandardCharsets.UTF_8);
            int code = new CommandLine(clash).execute("--dir", tmp.resolve("b").toString(), "--port",
                    String.valueOf(free));
            assertEquals(2, code);
            assertEquals("broker: port " + free + " on 127.0.0.1 is in use",
                    err.toString(StandardCharsets.UTF_8).trim());
        }
        assertThrows(IllegalArgumentException.class, () -> EmbeddedKafkaBroker.builder().clientPort(70000));
        assertNotEquals(0, free);
    }
}
