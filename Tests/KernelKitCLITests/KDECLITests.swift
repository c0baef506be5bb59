import Foundation
import Testing

/// `kernelkit fit kde`: exact and private estimates, --out/--json contents, and the bad inputs.
extension CLITests {
    /// Three 2-D points and two queries with a closed-form Gaussian density at h = 1.
    static func kdeFiles() throws -> (data: String, query: String) {
        (try temporaryFile("kde-x.csv", "a,b\n0,0\n1,0\n0,2\n"), try temporaryFile("kde-q.csv", "a,b\n0,0\n1,1\n"))
    }

    @Test("fit kde --out: one normalised Gaussian density per query row (closed form, rtol 1e-12)")
    func kdeExactOut() throws {
        let (data, query) = try Self.kdeFiles()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kk-kde-\(UUID().uuidString).csv").path
        let r = try Self.run(["fit", "kde", "--data", data, "--query", query, "--bandwidth", "1", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let values = lines.dropFirst().map { Double($0)! }
        // f(y) = (1/3) Σ exp(−|y − x_i|²/2) / (2π).
        func f(_ y: (Double, Double)) -> Double {
            [(0.0, 0.0), (1, 0), (0, 2)].reduce(0) { s, x in
                s + exp(-((y.0 - x.0) * (y.0 - x.0) + (y.1 - x.1) * (y.1 - x.1)) / 2)
            } / (3 * 2 * Double.pi)
        }
        #expect(values.count == 2)
        #expect(abs(values[0] - f((0, 0))) <= 1e-12 * f((0, 0)) && abs(values[1] - f((1, 1))) <= 1e-12 * f((1, 1)))
    }

    @Test("fit kde --epsilon --json names mechanism, ε, δ, bandwidth; same seed, same answers")
    func kdePrivateJSON() throws {
        let (data, query) = try Self.kdeFiles()
        let args = ["fit", "kde", "--data", data, "--query", query, "--bandwidth", "0.8", "--epsilon", "2",
                    "--domain=-1,3", "--seed", "5", "--json"]
        let a = try Self.run(args), b = try Self.run(args)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        #expect(o["mechanism"] as? String == "grid")
        #expect(o["epsilon"] as? Double == 2 && o["delta"] as? Double == 0 && o["bandwidth"] as? Double == 0.8)
        #expect((o["density"] as? [Double])?.count == 2)
        let rff = try Self.run(["fit", "kde", "--data", data, "--query", query, "--bandwidth", "0.8", "--epsilon", "0.5",
                                "--delta", "1e-6", "--domain=-1,3", "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(rff.stdout.utf8)) as? [String: Any])
        #expect(r["delta"] as? Double == 1e-6)
    }

    @Test("fit kde bad input: one-line error and non-zero exit", arguments: [
        (["--epsilon", "0", "--bandwidth", "1"], Int32(2)),
        (["--epsilon", "1", "--delta", "1.5", "--bandwidth", "1"], Int32(2)),
        (["--bandwidth=-0.5"], Int32(2)),
        (["--bandwidth", "0"], Int32(2)),
    ])
    func kdeBadOptions(extra: [String], status: Int32) throws {
        let (data, query) = try Self.kdeFiles()
        let r = try Self.run(["fit", "kde", "--data", data, "--query", query] + extra)
        #expect(r.status == status, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("error"), "\(r.stderr)")
    }

    @Test("fit kde bad data: empty, non-finite, query dimension mismatch → one line, exit 1")
    func kdeBadData() throws {
        let (data, _) = try Self.kdeFiles()
        let cases = [
            ["--data", try Self.temporaryFile("kde-empty.csv", "a,b\n")],
            ["--data", try Self.temporaryFile("kde-inf.csv", "a,b\n0,1\ninf,2\n")],
            ["--data", data, "--query", try Self.temporaryFile("kde-q3.csv", "a,b,c\n0,0,0\n")],
        ]
        for c in cases {
            let r = try Self.run(["fit", "kde", "--bandwidth", "1"] + c)
            #expect(r.status == 1, "\(c): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && !r.stdout.contains("nan"), "\(r.stderr)")
        }
    }
}
