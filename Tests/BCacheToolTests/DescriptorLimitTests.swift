import Glibc
import Logging
import Testing

@testable import BCacheTool

/// `bcache node` raises its soft descriptor limit to the hard one at start.
@Suite struct DescriptorLimitTests {
    @Test func theSoftLimitIsRaisedToTheHardOne() throws {
        // One below the hard limit first (the machine's soft limit may already be the hard one).
        var limit = rlimit()
        #expect(getrlimit(DescriptorLimit.resource, &limit) == 0)
        limit.rlim_cur = limit.rlim_max - 1
        #expect(setrlimit(DescriptorLimit.resource, &limit) == 0)
        let before = try #require(DescriptorLimit.current)
        #expect(before.soft < before.hard)
        DescriptorLimit.raiseToHardLimit(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let after = try #require(DescriptorLimit.current)
        #expect(after.hard == before.hard)
        #expect(after.soft == after.hard, "soft \(after.soft), hard \(after.hard) (was \(before.soft))")
    }
}
