package dev.sdp.cli;

import dev.sdp.credentials.DemoCredentials;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLSession;

/**
 * The TLS stack Java services run in production, as a baseline ({@code tls-tcp-openssl}): Netty's
 * epoll transport with BoringSSL (netty-tcnative), TLS 1.3 only, {@link TcpEcho#SUITE},
 * TCP_NODELAY, and {@link TcpEcho}'s framing (a 4-byte big-endian length and the bytes). The server
 * echoes each frame as it came and flushes once per batch of reads. A client connection carries any
 * number of concurrent callers, as an SDP socket does: callers queue their requests, the
 * connection's event loop writes whatever is queued and flushes once, and each echo (they come back
 * in order) completes the oldest call outstanding.
 *
 * <p>Design: a baseline that quietly fell back to the JDK's TLS or to NIO would measure something
 * else under this name, so nothing starts unless OpenSSL and epoll are loaded, and every client
 * connection checks its engine, protocol and cipher suite after the handshake.
 */
public final class OpenSslEcho {
    /** The name of this baseline in the benchmarks. */
    public static final String NAME = "tls-tcp-openssl";
    private static final String PROTOCOL = "TLSv1.3";
    /** SDP's largest message and its length prefix. */
    private static final int LARGEST_FRAME = (64 << 20) + 4;
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(10);
    /**
     * BoringSSL enables every TLS 1.3 suite whatever is configured, and Netty says so at INFO for each
     * context it builds; the clients check the suite negotiated instead, so the message is only noise.
     * Held here because java.util.logging keeps its loggers weakly.
     */
    private static final Logger CIPHER_NOTICE = Logger.getLogger(ReferenceCountedOpenSslContext.class.getName());

    static {
        // Netty would pick SLF4J first, which is on the class path (for Jedis) without a binding and says so on stderr.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        CIPHER_NOTICE.setLevel(Level.WARNING);
    }

    private OpenSslEcho() {
    }

