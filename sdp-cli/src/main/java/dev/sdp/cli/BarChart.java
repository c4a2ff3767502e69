package dev.sdp.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import javax.imageio.ImageIO;

/**
 * A grouped bar chart like the paper's Figures 5 and 6, drawn with Java 2D: one group per x
 * category, one colour per series, optional whiskers above the bars (a p99 over a p50), on a
 * logarithmic or linear y axis.
 */
final class BarChart {
    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b),
    };
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 620;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 70;
    private static final int BOTTOM = 80;

    private BarChart() {
    }

    /** What to draw: {@code values[group][series]} (NaN: no bar), {@code whiskers} the same shape or null. */
    record Data(String title, String xLabel, String yLabel, List<String> groups, List<String> series, double[][] values,
                double[][] whiskers, boolean logarithmic) {
    }

    /**
     * A chart of benchmark results grouped by message size along x, one series per transport, both
     * in the order they first appear; NaN where a transport has no result at a size.
     */
    static <R> Data bySize(List<R> results, ToIntFunction<R> size, Function<R, String> transport, ToDoubleFunction<R> value,
                           ToDoubleFunction<R> whisker, String title, String yLabel, boolean logarithmic) {
        List<Integer> sizes = results.stream().map(size::applyAsInt).distinct().toList();
        List<String> series = results.stream().map(transport).distinct().toList();
        double[][] values = new double[sizes.size()][series.size()];
        double[][] whiskers = new double[sizes.size()][series.size()];
        for (double[] row : values) {
            Arrays.fill(row, Double.NaN);
        }
        for (R r : results) {
            int g = sizes.indexOf(size.applyAsInt(r));
            int s = series.indexOf(transport.apply(r));
            values[g][s] = value.applyAsDouble(r);
            whiskers[g][s] = whisker.applyAsDouble(r);
        }
        return new Data(title, "message size", yLabel, sizes.stream().map(BarChart::sizeLabel).toList(), series, values, whiskers, logarithmic);
    }

    /** Writes the chart as PNG. */
    static void write(Data d, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int g = 0; g < d.groups().size(); g++) {
            for (int s = 0; s < d.series().size(); s++) {
                double v = d.values()[g][s];
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, d.whiskers() == null ? v : Math.max(v, d.whiskers()[g][s]));
                }
            }
        }
        double low = d.logarithmic() ? Math.pow(10, Math.floor(Math.log10(Math.max(min, 0.1)))) : 0;
        double high = d.logarithmic() ? Math.pow(10, Math.ceil(Math.log10(Math.max(max, low * 10)))) : niceCeiling(max);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int plotW = WIDTH - LEFT - RIGHT;
            int plotH = HEIGHT - TOP - BOTTOM;
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            g.setColor(Color.BLACK);
            centered(g, d.title(), LEFT + plotW / 2, 30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            List<Double> ticks = new java.util.ArrayList<>();
            if (d.logarithmic()) {
                for (double v = low; v <= high * 1.0001; v *= 10) {
                    ticks.add(v);
                }
            } else {
                for (int i = 0; i <= 5; i++) {
                    ticks.add(high * i / 5);
                }
            }
            for (double v : ticks) {
                int y = y(v, low, high, plotH, d.logarithmic());
                g.setColor(new Color(0xdddddd));
                g.drawLine(LEFT, y, LEFT + plotW, y);
                g.setColor(Color.BLACK);
                String label = v >= 1 || v == 0 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
                g.drawString(label, LEFT - 10 - g.getFontMetrics().stringWidth(label), y + 5);
            }
            g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
            g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            centered(rotated, d.yLabel(), -(TOP + plotH / 2), 25);
            rotated.dispose();
            centered(g, d.xLabel(), LEFT + plotW / 2, HEIGHT - 20);
            double groupW = (double) plotW / d.groups().size();
            double barW = groupW * 0.8 / d.series().size();
            for (int gi = 0; gi < d.groups().size(); gi++) {
                double groupX = LEFT + gi * groupW + groupW * 0.1;
                g.setColor(Color.BLACK);
                centered(g, d.groups().get(gi), (int) (LEFT + gi * groupW + groupW / 2), TOP + plotH + 22);
                for (int si = 0; si < d.series().size(); si++) {
                    double v = d.values()[gi][si];
                    if (Double.isNaN(v)) {
                        continue;
                    }
                    int x = (int) (groupX + si * barW);
                    int yTop = y(v, low, high, plotH, d.logarithmic());
                    g.setColor(COLOURS[si % COLOURS.length]);
                    g.fillRect(x, yTop, (int) Math.max(1, barW - 2), TOP + plotH - yTop);
                    if (d.whiskers() != null) {
                        int centre = (int) (x + (barW - 2) / 2);
                        int yWhisker = y(d.whiskers()[gi][si], low, high, plotH, d.logarithmic());
                        g.setColor(Color.BLACK);
                        g.setStroke(new BasicStroke(1.5f));
                        g.drawLine(centre, yTop, centre, yWhisker);
                        g.drawLine(centre - 4, yWhisker, centre + 4, yWhisker);
                    }
                }
            }
            int lx = LEFT + 15;
            int ly = TOP + 10;
            for (int si = 0; si < d.series().size(); si++) {
                g.setColor(COLOURS[si % COLOURS.length]);
                g.fillRect(lx, ly + si * 20, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(d.series().get(si), lx + 20, ly + si * 20 + 12);
            }
        } finally {
            g.dispose();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}: a round top for a linear axis. */
    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double base = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * base >= v) {
                return m * base;
            }
        }
        return 10 * base;
    }

    static String sizeLabel(int size) {
        if (size >= 1 << 20 && size % (1 << 20) == 0) {
            return (size >> 20) + " MiB";
        }
        if (size >= 1024 && size % 1024 == 0) {
            return (size >> 10) + " KiB";
        }
        return size + " B";
    }

    private static int y(double value, double low, double high, int plotH, boolean logarithmic) {
        if (!logarithmic) {
            return TOP + plotH - (int) Math.round(plotH * Math.min(value, high) / high);
        }
        double v = Math.max(value, low);
        return TOP + plotH - (int) Math.round(plotH * (Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low)));
    }

    private static void centered(Graphics2D g, String text, int x, int y) {
        FontMetrics m = g.getFontMetrics();
        g.drawString(text, x - m.stringWidth(text) / 2, y);
    }
}
