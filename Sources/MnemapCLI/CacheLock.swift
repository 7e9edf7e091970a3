import ArgumentParser
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `mnemap cache lock`: hold files in RAM until interrupted.
struct CacheLock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Load files and lock them in RAM (mlock) until interrupted (Ctrl-C, SIGTERM).",
        discussion: "Needs a locked-memory limit (ulimit -l) at least as large as the files, or CAP_IPC_LOCK."
    )

    @OptionGroup var options: CachePaths

    /// Keeps a mapping (and with it the lock) alive in an array.
    final class Held {
        let file: MappedFile
        init(_ file: consuming MappedFile) { self.file = file }
    }

    func run() throws {
        // Block the signals now, so that they are only taken by sigwait below.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var held: [Held] = []
        let (reports, failures) = forEachFile(under: options.paths) { path throws(MappedMemoryError) in
            let file = try MappedFile(path: path)
            try file.lock()
            let residency = try file.residency()
            held.append(Held(file))
            return residency
        }
        print(render(reports, json: false))
        if held.isEmpty {
            printError("nothing to lock.")
            throw ExitCode(1)
        }
        print("locked \(held.count) \(held.count == 1 ? "file" : "files"); press Ctrl-C to release")
        fflush(nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        withExtendedLifetime(held) {}
        if failures > 0 { throw ExitCode(1) }
    }
}
