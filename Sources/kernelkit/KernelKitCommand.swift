import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit`: the command line over the KernelKit library. One root command; each subcommand lives
/// in its own file. Exit status: 0 success, 1 a failure caused by the data or the computation,
/// 2 a usage error (unknown option, invalid value). Errors are one line on stderr.
@main
struct KernelKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernelkit",
        abstract: "Kernel methods, Gaussian processes and infinite-width network kernels.",
        discussion: """
            Run `kernelkit fit` with no arguments to fit a Gaussian process to the bundled Mauna Loa \
            CO2 series and extrapolate it. `kernelkit help <subcommand>` explains each subcommand.
            """,
        version: KernelKitVersion.string,
        subcommands: [FitCommand.self, PredictCommand.self, KernelCommand.self, AnalyzeCommand.self,
                      BesselCommand.self, DatasetsCommand.self])

    static func main() {
        MemoryTuning.keepLargeAllocationsOnHeap()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            do {
                try command.run()
            } catch let error where !isArgumentParserError(error) {
                // A failure caused by the data or the computation.
                printError(describe(error))
                Foundation.exit(1)
            }
        } catch {
            // Help, version, or a usage error from parsing or validation.
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            printError("\(message) (see `kernelkit help`)")
            Foundation.exit(2)
        }
    }

    /// Errors that ArgumentParser itself raises or interprets (help requests, usage errors, exit codes).
    static func isArgumentParserError(_ error: Error) -> Bool {
        error is ValidationError || error is ExitCode || error is CleanExit
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// Writes `kernelkit: error: <message>` as one line to standard error.
func printError(_ message: String) {
    let oneLine = message.replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("kernelkit: error: \(oneLine)\n".utf8))
}

/// Writes a progress/status line to standard error when it is a terminal (never pollutes stdout).
func printStatus(_ message: String) {
    guard isatty(STDERR_FILENO) != 0 else { return }
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// The user-facing text of any error: KernelKit's errors print their `description`.
func describe(_ error: Error) -> String { String(describing: error) }

enum KernelKitVersion {
    static let string = "0.1.0"
}
