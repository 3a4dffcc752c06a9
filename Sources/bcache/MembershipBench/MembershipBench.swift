import BCacheMembership
import BCacheMembershipSimulation
import BCacheTestKit
import Foundation

/// One run of `bcache bench membership`: for each cluster size, a join, the steady state, a crash,
/// and clusters at 10% loss, all on simulated time (``SimulatedCluster``, real wire encoding).
struct MembershipBench {
    var sizes = [16, 64, 256, 1_000]
    /// Clusters run at 10% loss per size; their false deaths are summed.
    var seeds = 3
    /// The steady-state window (0% loss) over which traffic and CPU are averaged. It spans the
    /// push-pull period at 1,000 nodes (30 s stretched to 180 s), so push-pull is in the figures.
    var steadyWindow: Duration = .seconds(200)
    /// Simulated time at 10% loss per seed.
    var lossWindow: Duration = .seconds(600)
    /// The same for clusters of 1,000 nodes or more.
    var largeLossWindow: Duration = .seconds(600)
    /// The longest wait for a join, a detection or a convergence.
    var waitLimit: Duration = .seconds(300)
    /// Crashes, one after another, in the first cluster of each size: detection samples.
    var crashesPerCluster = 4
    /// Writes progress lines to standard error (a full run takes minutes).
    var reportsProgress = true

    /// 16 and 64 nodes, short windows.
    static let quick = MembershipBench(
        sizes: [16, 64], seeds: 3, steadyWindow: .seconds(40), lossWindow: .seconds(60),
        largeLossWindow: .seconds(60), waitLimit: .seconds(120))

    func run() -> MembershipBenchReport {
        let started = ContinuousClock.now
        var report = MembershipBenchReport()
        report.seeds = seeds
        report.steadyWindowSeconds = steadyWindow.seconds
        for size in sizes {
            report.sizes.append(measure(size: size))
        }
        let load = MachineLoad.current()
        report.processors = load.processors
        report.loadAverage = load.loadAverage
        report.elapsedSeconds = (ContinuousClock.now - started).seconds
        return report
    }

    private func measure(size: Int) -> MembershipBenchReport.Size {
        var figures = MembershipBenchReport.Size(nodes: size)
        figures.lossWindowSeconds = (size >= 1_000 ? largeLossWindow : lossWindow).seconds
        let cluster = makeCluster(size: size, seed: UInt64(size))
        figures.joinSeconds =
            cluster.run(
                untilTrue: cluster.hasConverged, timeout: waitLimit, checkingEvery: .milliseconds(50)
            )?.seconds
        progress("\(size) nodes: joined in \(figures.joinSeconds.map { "\($0) s" } ?? "not reached")")

        // Steady state: let the join's updates drain first.
        cluster.run(for: .seconds(30))
        let packetsBefore = cluster.packetsSent
        let bytesBefore = cluster.bytesSent + cluster.pushPullBytes
        let cpuBefore = ProcessCPUTime.nanoseconds()
        cluster.run(for: steadyWindow)
        let nodeSeconds = Double(size) * steadyWindow.seconds
        figures.cpuMicrosecondsPerNodeSecond = Double(ProcessCPUTime.nanoseconds() - cpuBefore) / 1_000 / nodeSeconds
        figures.packetsPerNodeSecond = Double(cluster.packetsSent - packetsBefore) / nodeSeconds
        figures.bytesPerNodeSecond = Double(cluster.bytesSent + cluster.pushPullBytes - bytesBefore) / nodeSeconds
        figures.residentMegabytes = ProcessResources.currentResidentBytes().map { Double($0) / 1e6 }
        progress("\(size) nodes: steady state \(figures.packetsPerNodeSecond) packets/node/s")

        // One crash: every other node must mark it dead.
        figures.detectSeconds = detectCrash(in: cluster, victim: size / 2)
        figures.detectSamples.append(figures.detectSeconds)
        progress("\(size) nodes: crash detected by all in \(figures.detectSeconds.map { "\($0) s" } ?? "not reached")")
        // More crashes in the same cluster, one at a time: each detection depends on where the
        // victim falls in the probers' rounds, so one sample cannot tell a trend from luck.
        for extra in 1..<max(1, crashesPerCluster) {
            cluster.run(for: .seconds(20))
            let sample = detectCrash(in: cluster, victim: (size / 2 + extra * 7) % size)
            figures.detectSamples.append(sample)
            progress("\(size) nodes: crash \(extra + 1) detected by all in \(Self.describe(sample))")
        }

        for seed in 0..<seeds {
            measureLoss(size: size, seed: UInt64(1_000 * size + seed), into: &figures)
        }
        return figures
    }

