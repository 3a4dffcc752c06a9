/// SWIM membership with the Lifeguard refinements, as a pure state machine.
///
/// ``Membership/Instance`` holds one node's view of the cluster. It performs no I/O and never reads
/// a clock: a driver feeds it incoming messages, timer expirations and the current time, and runs
/// the ``Membership/Directive``s it returns (send a packet, schedule a timer, report an event).
/// Tests drive it with a virtual clock and a simulated network.
///
/// The protocol follows hashicorp/memberlist (SWIM with suspicion, Lifeguard's local health
/// awareness, dogpile-shrinking suspicion timeouts and the buddy system) and adds a separate
/// dissemination queue for user payloads and automatic reconnection after a partition.
public enum Membership {}
