import Foundation
import Testing

extension CLITests {
    /// Shipped GP model: JSON with mean, three quantiles and log densities; ordered quantiles; the
    /// prediction near a context point is pulled towards its value (|mean − 1.2| < 0.3 while the prior
    /// mean is 0), and the 90% band there is narrower than the prior's (2·1.645·√1.01 ≈ 3.3).
    @Test func pfnPredictShippedGPModel() throws {
        let context = try CLITests.temporaryFile("pfn-context.csv", "x,y\n0.2,1.2\n0.25,1.1\n0.8,-0.5\n")
        let query = try CLITests.temporaryFile("pfn-query.csv", "x,y\n0.22,1.15\n0.5,0.3\n")
        let r = try CLITests.run(["predict", "pfn", "--prior", "gp", "--context", context, "--query", query, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let mean = try #require(object["mean"] as? [Double])
        let quantiles = try #require(object["quantiles"] as? [String: [Double]])
        let logDensity = try #require(object["log_density"] as? [Double])
        #expect(mean.count == 2 && logDensity.count == 2)
        #expect(abs(mean[0] - 1.2) < 0.3)
        let q05 = try #require(quantiles["0.05"]), q50 = try #require(quantiles["0.5"]), q95 = try #require(quantiles["0.95"])
        for i in 0..<2 { #expect(q05[i] < q50[i] && q50[i] < q95[i]) }
        #expect(q95[0] - q05[0] < 1.0)
        // An empty context (header only) predicts from the prior.
        let empty = try CLITests.temporaryFile("pfn-empty.csv", "x,y\n")
        let e = try CLITests.run(["predict", "pfn", "--context", empty, "--query", query])
        #expect(e.status == 0, "\(e.stderr)")
    }

    /// Bad inputs: wrong columns, non-finite values, a missing or corrupt model file, and a model
    /// for another prior: one-line errors with status 1; x outside [0, 1] only warns.
    @Test func pfnPredictBadInput() throws {
        let query = try CLITests.temporaryFile("pfn-q.csv", "x\n0.5\n")
        let wrong = try CLITests.temporaryFile("pfn-wrong.csv", "a,b\n0.1,0.2\n")
        let nan = try CLITests.temporaryFile("pfn-nan.csv", "x,y\n0.1,nan\n")
        let corrupt = try CLITests.temporaryFile("pfn-corrupt.kkpfn", "KKPFN01\nnot really a model")
        let good = try CLITests.temporaryFile("pfn-good.csv", "x,y\n0.1,0.3\n")
        for (args, needle) in [
            (["--context", wrong, "--query", query], "unexpected column 'a'"),
            (["--context", nan, "--query", query], "not a finite number"),
            (["--model", "/nonexistent.kkpfn", "--context", good, "--query", query], "missing or unreadable"),
            (["--model", corrupt, "--context", good, "--query", query], "not a valid PFN model file"),
        ] {
            let r = try CLITests.run(["predict", "pfn"] + args)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains(needle) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        let outside = try CLITests.temporaryFile("pfn-outside.csv", "x\n1.7\n")
        let w = try CLITests.run(["predict", "pfn", "--context", good, "--query", outside])
        #expect(w.status == 0 && w.stderr.contains("warning") && w.stderr.contains("outside"))
    }

    /// Training runs end to end on a tiny network and writes a model that `predict pfn` accepts;
    /// the learning-curve model is refused when a GP prior is requested.
    @Test func pfnFitTinyModel() throws {
        let out = NSTemporaryDirectory() + "kk-pfn-cli-\(getpid()).kkpfn"
        let r = try CLITests.run(["fit", "pfn", "--prior", "lc", "--epochs", "10", "--layers", "1", "--d-model", "8",
                                  "--heads", "2", "--buckets", "10", "--steps", "3", "--batch-size", "2", "--log-every", "1",
                                  "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("step 3/3"))
        let context = try CLITests.temporaryFile("pfn-lc-context.csv", "x,y\n0.1,0.3\n0.2,0.4\n")
        let query = try CLITests.temporaryFile("pfn-lc-query.csv", "x\n0.5\n")
        let p = try CLITests.run(["predict", "pfn", "--model", out, "--context", context, "--query", query])
        #expect(p.status == 0, "\(p.stderr)")
        let refused = try CLITests.run(["predict", "pfn", "--model", out, "--prior", "gp", "--context", context, "--query", query])
        #expect(refused.status != 0 && refused.stderr.contains("prior"))
    }
}
