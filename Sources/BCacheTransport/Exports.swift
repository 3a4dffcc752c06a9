// `SplitMix64`, the in-memory network's seeded generator, lives in BCacheBase; re-exported so that
// `import BCacheTransport` keeps giving it, as it did before the move.
@_exported import BCacheBase
