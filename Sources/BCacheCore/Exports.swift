// The shared vocabulary (`NodeID`, the byte codec, the wall clock) lives one floor down in
// BCacheBase; re-exported so that `import BCacheCore` keeps giving it, as it did before the move.
@_exported import BCacheBase
