// This product's public API speaks the transport protocol's words (`Transport`, `NodeAddress`,
// `TransportProvider`, `TransportStatistics`): re-exported so that importing it alone gives them.
@_exported import BCacheTransport
