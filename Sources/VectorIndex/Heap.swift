import MappedMemory
/// A binary heap of (distance, id), ordered by `isBefore` (min-heap or max-heap).
struct DistanceHeap {
    private(set) var items: [(distance: Float, id: UInt32)] = []
    let maxOnTop: Bool

    init(maxOnTop: Bool, capacity: Int = 0) {
        self.maxOnTop = maxOnTop
        items.reserveCapacity(capacity)
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var top: (distance: Float, id: UInt32)? { items.first }

    @inline(__always)
    private func before(_ a: Int, _ b: Int) -> Bool {
        maxOnTop ? items[a].distance > items[b].distance : items[a].distance < items[b].distance
    }

    mutating func push(_ distance: Float, _ id: UInt32) {
        items.append((distance, id))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// On a max-heap of the nearest found so far: takes (distance, id) when fewer than `k` are
    /// kept or it is nearer than the farthest, which then leaves.
    @inline(__always)
    mutating func offer(_ distance: Float, _ id: UInt32, keeping k: Int) {
        if items.count < k || distance < items[0].distance {
            push(distance, id)
            if items.count > k { pop() }
        }
    }

    @discardableResult
    mutating func pop() -> (distance: Float, id: UInt32)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let result = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < items.count && before(left, best) { best = left }
            if right < items.count && before(right, best) { best = right }
            if best == parent { break }
            items.swapAt(parent, best)
            parent = best
        }
        return result
    }

    /// The items, nearest first.
    func sortedAscending() -> [(distance: Float, id: UInt32)] {
        items.sorted { $0.distance < $1.distance || ($0.distance == $1.distance && $0.id < $1.id) }
    }
}

/// Reusable visited marks for graph searches: a tag per node, bumped per search, so a search
/// costs no clearing. Lists are pooled; each search takes one.
final class VisitedList {
    private var tags: UnsafeMutablePointer<UInt16>
    private var capacity = 0
    private var current: UInt16 = 0

    init() { tags = .allocate(capacity: 1) }

    deinit { tags.deallocate() }

    func prepare(count: Int) {
        if capacity < count {
            let grown = max(count, capacity * 2)
            tags.deallocate()
            tags = .allocate(capacity: grown)
            tags.initialize(repeating: 0, count: grown)
            capacity = grown
            current = 0
        }
        current &+= 1
        if current == 0 {
            tags.update(repeating: 0, count: capacity)
            current = 1
        }
    }

    /// Marks `id`; returns whether it was already marked in this search. Ids past the count given
    /// to `prepare` count as visited (they are not published yet).
    @inline(__always)
    func visit(_ id: UInt32) -> Bool {
        guard Int(id) < capacity else { return true }  // never walk to an id past the prepared count
        let slot = tags + Int(id)
        if slot.pointee == current { return true }
        slot.pointee = current
        return false
    }
}

final class VisitedPool: @unchecked Sendable {
    private var lists: [VisitedList] = []
    private let lock = ThreadLock()

    func take() -> VisitedList {
        lock.withLock { lists.popLast() } ?? VisitedList()
    }

    func give(_ list: VisitedList) {
        lock.withLock { lists.append(list) }
    }
}
