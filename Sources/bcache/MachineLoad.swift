#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The processors the benchmark may use and how busy the machine is, printed with the figures:
/// two threads cannot run at once when the machine has one processor free.
struct MachineLoad: Sendable {
    /// Processors online.
    let processors: Int
    /// The 1-minute load average, when the system reports it.
    let loadAverage: Double?

    static func current() -> MachineLoad {
        var averages = [Double](repeating: 0, count: 3)
        let loaded = getloadavg(&averages, 3) >= 1
        return MachineLoad(processors: sysconf(Int32(_SC_NPROCESSORS_ONLN)), loadAverage: loaded ? averages[0] : nil)
    }
}
