package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.kv.KvClient;
import dev.sdp.kv.Resp;
import dev.sdp.transport.TransportConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sdp kv}: one command to an {@code sdp kv-server} over SDP, printed the way {@code redis-cli} prints replies. */
@Command(name = "kv", mixinStandardHelpOptions = true, description = "Send one command to an SDP key-value server (like redis-cli).")
final class KvCommand implements Callable<Integer> {
    @Option(names = "--to", required = true, paramLabel = "HOST:PORT", converter = Addresses.Converter.class,
            description = "the server's SDP address")
    private InetSocketAddress to;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "TLS credentials written by 'sdp keygen' (ca.pem; client.pem is presented if present)")
    private Path certDir;

    @Option(names = "--plaintext", description = "no encryption (a server started with --sdp-plaintext)")
    private boolean plaintext;

    @Mixin
    private TransportOptions transport;

    @Parameters(arity = "1..*", paramLabel = "COMMAND [ARG...]", description = "the command and its arguments")
    private List<String> command;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress local = Addresses.clientBindFor(to);
        TransportConfig config = transport.config(local);
        SdpSocket.Builder builder = Endpoints.secure(SdpSocket.builder(), certDir, plaintext, false, false);
        try (SdpSocket socket = Endpoints.open(builder, local, config)) {
            Resp.Value reply = new KvClient(socket, to).command(command.toArray(String[]::new));
            System.out.println(format(reply, ""));
            return reply instanceof Resp.Value.Error ? 1 : 0;
        }
    }

    /** A reply as redis-cli shows it. */
    static String format(Resp.Value value, String indent) {
        return switch (value) {
            case Resp.Value.Simple s -> s.text();
            case Resp.Value.Error e -> "(error) " + e.text();
            case Resp.Value.Int i -> "(integer) " + i.value();
            case Resp.Value.Bulk b -> b.bytes() == null ? "(nil)" : quote(b.bytes());
            case Resp.Value.Array a when a.items() == null -> "(nil)";
            case Resp.Value.Array a when a.items().isEmpty() -> "(empty array)";
            case Resp.Value.Array a -> {
                StringBuilder sb = new StringBuilder();
                int width = Integer.toString(a.items().size()).length();
                for (int i = 0; i < a.items().size(); i++) {
                    String number = String.format("%" + width + "d) ", i + 1);
                    sb.append(i == 0 ? "" : "\n" + indent).append(number)
                            .append(format(a.items().get(i), indent + " ".repeat(number.length())));
                }
                yield sb.toString();
            }
        };
    }

    /** A bulk string in double quotes, with redis-cli's escapes for anything unprintable. */
    static String quote(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xFF;
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        sb.append((char) c);
                    } else {
                        sb.append(String.format("\\x%02x", c));
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
