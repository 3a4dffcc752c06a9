// `Membership.Node` runs over `any Transport` and names members by `NodeAddress` and `NodeID`:
// re-exported so that `import BCacheMembership` alone gives them.
@_exported import BCacheBase
@_exported import BCacheTransport
