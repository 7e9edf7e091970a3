import Testing
@testable import MappedMemory
