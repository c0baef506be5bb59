import Testing
@testable import KernelKitPDE
