// This product's public API hands out both halves (`UDPTCPTransport.udp`, `.tcp`, their
// configurations): re-exported so that `import BCacheTransportUDPTCP` alone gives them.
@_exported import BCacheTransportTCP
@_exported import BCacheTransportUDP
