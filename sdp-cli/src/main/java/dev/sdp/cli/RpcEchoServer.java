package dev.sdp.cli;

import dev.sdp.SdpSocket;
import dev.sdp.transport.TransportConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The server process of {@code sdp bench rpc} ({@link RpcBenchmark}): an echo server for each named
 * transport on loopback, all in this one JVM, apart from the client's so that the two compete for
 * the CPU as two services on one host do and the CPU of each can be told apart. SDP with installed
 * keys reads the traffic secrets from the first line of standard input ({@link InstalledKeys}). Once
 * every server is bound it prints one line, {@code ready NAME=HOST:PORT ...}, and it exits when its
 * standard input closes: the benchmark closes it at the end, and so does the benchmark's death.
 */
@Command(name = "RpcEchoServer", description = "The echo servers of 'sdp bench rpc', in a process of their own.")
public final class RpcEchoServer implements Callable<Integer> {
    @Option(names = "--transports", split = ",", required = true, paramLabel = "NAME", description = "of RpcBenchmark.TRANSPORTS")
    private List<String> transports;

    @Option(names = "--cert-dir", required = true, paramLabel = "DIR", description = "server credentials for the TLS/TCP transports")
    private Path certDir;

    @Option(names = "--sdp-client", paramLabel = "HOST:PORT", converter = Addresses.Converter.class,
            description = "the client socket the installed keys of 'sdp' are for")
    private InetSocketAddress sdpClient;

    @Mixin
    private TransportOptions transport;

    private RpcEchoServer() {
    }

    /** Runs the servers until standard input closes; exits with 1 and one line on standard error if one cannot start. */
    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new RpcEchoServer());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            System.err.println("sdp bench rpc server: " + Main.message(e));
            return 1;
        });
        // Exits even though Netty's event loops are not daemon threads.
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        TransportConfig config = transport.config(RttBenchmark.LOOPBACK);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Deque<AutoCloseable> servers = new ArrayDeque<>();
        try {
            StringBuilder ready = new StringBuilder("ready");
            for (String name : transports) {
                InetSocketAddress address = switch (name) {
                    case "sdp" -> {
                        if (sdpClient == null) {
                            throw new IllegalArgumentException("sdp needs --sdp-client");
                        }
                        SdpSocket socket = sdp(SdpSocket.builder(), config, servers);
                        InstalledKeys.parse(in.readLine()).installAtServer(socket, sdpClient);
                        yield socket.localAddress();
                    }
                    case "sdp-plain" -> sdp(SdpSocket.builder().plaintextPeers(true), config, servers).localAddress();
                    case "tls-tcp" -> tcp(TcpEcho.serve(RttBenchmark.LOOPBACK, Endpoints.serverContext(certDir)), servers);
                    case "tcp" -> tcp(TcpEcho.serve(RttBenchmark.LOOPBACK, null), servers);
                    case OpenSslEcho.NAME -> {
                        OpenSslEcho.Server server = OpenSslEcho.serve(RttBenchmark.LOOPBACK, certDir);
                        servers.push(server);
                        yield server.address();
                    }
                    default -> throw new IllegalArgumentException("unknown transport '" + name + "'");
                };
                ready.append(' ').append(name).append('=').append(Addresses.format(address));
            }
            System.out.println(ready);
            System.out.flush();
            while (in.read() != -1) {
                // Nothing more is said on standard input: it stays open for as long as the benchmark runs.
            }
            return 0;
        } finally {
            for (AutoCloseable server : servers) {
                server.close();
            }
        }
    }

    private static SdpSocket sdp(SdpSocket.Builder builder, TransportConfig config, Deque<AutoCloseable> servers) throws java.io.IOException {
        SdpSocket socket = Endpoints.open(builder.handler(request -> request.reply(request.payload())), RttBenchmark.LOOPBACK, config);
        servers.push(socket);
        return socket;
    }

    private static InetSocketAddress tcp(ServerSocket server, Deque<AutoCloseable> servers) {
        servers.push(server);
        return (InetSocketAddress) server.getLocalSocketAddress();
    }
}
