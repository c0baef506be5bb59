import Foundation
import Testing

/// End-to-end tests of the real `kernelkit` executable: help text, the main jobs, and bad input
/// failing cleanly (one line on stderr, exit status 1 or 2, never a crash).
@Suite("kernelkit command line", .serialized)
struct CLITests {
    struct Run { let status: Int32; let stdout: String; let stderr: String }

    static let executable: URL = {
        // The test bundle sits in the build products folder, next to the executable.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("kernelkit")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.appendingPathComponent("kernelkit")
    }()
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], input: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = repository
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kk-cli-\(UUID().uuidString)-\(name)")
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("help lists the subcommands and documents the kernel grammar")
    func help() throws {
        let root = try Self.run(["--help"])
        #expect(root.status == 0)
        for sub in ["fit", "predict", "kernel", "analyze", "bessel", "datasets"] { #expect(root.stdout.contains(sub)) }
        let fitGroup = try Self.run(["fit", "--help"])
        for sub in ["regression", "pde", "kde", "dkm", "vmf", "pfn"] { #expect(fitGroup.stdout.contains(sub)) }
        let fit = try Self.run(["fit", "regression", "--help"])
        #expect(fit.status == 0 && fit.stdout.contains("KERNEL EXPRESSIONS") && fit.stdout.contains("periodic"))
        let version = try Self.run(["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    @Test("fit --json on the CO2 series: finite log marginal likelihood and a held-out RMSE of a few ppm")
    func defaultFitJSON() throws {
        // The default job with no extra restarts (same data, kernel and split as `kernelkit fit`).
        let r = try Self.run(["fit", "--json", "--restarts", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lml = try #require(object["log_marginal_likelihood"] as? Double)
        let rmse = try #require(object["test_rmse"] as? Double)
        #expect(lml.isFinite && lml > 500, "log marginal likelihood \(lml)")
        // 6.5 years of extrapolation; the classic kernel stays within a few ppm (sklearn's example: ~1-3 ppm).
        #expect(rmse > 0 && rmse < 5, "held-out RMSE \(rmse) ppm")
        #expect(object["kernel"] is String && object["hyperparameters"] is [String: Any])
    }

    @Test("fit on another bundled dataset, save the model, predict with it, and plot")
    func diabetesFitPredict() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = dir.appendingPathComponent("model.json").path, plot = dir.appendingPathComponent("fit.svg").path
        let r = try Self.run(["fit", "--data", "diabetes", "--restarts", "0", "--json", "--save-model", model, "--plot", plot])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rmse = try #require(object["test_rmse"] as? Double)
        // Target std ≈ 77; a GP explains about half the variance (RMSE ≈ 55 on this split).
        #expect(rmse > 30 && rmse < 70, "diabetes RMSE \(rmse)")
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("<svg"))
        let inputs = try Self.temporaryFile("x.csv", "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n0.038,0.05,0.06,0.02,-0.04,-0.03,-0.04,-0.002,0.02,-0.017\n")
        let p = try Self.run(["predict", "--model", model, "--data", inputs])
        #expect(p.status == 0, "\(p.stderr)")
        let lines = p.stdout.split(separator: "\n")
        #expect(lines.first == "mean,std" && lines.count == 2)
        let values = lines[1].split(separator: ",").compactMap { Double($0) }
        #expect(values.count == 2 && values[0] > 25 && values[0] < 350 && values[1] > 0)
    }

    @Test("kernel prints a symmetric NTK as CSV with full precision")
    func kernelCommand() throws {
        let x = try Self.temporaryFile("x.csv", "1,2,3\n0.5,-1,2\n-1,0,1\n")
        let r = try Self.run(["kernel", "--arch", "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)", "--x", x, "--get", "nngp"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: ",").map { Double($0)! } }
        #expect(rows.count == 3 && rows.allSatisfy { $0.count == 3 })
        // neural-tangents 0.6.5 (reference/ntk/mlp_kernels.json, relu_d2, X5[0,0] and [0,1]).
        #expect(abs(rows[0][0] - 13.297539062499999) <= 1e-10 * 13.3)
        #expect(abs(rows[0][1] - 5.670703663809894) <= 1e-10 * 5.7)
        #expect(rows[0][1] == rows[1][0])
    }

    @Test("bad input fails with one line on stderr and exit status 1 or 2", arguments: [
        (["fit", "--data", "/nonexistent/file.csv"], "missing file"),
        (["fit", "--data", "diabetes", "--kernel", "rbf + foo"], "unknown kernel"),
        (["fit", "--data", "diabetes", "--kernel", "rbf(length=", "--restarts", "0"], "truncated expression"),
        (["fit", "--test-fraction", "1.5"], "fraction out of range"),
        (["fit", "--bogus"], "unknown option"),
        (["kernel", "--arch", "dense(1.5),foo", "--x", "datasets/iris.csv"], "unknown layer"),
        (["kernel", "--arch", "dense(1.5,", "--x", "datasets/iris.csv"], "unparseable spec"),
        (["predict", "--model", "/nonexistent.json", "--data", "datasets/iris.csv"], "missing model"),
        (["fit", "tprocess", "--data", "diabetes", "--prior", "invgamma:0,1"], "prior out of domain"),
        (["fit", "tprocess", "--data", "diabetes", "--prior", "student:3"], "unknown prior"),
    ] as [([String], String)])
    func badInput(arguments: [String], what: String) throws {
        let r = try Self.run(arguments)
        #expect(r.status == 1 || r.status == 2, "\(what): status \(r.status)")
        #expect(r.stderr.hasPrefix("kernelkit: error: "), "\(what): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)")
        #expect(!r.stdout.lowercased().contains("nan"))
    }

    @Test("malformed data files name the problem", arguments: [
        ("a,b,target\n1,2,3\n4,x,6\n", "bad.csv:3: non-numeric value 'x'"),
        ("a,b,target\n1,2,3\n4,5\n", "bad.csv:3: wrong number of fields"),
        ("a,b,target\n1,2,3\n4,nan,6\n7,8,9\n1,1,1\n", "target"),
        ("a,b,target\n1,2,3\n4,inf,6\n7,8,9\n", "bad.csv:3"),
        ("a,b,target\n1,2,abc\n3,4,5\n", "abc"),
        ("", "empty"),
    ])
    func malformedCSV(contents: String, mentions: String) throws {
        let path = try Self.temporaryFile("bad.csv", contents)
        let r = try Self.run(["fit", "--data", path, "--target", "target", "--restarts", "0", "--no-normalize"])
        if mentions == "target" {
            // A NaN is a missing value: an error naming line and column, unless --drop-missing.
            #expect(r.status == 1 && r.stderr.contains("bad.csv:3") && r.stderr.contains("\"b\""), "\(r.stderr)")
            let dropped = try Self.run(["fit", "--data", path, "--target", "target", "--restarts", "0", "--drop-missing"])
            #expect(dropped.status == 0, "\(dropped.stderr)")
            #expect(dropped.stdout.contains("1 rows with missing values dropped"), "\(dropped.stdout)")
            return
        }
        #expect(r.status == 1, "status \(r.status): \(r.stderr)")
        #expect(r.stderr.contains(mentions), "\(r.stderr)")
    }

    @Test("fit tprocess reproduces the Student-t process reference (closed form)")
    func tprocessReference() throws {
        // Fixture data of Tests/KernelKitScaleMixturesTests (student_t_process.json, IG(2, 2), ε = 0.01).
        let url = Self.repository.appendingPathComponent("Tests/KernelKitScaleMixturesTests/Fixtures/student_t_process.json")
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let xs = try #require(ref["x_train"] as? [[Double]]), ys = try #require(ref["y_train"] as? [Double])
        let train = try Self.temporaryFile("train.csv", "a,b,y\n" + zip(xs, ys).map { "\($0[0]),\($0[1]),\($1)" }.joined(separator: "\n") + "\n")
        let r = try Self.run(["fit", "tprocess", "--arch", "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1,0)",
                              "--no-standardize", "--prior", "invgamma:2,2", "--jitter", "0.01", "--data", train, "--target", "y",
                              "--test", train, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lml = try #require(object["log_marginal_likelihood"] as? Double)
        // student_t_process.json, case alpha = beta = 2: log_marginal_likelihood −28.800097566814685.
        #expect(abs(lml - -28.800097566814685) <= 1e-10 * 28.8, "log marginal likelihood \(lml)")
    }
}