    /** Refuses to go on unless netty-tcnative's BoringSSL and Netty's epoll transport are loaded, saying why not (TLS 1.3 is checked per connection). */
    static void requireNative() {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException(NAME + ": OpenSSL (netty-tcnative BoringSSL) is not available: "
                    + Main.message(OpenSsl.unavailabilityCause()));
        }
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException(NAME + ": Netty's epoll transport is not available: " + Main.message(Epoll.unavailabilityCause()));
        }
    }

    private static SslContext context(SslContextBuilder builder) throws IOException {
        requireNative();
        return builder.sslProvider(SslProvider.OPENSSL).protocols(PROTOCOL).ciphers(List.of(TcpEcho.SUITE)).build();
    }

    private static void closeChannel(Channel channel) {
        if (channel != null) {
            channel.close().awaitUninterruptibly(SETUP_TIMEOUT.toMillis());
        }
    }

    private static void closeQuietly(Channel channel, EventLoopGroup group) {
        closeChannel(channel);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(SETUP_TIMEOUT.toMillis());
    }

    /** Serves echo connections on {@code bind} with the server credentials in {@code certDir} ({@link DemoCredentials#generate}). */
    public static Server serve(InetSocketAddress bind, Path certDir) throws IOException {
        SslContext tls = context(SslContextBuilder.forServer(certDir.resolve(DemoCredentials.SERVER_CERT).toFile(),
                certDir.resolve(DemoCredentials.SERVER_KEY).toFile()));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
        try {
            Channel channel = new io.netty.bootstrap.ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new LengthFieldBasedFrameDecoder(LARGEST_FRAME, 0, 4), Echo.INSTANCE);
                        }
                    })
                    .bind(bind).sync().channel();
            return new Server(group, channel);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(null, group);
            throw new IOException("interrupted while binding " + Addresses.format(bind), e);
        } catch (RuntimeException e) {
            closeQuietly(null, group);
            throw e;
        }
    }

    /** Sends every frame back as it came, length prefix included; one flush per batch of reads. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object frame) {
            ctx.write(frame, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** A running echo server and its event loops. */
    public static final class Server implements AutoCloseable {
        private final EventLoopGroup group;
        private final Channel channel;

        private Server(EventLoopGroup group, Channel channel) {
            this.group = group;
            this.channel = channel;
        }

        /** Where it listens. */
        public InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        @Override
        public void close() {
            closeQuietly(channel, group);
        }
    }

    /**
     * The client side: trusts the CA in {@code certDir} and checks each server's certificate against
     * the address it connects to; its connections share one group of event loops (Netty's default
     * size, two per core), as a service's do.
     */
    public static final class Client implements AutoCloseable {
        private final SslContext tls;
        private final EventLoopGroup group;

        public Client(Path certDir) throws IOException {
            tls = context(SslContextBuilder.forClient().trustManager(certDir.resolve(DemoCredentials.CA_CERT).toFile()));
            group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
        }

        /** A new connection to {@code server}, its TLS handshake done and checked. */
        public Connection connect(InetSocketAddress server) throws IOException {
            return new Connection(this, server);
        }

        /** Closes its connections too: event loops close their channels as they shut down. */
        @Override
        public void close() {
            closeQuietly(null, group);
        }
    }

    /** One connection of a {@link Client}; any number of threads may call at once. */
    public static final class Connection implements AutoCloseable {
        private final Channel channel;
        /** Requests the callers have queued and the event loop has not written yet. */
        private final Queue<Call> outbox = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean writeScheduled = new AtomicBoolean();
        /** Calls written and not yet answered, oldest first; the event loop's alone. */
        private final ArrayDeque<CompletableFuture<ByteBuf>> inFlight = new ArrayDeque<>();
        private volatile Throwable failure;
        private final String negotiated;

        private record Call(ByteBuf frame, CompletableFuture<ByteBuf> echo) {
        }

        private Connection(Client client, InetSocketAddress server) throws IOException {
            Channel ch = null;
            try {
                ch = new io.netty.bootstrap.Bootstrap().group(client.group).channel(EpollSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) SETUP_TIMEOUT.toMillis())
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel c) {
                                c.pipeline().addLast(client.tls.newHandler(c.alloc(), server.getHostString(), server.getPort()),
                                        new LengthFieldBasedFrameDecoder(LARGEST_FRAME, 0, 4, 0, 4), new Responses());
                            }
                        })
                        .connect(server).sync().channel();
                var handshake = ch.pipeline().get(SslHandler.class).handshakeFuture();
                if (!handshake.await(SETUP_TIMEOUT.toMillis()) || !handshake.isSuccess()) {
                    throw new IOException(NAME + ": TLS handshake with " + Addresses.format(server)
                            + (handshake.cause() == null ? " did not complete within " + SETUP_TIMEOUT.toSeconds() + " s" : ": " + Main.message(handshake.cause())));
                }
                negotiated = checked(ch.pipeline().get(SslHandler.class));
                channel = ch;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closeChannel(ch);
                throw new IOException("interrupted while connecting to " + Addresses.format(server), e);
            } catch (IOException | RuntimeException e) {
                closeChannel(ch);
                throw e;
            }
        }

        /** The connection's protocol, suite and library, refused unless they are TLS 1.3, {@link TcpEcho#SUITE} and OpenSSL. */
        private static String checked(SslHandler handler) {
            SSLSession session = handler.engine().getSession();
            String what = session.getProtocol() + " " + session.getCipherSuite() + " (" + OpenSsl.versionString() + ", "
                    + handler.engine().getClass().getSimpleName() + ")";
            if (!(handler.engine() instanceof ReferenceCountedOpenSslEngine) || !PROTOCOL.equals(session.getProtocol())
                    || !TcpEcho.SUITE.equals(session.getCipherSuite())) {
                throw new IllegalStateException(NAME + " negotiated " + what + ", not " + PROTOCOL + " " + TcpEcho.SUITE + " over OpenSSL");
            }
            return what;
        }

        /** What the handshake agreed on, for the progress output. */
        public String negotiated() {
            return negotiated;
        }

        /** Sends {@code request} (position to limit; consumed) and waits for its echo; returns the echo's length. */
        public int call(ByteBuffer request, Duration timeout) throws IOException, InterruptedException {
            ByteBuf frame = channel.alloc().buffer(4 + request.remaining());
            frame.writeInt(request.remaining()).writeBytes(request);
            CompletableFuture<ByteBuf> echo = new CompletableFuture<>();
            outbox.add(new Call(frame, echo));
            if (writeScheduled.compareAndSet(false, true)) {
                channel.eventLoop().execute(this::writeQueued);
            }
            ByteBuf response;
            try {
                response = echo.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new IOException(NAME + " connection failed: " + Main.message(e.getCause()), e.getCause());
            } catch (TimeoutException e) {
                echo.cancel(false);
                throw new IOException(NAME + ": no echo within " + timeout.toMillis() + " ms", e);
            } catch (InterruptedException e) {
                echo.cancel(false);
                throw e;
            }
            try {
                return response.readableBytes();
            } finally {
                response.release();
            }
        }

        /** On the event loop: writes every queued request and flushes them together. */
        private void writeQueued() {
            // Cleared first: a request queued from here on schedules another run.
            writeScheduled.set(false);
            for (Call call; (call = outbox.poll()) != null; ) {
                if (failure != null) {
                    call.frame().release();
                    call.echo().completeExceptionally(failure);
                    continue;
                }
                inFlight.add(call.echo());
                channel.write(call.frame(), channel.voidPromise());
            }
            channel.flush();
        }

        /** On the event loop: echoes to the oldest calls, and a broken connection to all of them. */
        private final class Responses extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object frame) {
                CompletableFuture<ByteBuf> oldest = inFlight.poll();
                if (oldest == null) {
                    ((ByteBuf) frame).release();
                    fail(new IOException("an echo came back for no request"));
                    ctx.close();
                } else if (!oldest.complete((ByteBuf) frame)) {
                    // Its caller gave up waiting.
                    ((ByteBuf) frame).release();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                fail(new ClosedChannelException());
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                fail(cause);
                ctx.close();
            }

            private void fail(Throwable cause) {
                if (failure == null) {
                    failure = cause;
                }
                for (CompletableFuture<ByteBuf> call; (call = inFlight.poll()) != null; ) {
                    call.completeExceptionally(cause);
                }
            }
        }

        @Override
        public void close() {
            closeChannel(channel);
        }
    }
}