    /// One cluster at 10% loss: live nodes declared dead, CPU, and convergence once the loss stops.
    private func measureLoss(size: Int, seed: UInt64, into figures: inout MembershipBenchReport.Size) {
        let cluster = makeCluster(size: size, seed: seed)
        guard cluster.run(untilTrue: cluster.hasConverged, timeout: waitLimit, checkingEvery: .milliseconds(100)) != nil
        else {
            figures.lossSeedsNotConverged += 1
            return
        }
        cluster.run(for: .seconds(30))
        var falseDeaths = 0
        // Only the failures: this observer runs inside the window whose CPU is measured.
        cluster.eventObserver = { [self] recorded in
            guard case .failed(let member) = recorded.event else { return }
            falseDeaths += 1
            progress(
                "false death: node \(recorded.observer) declared \(member.identity.name) dead at "
                    + Self.hundredths(recorded.time))
        }
        let window = size >= 1_000 ? largeLossWindow : lossWindow
        cluster.lossRate = 0.10
        let cpuBefore = ProcessCPUTime.nanoseconds()
        cluster.run(for: window)
        let cpu = Double(ProcessCPUTime.nanoseconds() - cpuBefore) / 1_000 / (Double(size) * window.seconds)
        cluster.eventObserver = nil
        cluster.lossRate = 0
        let rejoin = cluster.run(untilTrue: cluster.hasConverged, timeout: waitLimit, checkingEvery: .milliseconds(100))
        figures.falseDeaths += falseDeaths
        figures.lossCPUMicroseconds.append(cpu)
        figures.convergedAfterLossSeconds.append(rejoin?.seconds)
        progress(
            "\(size) nodes, seed \(seed): \(falseDeaths) false deaths at 10% loss, "
                + "\(Int(cpu)) µs/node/s, converged again in \(rejoin.map { "\($0.seconds) s" } ?? "not reached")")
        // Another detection sample: one crash timing depends on the seed (where the victim falls
        // in the probers' rounds), so one sample cannot tell a trend from luck.
        guard rejoin != nil else { return }
        cluster.run(for: .seconds(30))
        let detect = detectCrash(in: cluster, victim: size / 2)
        figures.detectSamples.append(detect)
        progress("\(size) nodes, seed \(seed): crash detected by all in \(detect.map { "\($0) s" } ?? "not reached")")
    }

    /// Crashes `victim` and returns the seconds until every other running node marked it dead.
    private func detectCrash(in cluster: SimulatedCluster, victim: Int) -> Double? {
        let expected = cluster.runningNodes.count - 1
        let victimID = cluster.nodes[victim].instance.identity.id
        var observers: Set<Int> = []
        // Where the time goes: the wait for the first probe of the victim (plus one probe
        // interval) ends at the first suspicion; the suspicion timeout at the first declaration;
        // the rest is the spread of the declarations.
        var firstSuspicion: Duration?
        var firstDeclaration: Duration?
        let crashedAt = cluster.now
        cluster.eventObserver = { recorded in
            switch recorded.event {
            case .failed(let member) where member.identity.id == victimID:
                observers.insert(recorded.observer)
                firstDeclaration = firstDeclaration ?? recorded.time - crashedAt
            case .suspected(let member) where member.identity.id == victimID:
                firstSuspicion = firstSuspicion ?? recorded.time - crashedAt
            default:
                break
            }
        }
        cluster.crash(victim)
        let seconds =
            cluster.run(
                untilTrue: { observers.count == expected }, timeout: waitLimit, checkingEvery: .milliseconds(50)
            )?.seconds
        cluster.eventObserver = nil
        progress(
            "crash of node \(victim): first suspicion at \(Self.hundredths(firstSuspicion)), "
                + "first declaration at \(Self.hundredths(firstDeclaration))")
        return seconds
    }

    private func makeCluster(size: Int, seed: UInt64) -> SimulatedCluster {
        let cluster = SimulatedCluster(settings: .lan, seed: seed)
        cluster.recordsEvents = false
        for _ in 0..<size { cluster.addNode() }
        cluster.join(0, seeds: [])
        for index in 1..<size { cluster.join(index, seeds: [0]) }
        return cluster
    }

    private static func hundredths(_ duration: Duration?) -> String {
        duration.map { String(format: "%.2f s", $0.seconds) } ?? "never"
    }

    private static func describe(_ seconds: Double?) -> String {
        seconds.map { "\($0) s" } ?? "not reached"
    }

    private func progress(_ line: String) {
        guard reportsProgress else { return }
        FileHandle.standardError.write(Data("[bench membership] \(line)\n".utf8))
    }
}
