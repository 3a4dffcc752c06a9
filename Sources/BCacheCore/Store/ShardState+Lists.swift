/// The intrusive doubly linked lists threaded through a shard's slots.
///
/// Live entries form the live list in second-chance order (head = newest arrival or latest
/// second chance, tail = looked at first for eviction; see `evictOverflow`); tombstones
/// form a FIFO list (head = newest, tail = purged first when over the bound). A slot is in the
/// list its kind says, so the kind must be set before linking and still set when unlinking.
extension ShardState {
    /// Links `slot` at the head of its kind's list.
    mutating func pushFront(_ slot: Int32) {
        let index = Int(slot)
        let tombstone = slots[index].isTombstone
        let oldHead = tombstone ? tombstoneHead : liveHead
        slots[index].prev = Slot.none
        slots[index].next = oldHead
        if oldHead != Slot.none {
            slots[Int(oldHead)].prev = slot
        }
        if tombstone {
            tombstoneHead = slot
            if tombstoneTail == Slot.none { tombstoneTail = slot }
        } else {
            liveHead = slot
            if liveTail == Slot.none { liveTail = slot }
        }
    }

    /// Takes `slot` out of its kind's list.
    mutating func unlink(_ slot: Int32) {
        let index = Int(slot)
        let tombstone = slots[index].isTombstone
        let prev = slots[index].prev
        let next = slots[index].next
        if prev != Slot.none {
            slots[Int(prev)].next = next
        } else if tombstone {
            tombstoneHead = next
        } else {
            liveHead = next
        }
        if next != Slot.none {
            slots[Int(next)].prev = prev
        } else if tombstone {
            tombstoneTail = prev
        } else {
            liveTail = prev
        }
        slots[index].prev = Slot.none
        slots[index].next = Slot.none
    }

    /// Moves a live `slot` to the head of the live list (a second chance).
    mutating func touch(_ slot: Int32) {
        let oldHead = liveHead
        guard oldHead != slot else { return }
        // Not the head, so it has a previous entry; unlink and relink with the fewest writes.
        let index = Int(slot)
        let prev = slots[index].prev
        let next = slots[index].next
        slots[Int(prev)].next = next
        if next != Slot.none {
            slots[Int(next)].prev = prev
        } else {
            liveTail = prev
        }
        slots[index].prev = Slot.none
        slots[index].next = oldHead
        slots[Int(oldHead)].prev = slot
        liveHead = slot
    }

    /// A free slot to fill: from the free list, or a new one at the end.
    mutating func allocateSlot() -> Int32 {
        if freeHead != Slot.none {
            let slot = freeHead
            freeHead = slots[Int(slot)].next
            return slot
        }
        precondition(slots.count < Int(Int32.max) - 1, "shard slot table full")
        slots.append(.free)
        return Int32(slots.count - 1)
    }

    /// Clears `slot` (freeing its key and value) and puts it on the free list.
    mutating func releaseSlot(_ slot: Int32) {
        let index = Int(slot)
        slots[index].bytes.release()
        slots[index].prev = Slot.none
        slots[index].next = freeHead
        freeHead = slot
    }
}
