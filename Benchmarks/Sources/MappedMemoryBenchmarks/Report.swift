// The table of results and the targets.

/// The results as a Markdown table: best of the runs (median beside it), and
/// speed relative to pread and to the in-memory copy (above 1 = faster).
func printTable(_ results: [Measurement]) {
    let header = ["benchmark", "method", "best", "median", "vs pread", "vs in-memory"]
    var rows: [[String]] = []
    for workload in Workload.allCases {
        let group = results.filter { $0.workload == workload }
        guard let pread = group.first(where: { $0.role == .pread }) else { continue }
        let memory = group.first(where: { $0.role == .memory })
        for m in group {
            let (best, median) = switch workload {
            case .random8, .dependent8, .random4K:
                (format(m.nanosecondsPerOperation(m.best), digits: 1) + " ns/op",
                 format(m.nanosecondsPerOperation(m.median), digits: 1) + " ns/op")
            case .scan:
                (format(m.gigabytesPerSecond(m.best), digits: 2) + " GB/s",
                 format(m.gigabytesPerSecond(m.median), digits: 2) + " GB/s")
            }
            rows.append([
                workload.rawValue, m.method, best, median,
                format(m.speedup(over: pread), digits: 2) + "x",
                memory.map { format(m.speedup(over: $0), digits: 2) + "x" } ?? "",
            ])
        }
    }
    var widths = header.map(\.count)
    for row in rows {
        for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        let padded = cells.enumerated().map { column, cell in
            column >= 2 ? String(repeating: " ", count: widths[column] - cell.count) + cell
                        : cell + String(repeating: " ", count: widths[column] - cell.count)
        }
        return "| " + padded.joined(separator: " | ") + " |"
    }
    print(line(header))
    print("|" + widths.enumerated().map { column, width in
        column >= 2 ? String(repeating: "-", count: width + 1) + ":" : String(repeating: "-", count: width + 2)
    }.joined(separator: "|") + "|")
    for row in rows { print(line(row)) }
}

/// The three targets, checked on the MappedFile row of each workload.
func printTargets(_ results: [Measurement]) {
    struct Target {
        var workload: Workload
        var baseline: Role
        var minimum: Double
        var text: String
    }
    let targets = [
        Target(workload: .random8, baseline: .pread, minimum: 10, text: "random 8 B reads: MappedFile >= 10x pread"),
        Target(workload: .random4K, baseline: .pread, minimum: 1.5, text: "random 4 KiB reads: MappedFile >= 1.5x pread"),
        Target(workload: .scan, baseline: .memory, minimum: 0.9, text: "sequential scan: MappedFile >= 0.9x in-memory copy"),
    ]
    print("Targets (on the MappedFile withUnsafeBytes rows):")
    for target in targets {
        let group = results.filter { $0.workload == target.workload }
        guard let mapped = group.first(where: { $0.role == .mappedFile }),
              let baseline = group.first(where: { $0.role == target.baseline }) else { continue }
        let ratio = mapped.speedup(over: baseline)
        let verdict = ratio >= target.minimum ? "PASS" : "MISS"
        print("  \(verdict)  \(target.text): \(format(ratio, digits: 2))x")
    }
}
