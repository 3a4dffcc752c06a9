// One import for a user's tests: `import BCacheTestKit` gives the facade (and, through it, the
// in-memory network, `ManualWallClock` and `Membership.ManualDriverClock`) and the waits with
// deadlines (`eventually`, `withTimeLimit`, `TimedOut`, from BCacheTransportTestKit) beside the
// kit.
@_exported import BCache
@_exported import BCacheTransportTestKit
