import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit predict pfn`: posterior predictive of a trained PFN in one forward pass.
struct PredictPFNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pfn",
        abstract: "Predict with a prior-data fitted network (one forward pass, no fitting).",
        discussion: """
            --context is a CSV with a header naming the columns x,y (x1,...,xD,y for D-dimensional \
            inputs); it may have no data rows (prediction from the prior alone). --query has the x \
            column(s) and optionally y: then the log predictive density of each y is reported too. \
            The model is --model FILE (from `kernelkit fit pfn`) or the shipped model of --prior gp|lc \
            (gp: x in [0,1], RBF lengthscale 0.2, noise variance 0.01; lc: x = epoch/50 in (0,1], y the \
            learning-curve value). Prints, per query, the predictive mean and the 5%, 50% and 95% \
            quantiles; --json for machine-readable output.
            """)

    @Option(help: "Model file written by `kernelkit fit pfn`.") var model: String?
    @Option(help: "Use the shipped model of this prior (gp or lc); with --model, require the model to be for this prior.") var prior: String?
    @Option(help: "Context CSV with columns x,y (may have no rows).") var context: String
    @Option(help: "Query CSV with column x (and optionally y).") var query: String
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        if let prior, !["gp", "lc"].contains(prior) { throw ValidationError("--prior must be gp or lc, got '\(prior)'") }
    }

    func run() throws {
        runtime.apply()
        let pfn: PFNModel
        if let model {
            pfn = try PFNModel(contentsOf: model)
            if let prior, pfn.prior.kind != prior {
                throw CLIError("\(model) was trained on the \(pfn.prior.kind) prior, not \(prior)")
            }
        } else {
            pfn = try PFNShippedModels.model(forPrior: prior ?? "gp")
        }
        let d = pfn.architecture.inputDimension
        let xNames = d == 1 ? ["x"] : (1...d).map { "x\($0)" }
        let c = try readColumns(context, required: xNames + ["y"], optional: [])
        let q = try readColumns(query, required: xNames, optional: ["y"])
        guard q.rows > 0 else { throw CLIError("\(query) has no query rows") }
        func pointMajor(_ table: Table) -> [Double] {
            var out: [Double] = []
            for i in 0..<table.rows { for name in xNames { out.append(table.columns[name]![i]) } }
            return out
        }
        let contextInputs = pointMajor(c), queryInputs = pointMajor(q)
        let priorModel = try pfn.prior.makePrior()
        let allInputs = contextInputs + queryInputs
        let outside = stride(from: 0, to: allInputs.count, by: d).filter { !priorModel.supports(allInputs[$0..<($0 + d)]) }.count
        if outside > 0 {
            warn("\(outside) input point(s) lie outside the support of the prior's inputs (\(pfn.prior.kind == "gp" ? "[0, 1]" : "(0, 1]")); the network was never trained there")
        }
        if c.rows >= priorModel.pointsPerDataset {
            warn("the context has \(c.rows) points; the network was trained with at most \(priorModel.pointsPerDataset - 1)")
        }
        let predictive = try pfn.predict(contextInputs: contextInputs, contextTargets: c.columns["y"]!, queryInputs: queryInputs)
        let means = predictive.map(\.mean)
        let levels = [0.05, 0.5, 0.95]
        let quantiles = levels.map { level in predictive.map { $0.quantile(level) } }
        let logDensities = q.columns["y"].map { ys in zip(predictive, ys).map { $0.logDensity($1) } }
        if json {
            var object: [String: Any] = [
                "prior": pfn.prior.kind, "context_points": c.rows,
                "x": (0..<q.rows).map { i in d == 1 ? jsonNumber(queryInputs[i]) : Array(queryInputs[(i * d)..<((i + 1) * d)]) as Any },
                "mean": means.map(jsonNumber),
                "quantiles": Dictionary(uniqueKeysWithValues: zip(["0.05", "0.5", "0.95"], quantiles.map { $0.map(jsonNumber) })),
            ]
            if let logDensities {
                object["log_density"] = logDensities.map(jsonNumber)
                object["mean_log_density"] = jsonNumber(logDensities.reduce(0, +) / Double(logDensities.count))
            }
            try printJSON(object)
        } else {
            print("PFN (\(pfn.prior)) with \(c.rows) context point(s):")
            print((xNames + ["mean", "q05", "q50", "q95"] + (logDensities == nil ? [] : ["log_density"])).joined(separator: ","))
            for i in 0..<q.rows {
                var fields = xNames.indices.map { fmt(queryInputs[i * d + $0]) }
                fields += [fmt(means[i]), fmt(quantiles[0][i]), fmt(quantiles[1][i]), fmt(quantiles[2][i])]
                if let logDensities { fields.append(fmt(logDensities[i])) }
                print(fields.joined(separator: ","))
            }
        }
    }

    private func warn(_ message: String) {
        FileHandle.standardError.write(Data("kernelkit: warning: \(message)\n".utf8))
    }

    struct Table {
        var rows: Int
        var columns: [String: [Double]]
    }

    /// Reads a CSV with a header row; `required` columns must be present, `optional` ones may be;
    /// any other column is an error. Every value must be a finite number.
    private func readColumns(_ path: String, required: [String], optional: [String]) throws -> Table {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let header = lines.first else {
            throw CLIError("\(path) is empty; it needs a header row with columns \(required.joined(separator: ","))")
        }
        let names = header.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let allowed = Set(required + optional)
        if let bad = names.first(where: { !allowed.contains($0) }) {
            throw CLIError("\(path): unexpected column '\(bad)'; expected \((required + optional.map { "[\($0)]" }).joined(separator: ","))")
        }
        if let missing = required.first(where: { !names.contains($0) }) {
            throw CLIError("\(path): missing column '\(missing)' in header '\(header)'")
        }
        guard Set(names).count == names.count else { throw CLIError("\(path): repeated column name in header '\(header)'") }
        var columns = Dictionary(uniqueKeysWithValues: names.map { ($0, [Double]()) })
        for (lineIndex, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == names.count else {
                throw CLIError("\(path):\(lineIndex + 1): \(fields.count) fields, the header has \(names.count)")
            }
            for (name, field) in zip(names, fields) {
                guard let value = Double(field), value.isFinite else {
                    throw CLIError("\(path):\(lineIndex + 1): column \(name): '\(field)' is not a finite number")
                }
                columns[name]!.append(value)
            }
        }
        return Table(rows: lines.count - 1, columns: columns)
    }
}
