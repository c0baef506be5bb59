import Testing
@testable import KernelKitPFN
