import Foundation
import Testing

extension CLITests {
    @Test("fit vmf --rbar --dim --n: kappa of vmf_cases.json p = 2048 to 1e-12, where scipy returns 1e-8")
    func vmfFromStatistic() throws {
        let r = try Self.run(["fit", "vmf", "--rbar", "0.7499115303489048", "--dim", "2048", "--n", "5000", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let kappa = try #require(object["kappa"] as? Double)
        #expect(abs(kappa - 3508.145066916595) <= 1e-12 * 3508.145066916595, "kappa \(kappa)")
        let ll = try #require(object["log_likelihood"] as? Double)
        let perPoint = try #require(object["log_likelihood_per_point"] as? Double)
        #expect(abs(ll - 5000 * perPoint) <= 1e-12 * abs(ll))
    }

    @Test("fit vmf on a CSV: mean direction, kappa from R̄ of the projected rows, and a note for off-sphere rows")
    func vmfFitCSV() throws {
        // Rows (3,4,0)/5-scaled, (0,1,0), (0,0,2): the directions are (0.6,0.8,0), (0,1,0), (0,0,1); their
        // sum (0.6, 1.8, 1) has length √4.6, so R̄ = √4.6/3 and μ = (0.6, 1.8, 1)/√4.6.
        let file = try Self.temporaryFile("dirs.csv", "a,b,c\n3,4,0\n0,1,0\n0,0,2\n")
        let r = try Self.run(["fit", "vmf", "--data", file, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rbar = try #require(object["mean_resultant_length"] as? Double)
        #expect(abs(rbar - 4.6.squareRoot() / 3) <= 1e-15)
        let mu = try #require(object["mean_direction"] as? [Double])
        #expect(mu.count == 3 && abs(mu[1] - 1.8 / 4.6.squareRoot()) <= 1e-15)
        #expect(object["projected_rows"] as? Int == 2 && (object["kappa"] as? Double ?? 0) > 0)
        let human = try Self.run(["fit", "vmf", "--data", file])
        #expect(human.status == 0 && human.stdout.contains("kappa = ") && human.stdout.contains("note: 2 of 3 rows"))
    }

    @Test("fit vmf --components 3 on wine (centred): weights, kappas and directions for every component")
    func vmfMixtureWine() throws {
        let r = try Self.run(["fit", "vmf", "--data", "wine", "--center", "--components", "3", "--restarts", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let weights = try #require(object["weights"] as? [Double])
        let kappas = try #require(object["kappa"] as? [Double])
        let directions = try #require(object["mean_directions"] as? [[Double]])
        #expect(weights.count == 3 && abs(weights.reduce(0, +) - 1) <= 1e-12)
        #expect(kappas.count == 3 && kappas.allSatisfy { $0 > 0 } && directions.allSatisfy { $0.count == 13 })
        #expect(object["log_likelihood"] is Double)
    }

    @Test("fit vmf bad input: one line on stderr, exit 1 (data) or 2 (usage)", arguments: [
        (["fit", "vmf", "--rbar", "1", "--dim", "5"], Int32(2)),
        (["fit", "vmf", "--rbar", "0.5", "--dim", "1"], Int32(2)),
        (["fit", "vmf", "--rbar", "0.5"], Int32(2)),
        (["fit", "vmf", "--components", "0"], Int32(2)),
        (["fit", "vmf", "--data", "/nonexistent.csv"], Int32(1)),
    ] as [([String], Int32)])
    func vmfBadInput(arguments: [String], status: Int32) throws {
        let r = try Self.run(arguments)
        #expect(r.status == status, "\(arguments): status \(r.status), \(r.stderr)")
        #expect(r.stderr.hasPrefix("kernelkit: error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test("fit vmf on data with a NaN or a zero row fails with the row named")
    func vmfBadData() throws {
        let nan = try Self.temporaryFile("nan.csv", "1,0\n0,1\n1,inf\n")
        let zero = try Self.temporaryFile("zero.csv", "1,0\n0,0\n1,1\n")
        let a = try Self.run(["fit", "vmf", "--data", nan])
        #expect(a.status == 1 && a.stderr.hasPrefix("kernelkit: error: "), "\(a.stderr)")
        let b = try Self.run(["fit", "vmf", "--data", zero])
        #expect(b.status == 1 && b.stderr.contains("row 1"), "\(b.stderr)")
    }
}
