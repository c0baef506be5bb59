import ArgumentParser
import KernelKit

/// `kernelkit bessel` (being written this session).
struct BesselCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bessel", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit bessel is not available yet") }
}
