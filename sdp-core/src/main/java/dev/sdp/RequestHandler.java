package dev.sdp;

/** Serves requests arriving at an {@link SdpSocket}; it must call {@link IncomingRequest#reply} once, now or later. */
@FunctionalInterface
public interface RequestHandler {
    /**
     * Handles one request. If it throws, the throw is logged and counted ({@link
     * SdpSocket#handlerErrors}) and the client gets an error response that says only that the
     * handler failed.
     *
     * @param request the request, to answer with {@link IncomingRequest#reply} or {@link IncomingRequest#fail}
     * @throws Exception if handling failed
     */
    void onRequest(IncomingRequest request) throws Exception;
}
