import ArgumentParser
import KernelKit

/// `kernelkit fit vmf` (being written this session).
struct FitVMFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vmf", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit fit vmf is not available yet") }
}
