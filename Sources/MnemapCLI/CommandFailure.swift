import ArgumentParser
import Embeddings
import MappedStore
import Mnemap
import VectorIndex

/// A failure of a command (not of the store or index), with the message to print.
struct CommandFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Runs a command's body, printing store, index, memory, embedding and command failures as `mnemap: <description>`
/// on standard error and exiting with status 1.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as StoreError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as VectorIndexError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as MemoryError {
        printError(error.description)
        throw ExitCode(1)
    } catch let error as EmbeddingError {
        printError(error.description)
        throw ExitCode(1)
    } catch let failure as CommandFailure {
        printError(failure.message)
        throw ExitCode(1)
    }
}
