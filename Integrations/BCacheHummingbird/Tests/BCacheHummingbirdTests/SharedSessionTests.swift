import BCache
import BCacheHummingbird
import BCacheTestKit
import Hummingbird
import HummingbirdAuth
import HummingbirdTesting
import Testing

/// hummingbird-auth sessions stored through the driver: a session opened on one instance of a
/// service authenticates its cookie on another, once the cache has replicated it.
@Suite struct SharedSessionTests {
    struct User: Sendable {
        let name: String
    }

    struct Session: Codable, Sendable {
        let userName: String
    }

    typealias Context = BasicSessionRequestContext<Session, User>

    /// One instance's routes: `PUT /login/:name` opens a session, `GET /me` answers the
    /// session's user (401 without one).
    static func makeApplication(cache: BCache) -> some ApplicationProtocol {
        let router = Router(context: Context.self)
        router.addMiddleware {
            SessionMiddleware(storage: BCachePersistDriver(cache: cache))
        }
        router.put("login/:name") { _, context -> HTTPResponse.Status in
            context.sessions.createSession(Session(userName: try context.parameters.require("name")))
            return .ok
        }
        router.group()
            .addMiddleware {
                SessionAuthenticator { session, _ -> User? in User(name: session.userName) }
            }
            .get("me") { _, context -> String in
                guard let user = context.identity else { throw HTTPError(.unauthorized) }
                return user.name
            }
        return Application(router: router)
    }

    @Test func aSessionOpenedOnOneInstanceIsValidOnAnother() async throws {
        try await withInMemoryCluster(nodes: 2, seed: 41) { cluster in
            let first = Self.makeApplication(cache: cluster[0])
            let second = Self.makeApplication(cache: cluster[1])
            let cookie = try await first.test(.router) { client in
                try await client.execute(uri: "/login/ada", method: .put) { response in
                    #expect(response.status == .ok)
                    return try #require(response.headers[.setCookie])
                }
            }
            try await cluster.waitUntilConverged()
            try await second.test(.router) { client in
                try await client.execute(uri: "/me", method: .get, headers: [.cookie: cookie]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ada")
                }
                try await client.execute(uri: "/me", method: .get) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }
}
