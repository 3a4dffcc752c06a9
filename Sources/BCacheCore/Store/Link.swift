/// A slot's neighbours in its list.
struct Link {
    /// Towards the head (more recent), or ``Slot/none``.
    var prev: Int32
    /// Towards the tail (older), or ``Slot/none``; the next free slot in the free list.
    var next: Int32
}
