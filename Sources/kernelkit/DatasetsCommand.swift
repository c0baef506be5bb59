import ArgumentParser
import Foundation

/// `kernelkit datasets`: lists the bundled datasets usable as `--data NAME`.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List the bundled datasets (use their names with --data).")

    func run() throws {
        let dir = BundledData.directory()
        for entry in BundledData.names {
            print("\(entry.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(entry.about)")
        }
        print(dir.map { "\nfolder: \($0.path)" } ?? "\nfolder: not found (set KERNELKIT_DATASETS)")
    }
}
