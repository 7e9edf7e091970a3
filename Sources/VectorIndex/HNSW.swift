import MappedMemory
/// Hierarchical Navigable Small World graphs (Malkov & Yashunin), named as in the paper:
/// SEARCH-LAYER, SELECT-NEIGHBORS-HEURISTIC, INSERT.
extension IndexStorage {
    /// SEARCH-LAYER: the `ef` nearest nodes to `query` reachable at `layer` from `entries`,
    /// among the first `limit` nodes. Nodes failing `accept` are walked through but not returned.
    func searchLayer(_ query: PreparedQuery, entries: [(distance: Float, id: UInt32)], ef: Int, layer: Int, limit: Int, visited: VisitedList, accept: ((UInt32) -> Bool)? = nil) -> DistanceHeap {
        visited.prepare(count: limit)
        var candidates = DistanceHeap(maxOnTop: false, capacity: ef * 2)
        var results = DistanceHeap(maxOnTop: true, capacity: ef + 1)
        for entry in entries {
            _ = visited.visit(entry.id)
            candidates.push(entry.distance, entry.id)
            if accept?(entry.id) ?? true {
                results.push(entry.distance, entry.id)
            }
        }
        while let nearest = candidates.pop() {
            if results.count >= ef, let farthest = results.top, nearest.distance > farthest.distance { break }
            forEachUnvisitedNeighbor(nearest.id, layer: layer, limit: limit, visited: visited) { neighbor in
                let distance = self.distance(query, neighbor)
                if results.count < ef || distance < results.top!.distance {
                    candidates.push(distance, neighbor)
                    if accept?(neighbor) ?? true {
                        results.push(distance, neighbor)
                        if results.count > ef { results.pop() }
                    }
                }
            }
        }
        return results
    }

    /// Greedy descent through the layers above `target`: the nearest node found at `target + 1`.
    func greedyDescent(_ query: PreparedQuery, from entry: (id: UInt32, level: Int), to target: Int, limit: Int) -> (distance: Float, id: UInt32) {
        var current = (distance: distance(query, entry.id), id: entry.id)
        var layer = entry.level
        while layer > target {
            var changed = true
            while changed {
                changed = false
                forEachNeighbor(current.id, layer: layer, limit: limit) { neighbor in
                    let distance = self.distance(query, neighbor)
                    if distance < current.distance {
                        current = (distance, neighbor)
                        changed = true
                    }
                }
            }
            layer -= 1
        }
        return current
    }

    /// SELECT-NEIGHBORS-HEURISTIC: from candidates (nearest first), keep a candidate only if it is
    /// nearer to the base than to every neighbour kept so far; at most `maximum`.
    func selectNeighbors(_ candidates: [(distance: Float, id: UInt32)], maximum: Int) -> [UInt32] {
        guard candidates.count > maximum else { return candidates.map(\.id) }
        var kept: [(distance: Float, id: UInt32)] = []
        for candidate in candidates {
            if kept.count >= maximum { break }
            var good = true
            for other in kept where distance(candidate.id, other.id) < candidate.distance {
                good = false
                break
            }
            if good { kept.append(candidate) }
        }
        return kept.map(\.id)
    }

    /// INSERT of node `id` (its vector is stored; its level set) into the graph. Readers keep
    /// searching meanwhile: they skip `id` until it is published. With `locks`, other threads
    /// insert at the same time (a parallel build): every list change holds its node's lock.
    func insert(_ id: UInt32, level: Int, limit: Int, visited: VisitedList, locks: StripedLocks? = nil) {
        let entry: (id: UInt32, level: Int)? = locks?.entry.withLock { () -> (id: UInt32, level: Int)? in
            guard let current = self.entry else {
                setEntry(id, level: level)
                return nil
            }
            return current
        } ?? (locks == nil ? self.entry : nil)
        guard let entry, entry.id != id else {
            if locks == nil && self.entry == nil { setEntry(id, level: level) }
            return
        }
        let query = prepare(vector(id))
        var nearest = greedyDescent(query, from: entry, to: level, limit: limit)
        var entries = [nearest]
        for layer in Swift.stride(from: min(level, entry.level), through: 0, by: -1) {
            let found = searchLayer(query, entries: entries, ef: configuration.efConstruction, layer: layer, limit: limit, visited: visited)
            let candidates = found.sortedAscending().filter { $0.id != id }
            let chosen = selectNeighbors(candidates, maximum: configuration.M)
            let capacity = layer == 0 ? configuration.M0 : configuration.M
            withLock(locks, id) {
                // Links other threads added meanwhile are kept after the chosen ones.
                let existing = locks == nil ? [] : neighbors(id, layer: layer, limit: limit).filter { !chosen.contains($0) }
                setNeighbors(id, layer: layer, Array((chosen + existing).prefix(capacity)))
            }
            for neighbor in chosen {
                withLock(locks, neighbor) {
                    var current = neighbors(neighbor, layer: layer, limit: limit)
                    guard !current.contains(id) else { return }
                    if current.count < capacity {
                        current.append(id)
                        setNeighbors(neighbor, layer: layer, current)
                    } else {
                        // Full: keep the best of the old list plus the new node, chosen by the heuristic.
                        var pool = current.map { (distance: distance(neighbor, $0), id: $0) }
                        pool.append((distance(neighbor, id), id))
                        pool.sort { $0.distance < $1.distance }
                        setNeighbors(neighbor, layer: layer, selectNeighbors(pool, maximum: capacity))
                    }
                }
            }
            entries = candidates.isEmpty ? entries : candidates
            nearest = candidates.first ?? nearest
        }
        if let locks {
            locks.entry.withLock {
                if let current = self.entry, level > current.level { setEntry(id, level: level) }
            }
        } else if level > entry.level {
            setEntry(id, level: level)
        }
    }

    @inline(__always)
    private func withLock(_ locks: StripedLocks?, _ id: UInt32, _ body: () -> Void) {
        if let locks { locks.lock(for: id).withLock(body) } else { body() }
    }
}

/// Locks for a parallel build: one per stripe of node ids, and one for the entry point.
final class StripedLocks: @unchecked Sendable {
    let stripes: [ThreadLock] = (0..<1024).map { _ in ThreadLock() }
    let entry = ThreadLock()
    @inline(__always) func lock(for id: UInt32) -> ThreadLock { stripes[Int(id) & 1023] }
}
