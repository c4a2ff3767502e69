package dev.sdp.cli;

import dev.sdp.transport.TransportConfig;

/** Checks of option values, before any work, whose errors name the option and the value given. */
final class Checks {
    private Checks() {
    }

    /** Refuses {@code value} below {@code least}. */
    static void atLeast(String option, long value, long least) {
        if (value < least) {
            throw new IllegalArgumentException(option + " must be at least " + least + ", not " + value);
        }
    }

    /** Refuses {@code value} below {@code least} (or not a number). */
    static void atLeast(String option, double value, double least) {
        if (!(value >= least)) {
            throw new IllegalArgumentException(option + " must be at least " + least + ", not " + value);
        }
    }

    /** Refuses {@code value} outside {@code least..most}. */
    static void within(String option, long value, long least, long most) {
        if (value < least || value > most) {
            throw new IllegalArgumentException(option + " must be within " + least + ".." + most + ", not " + value);
        }
    }

    /** Refuses a {@code value} that is zero or less. */
    static void positive(String option, double value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException(option + " must be more than 0, not " + value);
        }
    }

    /** Refuses a message size the transport would refuse only after the handshake and the copy. */
    static void messageSize(String option, long size, TransportConfig config) {
        atLeast(option, size, 0);
        if (size > config.maxMessageSize()) {
            throw new IllegalArgumentException(option + " " + size + " is over the largest message SDP carries, "
                    + config.maxMessageSize() + " bytes (" + BarChart.sizeLabel((int) config.maxMessageSize()) + ")");
        }
    }
}
