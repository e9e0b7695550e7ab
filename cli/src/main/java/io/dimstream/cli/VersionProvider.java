package io.dimstream.cli;

import picocli.CommandLine;

/** Prints the build version from the jar manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"dimstream " + (v == null ? "(development build)" : v)};
    }
}
