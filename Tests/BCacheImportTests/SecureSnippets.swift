import BCache
import BCacheSecure
import BCacheTransportUDPTCP

/// README "Encryption" and SecuringACluster: a keyring from a key file.
func readmeEncryption(configuration: inout BCache.Configuration) throws {
    let keyring = Keyring(primary: try SecretKey(contentsOfFile: "cluster.key"))
    configuration.transport = .udpAndTCP().encrypted(keyring: keyring)
}
