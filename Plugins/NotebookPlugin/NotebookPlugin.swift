import Foundation
import PackagePlugin

/// Turns every Markdown notebook in the target's folder into a Swift Testing suite, compiled by
/// `NotebookCompiler`. ```swift fences become cells of one test function (sharing one scope); an
/// ```output fence right after a cell is its expected standard output.
@main
struct NotebookPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let compiler = try context.tool(named: "NotebookCompiler")
        return module.sourceFiles(withSuffix: "md").compactMap { file in
            let name = file.url.deletingPathExtension().lastPathComponent
            guard name.uppercased() != "README" else { return nil }
            let output = context.pluginWorkDirectoryURL.appending(path: "\(name).notebook.swift")
            return .buildCommand(
                displayName: "Compiling notebook \(file.url.lastPathComponent)",
                executable: compiler.url,
                arguments: [file.url.path, output.path],
                inputFiles: [file.url],
                outputFiles: [output])
        }
    }
}
