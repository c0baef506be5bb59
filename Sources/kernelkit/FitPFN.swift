import ArgumentParser
import KernelKit

/// `kernelkit fit pfn` (being written this session).
struct FitPFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pfn", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit fit pfn is not available yet") }
}
