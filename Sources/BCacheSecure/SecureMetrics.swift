import Metrics

/// The swift-metrics counters of one secure transport, made once so that counting a message is
/// one increment.
///
/// `bcache_secure_messages_total{kind, outcome}` with kind `packet` or `frame` and outcome
/// `sealed`, `opened`, `plaintext_sent` or `plaintext_accepted`;
/// `bcache_secure_rejected_total{kind, reason}` with the ``SecureTransport/RejectionReason``.
struct SecureMetrics: Sendable {
    enum Outcome: String, CaseIterable {
        case sealed, opened
        case plaintextSent = "plaintext_sent"
        case plaintextAccepted = "plaintext_accepted"
    }

    private let outcomes: [SecureEnvelope.Kind: [Outcome: Counter]]
    private let rejections: [SecureEnvelope.Kind: [SecureTransport.RejectionReason: Counter]]

    init(clusterLabel: String, factory: any MetricsFactory, dimensions: [(String, String)]) {
        var outcomes: [SecureEnvelope.Kind: [Outcome: Counter]] = [:]
        var rejections: [SecureEnvelope.Kind: [SecureTransport.RejectionReason: Counter]] = [:]
        for kind in [SecureEnvelope.Kind.packet, .frame] {
            let kindName = kind == .packet ? "packet" : "frame"
            for outcome in Outcome.allCases {
                outcomes[kind, default: [:]][outcome] = Counter(
                    label: "bcache_secure_messages_total",
                    dimensions: dimensions + [
                        ("cluster", clusterLabel), ("kind", kindName), ("outcome", outcome.rawValue),
                    ],
                    factory: factory)
            }
            for reason in SecureTransport.RejectionReason.allCases {
                rejections[kind, default: [:]][reason] = Counter(
                    label: "bcache_secure_rejected_total",
                    dimensions: dimensions + [
                        ("cluster", clusterLabel), ("kind", kindName), ("reason", reason.rawValue),
                    ],
                    factory: factory)
            }
        }
        self.outcomes = outcomes
        self.rejections = rejections
    }

    func count(_ outcome: Outcome, _ kind: SecureEnvelope.Kind) {
        outcomes[kind]?[outcome]?.increment()
    }

    func reject(_ reason: SecureTransport.RejectionReason, _ kind: SecureEnvelope.Kind) {
        rejections[kind]?[reason]?.increment()
    }
}
