import Testing

@testable import BCacheSecure

/// The keyring: one primary key, any number of installed keys, rotation operations and their
/// refusals.
@Suite struct KeyringTests {
    @Test func installUseAndRemoveRotateThePrimaryKey() throws {
        let (first, second) = (testKey(1), testKey(2))
        let keyring = Keyring(primary: first)
        #expect(keyring.primaryKeyID == first.id)
        keyring.install(second)
        keyring.install(second)  // idempotent
        #expect(keyring.keyIDs == [first.id, second.id])
        #expect(keyring.key(for: second.id)?.id == second.id)
        try keyring.use(second.id)
        #expect(keyring.primaryKeyID == second.id)
        try keyring.remove(first)
        #expect(keyring.keyIDs == [second.id])
        #expect(keyring.key(for: first.id) == nil)
    }

    @Test func removingThePrimaryKeyIsRefused() throws {
        let key = testKey(1)
        let keyring = Keyring(primary: key, others: [testKey(2)])
        #expect(throws: KeyringError(.removingPrimary, "")) { try keyring.remove(key) }
        #expect(keyring.keyIDs.contains(key.id))
    }

    @Test func usingOrRemovingAKeyNotInstalledIsRefused() throws {
        let keyring = Keyring(primary: testKey(1))
        #expect(throws: KeyringError(.notInstalled, "")) { try keyring.use(testKey(9)) }
        #expect(throws: KeyringError(.notInstalled, "")) { try keyring.remove(testKey(9)) }
        #expect(keyring.primaryKeyID == testKey(1).id)
    }

    @Test func keyIDsAreStableAndDistinct() throws {
        #expect(testKey(1).id == testKey(1).id)
        #expect(testKey(1).id != testKey(2).id)
        #expect(testKey(1).id.description.count == 16)
    }
}
