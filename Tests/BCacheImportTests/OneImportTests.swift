import BCache
import BCacheTransportUDPTCP
import Testing

/// `import BCache` plus one transport product is all a user writes: the snippets beside this
/// file compile with those imports only; this test runs the same words on a real node.
@Suite struct OneImportTests {
    @Test func aLoneNodeOnLoopbackAnswersWithTheFacadeImportsOnly() async throws {
        var configuration = BCache.Configuration(transport: .udpAndTCP())
        configuration.network.listen = "127.0.0.1:0"
        configuration.membership = Membership.Settings.singleMachine
        let cache = try await BCache(configuration: configuration)
        try await cache.start()
        try cache.set("greeting", "hello")
        let value = cache.getString("greeting")
        let port = cache.address.port
        let names = cache.members.map(\.name)
        await cache.shutdown()
        #expect(value == "hello")
        #expect(port != 0)
        #expect(names == [cache.name])
    }
}
