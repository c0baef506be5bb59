import ArgumentParser
import KernelKit

/// `kernelkit fit pde` (being written this session).
struct FitPDECommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pde", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit fit pde is not available yet") }
}
