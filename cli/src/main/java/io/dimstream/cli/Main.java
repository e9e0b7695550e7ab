package io.dimstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dimstream} command line. Each subcommand lives in its own class in this package and
 * is registered here; the launcher script {@code ./dimstream} at the repository root runs this.
 */
@Command(
        name = "dimstream",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Self-supervised (Deep InfoMax) crystal embeddings over Kafka.",
        subcommands = {
            CommandLine.HelpCommand.class,
            ParseCommand.class,
            FeaturizeCommand.class,
            PretrainCommand.class,
            EmbedCommand.class,
            io.dimstream.cli.bench.BenchCommand.class,
            io.dimstream.cli.service.StreamsCommand.class,
            io.dimstream.cli.service.TrainerCommand.class,
            io.dimstream.cli.service.DemoCommand.class,
            IngestCommand.class,
            PredictCommand.class,
            io.dimstream.cli.service.BrokerCommand.class,
            io.dimstream.cli.service.SearchCommand.class,
            io.dimstream.cli.ops.KeysCommand.class,
            io.dimstream.cli.ops.ModelCommand.class,
            EvaluateCommand.class,
            SimilarCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (also used by tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
