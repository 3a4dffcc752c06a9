import NIOCore

/// Closes a connection when the `IdleStateHandler` before it reports no traffic for the idle
/// timeout: a pooled packet connection is reopened on the next send, and a peer that vanished
/// without a FIN stops holding a socket.
final class IdleCloseHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
