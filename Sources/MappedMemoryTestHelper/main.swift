// A child process for the multi-process tests of MappedMemory.
// Each command does one thing to a shared file and reports on stdout; commands that
// hold something print "ready" and then wait to be killed.
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func say(_ text: String) {
    print(text)
    fflush(nil)
}

/// Waits to be killed, keeping `resource` alive: a noncopyable value's lifetime may
/// otherwise end (and its deinit run) after its last use.
func waitToBeKilled<T: ~Copyable>(holding resource: borrowing T) -> Never {
    while true {
        withExtendedLifetime(resource) { _ = sleep(60) }
    }
}

func fail(_ text: String) -> Never {
    let line = "helper: \(text)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("no command") }
func argument(_ index: Int) -> String {
    guard index < arguments.count else { fail("\(command): missing argument \(index)") }
    return arguments[index]
}
func integer(_ index: Int) -> Int {
    guard let value = Int(argument(index)) else { fail("\(command): argument \(index) is not an integer") }
    return value
}

do {
    switch command {
    case "store":  // store <path> <offset> <UInt64>
        var file = try MappedFile(path: argument(1), mode: .readWrite)
        try file.storeBytes(of: UInt64(integer(3)), toByteOffset: integer(2))
        say("stored")
    case "load":  // load <path> <offset>
        let file = try MappedFile(path: argument(1), mode: .readOnly)
        say(String(try file.load(fromByteOffset: integer(2), as: UInt64.self)))
    case "increment":  // increment <path> <offset> <times>
        let file = try MappedFile(path: argument(1), mode: .readWrite)
        let counter = try file.atomic(UInt64.self, at: integer(2))
        for _ in 0..<integer(3) { counter.wrappingIncrement(by: 1, ordering: .relaxed) }
        say("done")
    case "mutex-increment":  // mutex-increment <path> <mutexOffset> <counterOffset> <times>: a plain (non-atomic) counter under the mutex
        let file = try MappedFile(path: argument(1), mode: .readWrite)
        let mutex = try file.robustMutex(at: integer(2))
        let counter = file.unsafeBaseAddress! + integer(3)
        for _ in 0..<integer(4) {
            try mutex.withLock {
                let value = counter.load(as: UInt64.self)
                counter.storeBytes(of: value + 1, as: UInt64.self)
            }
        }
        say("done")
    case "hold-mutex":  // hold-mutex <path> <offset>
        let file = try MappedFile(path: argument(1), mode: .readWrite)
        let mutex = try file.robustMutex(at: integer(2))
        try mutex.lock()
        say("ready")
        waitToBeKilled(holding: file)
    case "hold-lock":  // hold-lock <path> shared|exclusive
        let lock = try FileLock(path: argument(1))
        try lock.lock(argument(2) == "shared" ? .shared : .exclusive)
        say("ready")
        waitToBeKilled(holding: lock)
    case "try-lock":  // try-lock <path> shared|exclusive
        let lock = try FileLock(path: argument(1))
        say(try lock.tryLock(argument(2) == "shared" ? .shared : .exclusive) ? "acquired" : "busy")
    case "truncate":  // truncate <path> <size>
        guard truncate(argument(1), off_t(integer(2))) == 0 else { fail("truncate: errno \(errno)") }
        say("truncated")
    case "shm-store":  // shm-store <name> <count> <offset> <UInt64>
        var memory = try SharedMemory.open(name: argument(1), count: integer(2), create: false)
        try memory.storeBytes(of: UInt64(integer(4)), toByteOffset: integer(3))
        say("stored")
    case "store-and-wake":  // store-and-wake <path> <offset> <UInt32>: sets a futex word and wakes its waiters
        let file = try MappedFile(path: argument(1), mode: .readWrite)
        let word = try file.atomic(UInt32.self, at: integer(2))
        usleep(50_000)
        word.store(UInt32(integer(3)))
        say("woke \(word.wake())")
    case "unguarded-read-after-truncate":  // unguarded-read-after-truncate <path>: must die of SIGBUS
        let file = try MappedFile(path: argument(1))
        _ = try file.guardedLoad(fromByteOffset: 0, as: UInt8.self)  // installs the SIGBUS handler
        guard truncate(argument(1), 0) == 0 else { fail("truncate: errno \(errno)") }
        let value = file.withUnsafeBytes { $0[file.count - 1] }
        say("survived \(value)")
    default:
        fail("unknown command \(command)")
    }
} catch {
    fail("\(error)")
}
