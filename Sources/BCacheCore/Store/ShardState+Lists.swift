/// The intrusive doubly linked lists threaded through a shard's entry blocks.
///
/// Live entries form the live list in second-chance order (head = newest arrival or latest
/// second chance, tail = looked at first for eviction; see `evictOverflow`); tombstones
/// form a FIFO list (head = newest, tail = purged first when over the bound). An entry is in the
/// list its kind says, so the kind must be set before linking and still set when unlinking.
extension ShardState {
    /// Links `block` at the head of its kind's list.
    mutating func pushFront(_ block: EntryBlock) {
        let tombstone = block.isTombstone
        let oldHead = tombstone ? tombstoneHead : liveHead
        block.prev = nil
        block.next = oldHead
        oldHead?.prev = block
        if tombstone {
            tombstoneHead = block
            if tombstoneTail == nil { tombstoneTail = block }
        } else {
            liveHead = block
            if liveTail == nil { liveTail = block }
        }
    }

    /// Takes `block` out of its kind's list.
    mutating func unlink(_ block: EntryBlock) {
        let tombstone = block.isTombstone
        let prev = block.prev
        let next = block.next
        point(after: prev, at: next, tombstone: tombstone)
        point(before: next, at: prev, tombstone: tombstone)
        block.prev = nil
        block.next = nil
    }

    /// Points the neighbours (or the list's ends) of `block` at it: it replaced a block of the
    /// same kind in its list, whose links it copied (``EntryBlock/replacingValue(with:)``).
    mutating func relink(moved block: EntryBlock) {
        let tombstone = block.isTombstone
        point(after: block.prev, at: block, tombstone: tombstone)
        point(before: block.next, at: block, tombstone: tombstone)
    }

    /// Makes `block` follow `prev` in its list, or head the list when `prev` is nil.
    private mutating func point(after prev: EntryBlock?, at block: EntryBlock?, tombstone: Bool) {
        if let prev {
            prev.next = block
        } else if tombstone {
            tombstoneHead = block
        } else {
            liveHead = block
        }
    }

    /// Makes `block` precede `next` in its list, or end the list when `next` is nil.
    private mutating func point(before next: EntryBlock?, at block: EntryBlock?, tombstone: Bool) {
        if let next {
            next.prev = block
        } else if tombstone {
            tombstoneTail = block
        } else {
            liveTail = block
        }
    }

    /// Moves a live `block` to the head of the live list (a second chance).
    mutating func touch(_ block: EntryBlock) {
        guard let oldHead = liveHead, oldHead != block else { return }
        // Not the head, so it has a previous entry; unlink and relink with the fewest writes.
        let prev = block.prev!
        let next = block.next
        prev.next = next
        if let next {
            next.prev = prev
        } else {
            liveTail = prev
        }
        block.prev = nil
        block.next = oldHead
        oldHead.prev = block
        liveHead = block
    }
}
