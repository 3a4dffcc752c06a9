/// Deadline arithmetic that clamps instead of trapping: a huge TTL or delay means "never".
extension UInt64 {
    /// `self + other`, or `UInt64.max` when that overflows.
    func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
