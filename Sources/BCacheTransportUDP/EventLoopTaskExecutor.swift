import NIOCore

/// Runs Swift tasks on one NIO event loop, for tasks that prefer it as their executor
/// (`withTaskExecutorPreference`, `addTask(executorPreference:)`).
///
/// A task that consumes a socket's packets on the event loop that reads them resumes in the same
/// loop tick as the read, with no thread wake-up, and writes to the socket without the hop a
/// write from another thread costs. That is most of a packet's latency between two idle nodes.
package final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// An executor for the tasks that prefer `eventLoop`.
    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
