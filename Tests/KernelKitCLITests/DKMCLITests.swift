import Foundation
import Testing

/// `kernelkit fit dkm`: the reference example reproduced through the command line, held-out metrics,
/// and bad input failing with one line.
extension CLITests {
    /// The 6-point example of the DKM reference (Tests/KernelKitDKMTests/Fixtures/dkm_small.json), with its
    /// conventions selected by flags; the objective at ν = 1 must match the reference's −4.165020455226486
    /// to 1e-8 relative, both for the full-rank machine and the sparse one with all points inducing.
    @Test("fit dkm reproduces the dkm_small objective (ν = 1) to 1e-8, full and sparse")
    func dkmSmallObjective() throws {
        let data = try Self.temporaryFile("small.csv", "x,y\n-1.5,-0.9\n-0.9,-0.4\n-0.3,0.3\n0.3,0.8\n0.9,0.5\n1.5,-0.2\n")
        let flags = ["fit", "dkm", "--data", data, "--target", "y", "--layers", "2", "--kernel", "relu", "--nu", "1",
                     "--bias-feature", "--noise", "0.1", "--fixed-noise", "--raw", "--json"]
        for extra in [[], ["--inducing", "6"]] {
            let r = try Self.run(flags + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let objective = try #require(object["objective"] as? Double)
            #expect(abs(objective - -4.165020455226486) <= 1e-8 * 4.17, "\(extra): objective \(objective)")
        }
    }

    /// Regression with a test file: the JSON has test_rmse and test_nll; on y = |x| (which the arc-cosine
    /// map with a bias feature represents well) the held-out RMSE is far below the target's standard
    /// deviation (≈ 0.55; measured 0.01).
    @Test("fit dkm with --test reports test_rmse and test_nll (regression) and test_accuracy (classification)")
    func dkmTestMetrics() throws {
        func rows(_ range: StrideThrough<Double>) -> String {
            range.map { x in String(format: "%.2f,%.2f", x, abs(x)) }.joined(separator: "\n")
        }
        let train = try Self.temporaryFile("train.csv", "x,y\n" + rows(stride(from: -2, through: 2, by: 0.2)) + "\n")
        let test = try Self.temporaryFile("test.csv", "x,y\n" + rows(stride(from: -1.9, through: 1.9, by: 0.4)) + "\n")
        let r = try Self.run(["fit", "dkm", "--data", train, "--target", "y", "--test", test, "--layers", "1", "--nu", "10", "--bias-feature",
                              "--iterations", "300", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rmse = try #require(object["test_rmse"] as? Double), nll = try #require(object["test_nll"] as? Double)
        #expect(rmse > 0 && rmse < 0.1, "RMSE \(rmse)")
        #expect(nll.isFinite)
        // Two separated classes in 1-D.
        let cls = "x,label\n" + (0..<20).map { i in "\(Double(i) / 4 - 2.4 + (i < 10 ? -1 : 1)),\(i < 10 ? 0 : 1)" }.joined(separator: "\n") + "\n"
        let ctrain = try Self.temporaryFile("ctrain.csv", cls)
        let ctest = try Self.temporaryFile("ctest.csv", "x,label\n-3,0\n-2.5,0\n2.5,1\n3,1\n")
        let c = try Self.run(["fit", "dkm", "--data", ctrain, "--target", "label", "--test", ctest, "--classification", "--layers", "1",
                              "--nu", "1", "--bias-feature", "--inducing", "8", "--iterations", "100", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let cobject = try #require(try JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any])
        #expect(cobject["test_accuracy"] as? Double == 1.0, "\(c.stdout)")
    }

    @Test("fit dkm rejects bad input with one line and a nonzero exit", arguments: [
        (["--nu", "0"], "ν ≤ 0"),
        (["--nu", "-3"], "negative ν"),
        (["--layers", "0"], "L < 1"),
        (["--inducing", "1000"], "more inducing points than data"),
        (["--noise", "0"], "σ² ≤ 0"),
        (["--optimizer", "adam"], "adam without inducing points"),
        (["--kernel", "tanh"], "unknown kernel map"),
    ] as [([String], String)])
    func dkmBadInput(extra: [String], what: String) throws {
        let data = try Self.temporaryFile("d.csv", "a,b,y\n1,2,0.5\n2,1,0.1\n0,1,0.3\n1,1,0.2\n")
        let r = try Self.run(["fit", "dkm", "--data", data, "--target", "y"] + extra)
        #expect(r.status == 1 || r.status == 2, "\(what): status \(r.status)")
        #expect(r.stderr.hasPrefix("kernelkit: error: ") && r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)")
        #expect(!r.stdout.lowercased().contains("nan"))
    }

    @Test("fit dkm rejects non-finite data and repeated inputs that make a Gram singular")
    func dkmBadData() throws {
        let inf = try Self.temporaryFile("inf.csv", "a,y\n1,0.5\ninf,0.1\n0,0.3\n")
        let r = try Self.run(["fit", "dkm", "--data", inf, "--target", "y"])
        #expect(r.status == 1 && r.stderr.hasPrefix("kernelkit: error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        // Two identical rows give a singular G₀ and NNGP Gram: a clear error, no NaN.
        let twin = try Self.temporaryFile("twin.csv", "a,y\n1,0.5\n1,0.1\n0.5,0.3\n")
        let s = try Self.run(["fit", "dkm", "--data", twin, "--target", "y", "--raw", "--json"])
        #expect(s.status == 1 && s.stderr.contains("positive definite") && s.stderr.split(separator: "\n").count == 1, "\(s.stderr)")
        #expect(!s.stdout.lowercased().contains("nan"))
    }
}
