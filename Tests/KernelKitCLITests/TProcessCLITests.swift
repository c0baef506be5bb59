import Foundation
import Testing

/// `kernelkit fit tprocess`: type-II maximum likelihood (--fit-hyper), classification (--classify) and
/// the bad-input cases (one-line error, non-zero exit, no NaN).
extension CLITests {
    /// 40 rows of two features and a smooth target, and 6 test rows; deterministic.
    static func tprocessRegressionFiles() throws -> (train: String, test: String) {
        func row(_ i: Int) -> String {
            let a = Double(i % 7) / 3 - 1, b = Double((i * 5) % 11) / 5 - 1
            return "\(a),\(b),\(sin(2 * a) + 0.5 * b * b + 0.05 * cos(Double(i)))"
        }
        return (try temporaryFile("tp-train.csv", "a,b,y\n" + (0..<40).map(row).joined(separator: "\n") + "\n"),
                try temporaryFile("tp-test.csv", "a,b,y\n" + (40..<46).map(row).joined(separator: "\n") + "\n"))
    }

    @Test("fit tprocess --fit-hyper: evidence at the fitted hyperparameters ≥ at the start; α stays fixed; JSON lists them")
    func tprocessFitHyper() throws {
        let (train, test) = try Self.tprocessRegressionFiles()
        let common = ["fit", "tprocess", "--data", train, "--test", test, "--target", "y", "--prior", "invgamma:2,1",
                      "--jitter", "0.1", "--arch", "dense(1.5,0.1),relu,dense(1.5,0.1)", "--json"]
        let plain = try Self.run(common)
        let fitted = try Self.run(common + ["--fit-hyper"])
        #expect(plain.status == 0 && fitted.status == 0, "\(plain.stderr) \(fitted.stderr)")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(fitted.stdout.utf8)) as? [String: Any])
        let lmlStart = try #require(a["log_marginal_likelihood"] as? Double), lmlFit = try #require(b["log_marginal_likelihood"] as? Double)
        #expect(lmlFit > lmlStart, "fitted \(lmlFit) vs start \(lmlStart)")
        let h = try #require(b["hyperparameters"] as? [String: Any])
        #expect(h["alpha"] as? Double == 2)
        // The reported optimum is the evidence the closed form recomputes from the fitted architecture.
        let reported = try #require(h["log_marginal_likelihood"] as? Double)
        #expect(abs(reported - lmlFit) <= 1e-9 * abs(lmlFit), "\(reported) vs \(lmlFit)")
        #expect([1, 2, 3].contains(h["depth"] as? Int ?? 0))
    }

    @Test("fit tprocess --classify on iris: accuracy ≥ 0.9, NLL finite and below log 3, same seed same output")
    func tprocessClassify() throws {
        let args = ["fit", "tprocess", "--classify", "--data", "iris", "--prior", "invgamma:2,2", "--jitter", "0.01",
                    "--samples", "400", "--seed", "3", "--json"]
        let r = try Self.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(o["test_accuracy"] as? Double), nll = try #require(o["test_nll"] as? Double)
        #expect(accuracy >= 0.9, "accuracy \(accuracy)")
        #expect(nll > 0 && nll < log(3.0), "NLL \(nll)")
        #expect((o["classes"] as? [Double])?.count == 3)
        let again = try Self.run(args)
        #expect(again.stdout == r.stdout)
    }

    @Test("fit tprocess bad input: one-line error and non-zero exit", arguments: [
        (["--prior", "invgamma:-1,2"], "α ≤ 0"),
        (["--prior", "burr12:2,0"], "Burr d = 0"),
        (["--prior", "cauchy:1"], "unknown prior"),
        (["--jitter", "0", "--arch", "dense(1,0),relu,dense(1,0)", "--duplicate"], "kernel not PD after jitter"),
        (["--test-dimension"], "train/test dimension mismatch"),
        (["--classify", "--prior", "burr12:2,1"], "classification needs the inverse gamma"),
        (["--fit-alpha"], "--fit-alpha without --fit-hyper"),
        (["--classify", "--samples", "0"], "zero Monte Carlo samples"),
    ] as [([String], String)])
    func tprocessBadInput(extra: [String], what: String) throws {
        let (train, test) = try Self.tprocessRegressionFiles()
        var args = ["fit", "tprocess", "--data", train, "--target", "y"]
        var options = extra
        if options.contains("--duplicate") {
            // Two identical rows with ε = 0 and no bias: K is exactly singular.
            options.removeAll { $0 == "--duplicate" }
            args[3] = try Self.temporaryFile("dup.csv", "a,b,y\n1,2,0.5\n1,2,0.5\n0,1,0.1\n-1,0.5,0.3\n")
            args += ["--test", test]
        }
        if options.contains("--test-dimension") {
            options.removeAll { $0 == "--test-dimension" }
            args += ["--test", try Self.temporaryFile("wide.csv", "a,b,c,y\n1,2,3,4\n")]
        }
        let r = try Self.run(args + options)
        #expect(r.status == 1 || r.status == 2, "\(what): status \(r.status)")
        #expect(r.stderr.hasPrefix("kernelkit: error: "), "\(what): \(r.stderr)")
        #expect(r.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(what): \(r.stderr)")
        #expect(!r.stdout.lowercased().contains("nan"), "\(what): \(r.stdout)")
    }
}
