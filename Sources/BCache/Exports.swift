// One import: `import BCache` gives every type the facade's public API uses (`NodeID`,
// `NodeAddress`, `Membership.Settings.wan`, `Membership.Member.name`, `StoreError`,
// `TransportProvider`, `InMemoryNetwork`, ...). Without these, a user with `MemberImportVisibility`
// would have to import each defining module by hand (Tests/BCacheImportTests checks it).
@_exported import BCacheBase
@_exported import BCacheCore
@_exported import BCacheMembership
@_exported import BCacheTransport
