package io.github.clusterip.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process over byte streams and keeps what it printed. */
final class Console {

    int code;
    byte[] stdout = new byte[0];
    String err = "";

    /** Runs {@code args} with empty standard input. */
    static Console run(String... args) {
        return new Console().exec(new byte[0], args);
    }

    /** Runs {@code args} with {@code stdin} as standard input. */
    static Console withInput(byte[] stdin, String... args) {
        return new Console().exec(stdin, args);
    }

    /** Runs {@code args} with {@code stdin}, printing to {@code stdout} and reporting stages to {@code checkpoint}. */
    static Console exec(InputStream stdin, OutputStream stdout, CommandLine.Checkpoint checkpoint, String... args) {
        Console console = new Console();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try (PrintStream po = new PrintStream(stdout, false, StandardCharsets.UTF_8);
                PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            console.code = new CommandLine(stdin, po, pe, checkpoint).run(args);
        }
        console.err = e.toString(StandardCharsets.UTF_8);
        return console;
    }

    private Console exec(byte[] stdin, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try (PrintStream po = new PrintStream(o, false, StandardCharsets.UTF_8);
                PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, new ByteArrayInputStream(stdin), po, pe);
        }
        stdout = o.toByteArray();
        err = e.toString(StandardCharsets.UTF_8);
        return this;
    }

    /** Standard output as text. */
    String out() {
        return new String(stdout, StandardCharsets.UTF_8);
    }
}
