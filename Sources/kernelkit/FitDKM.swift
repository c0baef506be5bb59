import ArgumentParser
import KernelKit

/// `kernelkit fit dkm` (being written this session).
struct FitDKMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dkm", abstract: "(in progress)")
    func run() throws { throw CLIError("kernelkit fit dkm is not available yet") }
}
