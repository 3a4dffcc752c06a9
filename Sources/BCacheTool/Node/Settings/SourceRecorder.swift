import Configuration
import Synchronization

/// Records which provider answered (or failed) each key read through a `ConfigReader`.
///
/// swift-configuration's optional readers return nil both when no provider has a key and when
/// one has a value it cannot convert (`BCACHE_MAX_KEYS=lots`), telling the difference only to the
/// reader's access reporter. This reporter keeps that, so that a bad value stops the node with
/// an error naming its source instead of falling back to a default.
package final class SourceRecorder: AccessReporter {
    /// What the providers said about one key, by the provider's index in the reader.
    package enum Outcome: Sendable, Equatable {
        case answered(provider: Int)
        case failed(provider: Int)
    }

    private let outcomes = Mutex<[[String]: Outcome]>([:])

    package init() {}

    package func report(_ event: AccessEvent) {
        // The reader asks the providers in order and stops at the first value or error.
        let outcome = event.providerResults.enumerated().lazy.compactMap { index, providerResult -> Outcome? in
            switch providerResult.result {
            case .failure: .failed(provider: index)
            case .success(let lookup) where lookup.value == nil: nil
            case .success: event.conversionError == nil ? .answered(provider: index) : .failed(provider: index)
            }
        }.first
        outcomes.withLock { $0[event.metadata.key.components] = outcome }
    }

    /// What the last read of `key` found; nil when no provider had it.
    package func outcome(of key: ConfigKey) -> Outcome? {
        outcomes.withLock { $0[key.components] }
    }
}
