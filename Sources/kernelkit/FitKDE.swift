import ArgumentParser
import KernelKit

/// `kernelkit fit kde` (being written this session).
struct FitKDECommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kde", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit fit kde is not available yet") }
}
