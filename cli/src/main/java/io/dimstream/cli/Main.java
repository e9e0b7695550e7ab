package io.dimstream.cli;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dimstream} command line. Each subcommand lives in its own class in this package and
 * is registered here, in {@link #SUBCOMMANDS}; the launcher script {@code ./dimstream} at the
 * repository root runs this.
 *
 * <p>Building picocli's model of a command reflects over its options and those of all its
 * subcommands (the bench alone has seventeen), which took about 0.4 s of a one-core start. So
 * {@link #main} registers only the subcommand the arguments name, and the whole tree only when
 * they name none (top-level help, {@code help}, an unknown word), where the listing needs it.
 */
@Command(
        name = "dimstream",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Self-supervised (Deep InfoMax) crystal embeddings over Kafka.")
public final class Main implements Runnable {

    /** The subcommands, in the order the usage lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
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
            SimilarCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** The configured command line with every subcommand (also used by tests). */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for these arguments: only the subcommand named by the first argument when
     * it names one (other than {@code help}), none for {@code --version}, else all of them.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> only = args.length > 0 ? named(args[0]) : null;
        boolean versionOnly = args.length == 1 && (args[0].equals("-V") || args[0].equals("--version"));
        for (Class<?> c : SUBCOMMANDS) {
            if (!versionOnly && (only == null || c == only)) {
                cl.addSubcommand(c);
            }
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /** The subcommand class whose name (or alias) is {@code word}; null for none and for help. */
    static Class<?> named(String word) {
        for (Class<?> c : SUBCOMMANDS) {
            Command a = c.getAnnotation(Command.class);
            if (c != CommandLine.HelpCommand.class && (a.name().equals(word) || List.of(a.aliases()).contains(word))) {
                return c;
            }
        }
        return null;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
