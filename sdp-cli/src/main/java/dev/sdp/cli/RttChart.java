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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * A grouped bar chart of round-trip times like the paper's Figure 5, drawn with Java 2D: message
 * sizes along x, one colour per transport, bar height the median on a logarithmic µs axis, and a
 * whisker from the median up to the 99th percentile.
 */
final class RttChart {
    private static final Color[] COLOURS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b),
    };
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 620;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 70;
    private static final int BOTTOM = 80;

    private RttChart() {
    }

    /** Writes the chart of {@code results} to {@code file} as PNG. */
    static void write(List<RttBenchmark.Result> results, String title, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Set<String> transports = new LinkedHashSet<>();
        Set<Integer> sizes = new LinkedHashSet<>();
        double min = Double.MAX_VALUE;
        double max = 0;
        for (RttBenchmark.Result r : results) {
            transports.add(r.transport());
            sizes.add(r.size());
            min = Math.min(min, r.p50Us());
            max = Math.max(max, r.p99Us());
        }
        double low = Math.pow(10, Math.floor(Math.log10(Math.max(min, 0.1))));
        double high = Math.pow(10, Math.ceil(Math.log10(Math.max(max, low * 10))));
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
            centered(g, title, LEFT + plotW / 2, 30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            // Decades on the logarithmic y axis, with light grid lines.
            for (double v = low; v <= high * 1.0001; v *= 10) {
                int y = y(v, low, high, plotH);
                g.setColor(new Color(0xdddddd));
                g.drawLine(LEFT, y, LEFT + plotW, y);
                g.setColor(Color.BLACK);
                String label = v >= 1 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
                g.drawString(label, LEFT - 10 - g.getFontMetrics().stringWidth(label), y + 5);
            }
            g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
            g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            centered(rotated, "round-trip time, µs (log scale; bar: p50, whisker: p99)", -(TOP + plotH / 2), 25);
            rotated.dispose();
            centered(g, "message size", LEFT + plotW / 2, HEIGHT - 20);
            List<String> names = List.copyOf(transports);
            List<Integer> sizeList = List.copyOf(sizes);
            double groupW = (double) plotW / sizeList.size();
            double barW = groupW * 0.8 / names.size();
            for (int s = 0; s < sizeList.size(); s++) {
                int size = sizeList.get(s);
                double groupX = LEFT + s * groupW + groupW * 0.1;
                g.setColor(Color.BLACK);
                centered(g, sizeLabel(size), (int) (LEFT + s * groupW + groupW / 2), TOP + plotH + 22);
                for (int t = 0; t < names.size(); t++) {
                    RttBenchmark.Result r = find(results, names.get(t), size);
                    if (r == null) {
                        continue;
                    }
                    int x = (int) (groupX + t * barW);
                    int yTop = y(r.p50Us(), low, high, plotH);
                    g.setColor(COLOURS[t % COLOURS.length]);
                    g.fillRect(x, yTop, (int) Math.max(1, barW - 2), TOP + plotH - yTop);
                    int centre = (int) (x + (barW - 2) / 2);
                    int yP99 = y(r.p99Us(), low, high, plotH);
                    g.setColor(Color.BLACK);
                    g.setStroke(new BasicStroke(1.5f));
                    g.drawLine(centre, yTop, centre, yP99);
                    g.drawLine(centre - 4, yP99, centre + 4, yP99);
                }
            }
            // Legend, top left inside the plot.
            int lx = LEFT + 15;
            int ly = TOP + 10;
            for (int t = 0; t < names.size(); t++) {
                g.setColor(COLOURS[t % COLOURS.length]);
                g.fillRect(lx, ly + t * 20, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(names.get(t), lx + 20, ly + t * 20 + 12);
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

    static String sizeLabel(int size) {
        if (size >= 1 << 20 && size % (1 << 20) == 0) {
            return (size >> 20) + " MiB";
        }
        if (size >= 1024 && size % 1024 == 0) {
            return (size >> 10) + " KiB";
        }
        return size + " B";
    }

    private static RttBenchmark.Result find(List<RttBenchmark.Result> results, String transport, int size) {
        for (RttBenchmark.Result r : results) {
            if (r.transport().equals(transport) && r.size() == size) {
                return r;
            }
        }
        return null;
    }

    private static int y(double value, double low, double high, int plotH) {
        double v = Math.max(value, low);
        return TOP + plotH - (int) Math.round(plotH * (Math.log10(v) - Math.log10(low)) / (Math.log10(high) - Math.log10(low)));
    }

    private static void centered(Graphics2D g, String text, int x, int y) {
        FontMetrics m = g.getFontMetrics();
        g.drawString(text, x - m.stringWidth(text) / 2, y);
    }
}
