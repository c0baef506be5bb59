import ArgumentParser
import KernelKit

/// `kernelkit predict pfn` (being written this session).
struct PredictPFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pfn", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit predict pfn is not available yet") }
}
