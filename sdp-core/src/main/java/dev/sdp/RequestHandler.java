package dev.sdp;

/** Serves requests arriving at an {@link SdpSocket}; it must call {@link IncomingRequest#reply} once, now or later. */
@FunctionalInterface
public interface RequestHandler {
    void onRequest(IncomingRequest request) throws Exception;
}
