import Foundation
import Testing

extension CLITests {
    @Test("bessel: CSV with a header in, v,x,logI,logK out with 17 digits; values match the 50-digit references")
    func besselCSV() throws {
        // Rows of Tests/KernelKitBesselTests/Fixtures/log_bessel_ref.csv (50-digit references, rounded once).
        let input = try Self.temporaryFile("vx.csv", "v,x\n0,1\n1000,100000\n7.7699999999999996,1e-10\n")
        let r = try Self.run(["bessel", "--in", input])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "v,x,logI,logK" && lines.count == 4)
        let values = lines.dropFirst().map { $0.split(separator: ",").map { Double($0)! } }
        // log I_0(1) = 0.23591435850717865, log K_0(1) = −0.8650643989067881 (reference rows, rtol 1e-15).
        #expect(abs(values[0][2] - 0.23591435850717865) <= 1e-15 && abs(values[0][3] + 0.8650643989067881) <= 1e-15)
        #expect(values.allSatisfy { $0.count == 4 && $0.allSatisfy(\.isFinite) })
        #expect(r.stdout.contains("1000,100000,"))
    }

    @Test("bessel: .npy (n, 2) input and --threads give the same output as one thread")
    func besselNPYThreads() throws {
        // A 3000 × 2 float64 C-order .npy file (1.0 format) written by hand.
        var rows: [Double] = []
        for i in 0..<3000 { rows += [Double(i % 97) * 1.37, pow(10, Double(i % 61) / 10 - 3)] }
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3000, 2), }"
        let padded = header + String(repeating: " ", count: 64 - (10 + header.count + 1) % 64) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(padded.utf8.count & 0xff), UInt8(padded.utf8.count >> 8)]
        bytes += Array(padded.utf8)
        for value in rows { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kk-cli-\(UUID().uuidString)-vx.npy").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let one = try Self.run(["bessel", "--in", path])
        let two = try Self.run(["bessel", "--in", path, "--threads", "2"])
        #expect(one.status == 0 && two.status == 0, "\(one.stderr) \(two.stderr)")
        #expect(one.stdout == two.stdout && one.stdout.split(separator: "\n").count == 3001)
        let bench = try Self.run(["bessel", "--bench", "--in", path, "--repetitions", "1"])
        #expect(bench.status == 0, "\(bench.stderr)")
        let lines = bench.stdout.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("logI ") && lines[0].hasSuffix(" ns/eval") && lines[1].hasPrefix("logK "))
    }

    @Test("bessel: bad rows fail with one line naming the line, exit 1", arguments: [
        ("1,2\n-1,3\n", ":2:", "v must be >= 0"),
        ("1,2\n3,-0.5\n", ":2:", "x must be >= 0"),
        ("v,x\n1,2\n2,nan\n", ":3:", "finite"),
        ("1,2\n1,2,3\n", ":2:", "2 columns"),
        ("1,2\n1,abc\n", ":2:", "not a number"),
        ("1,inf\n", ":1:", "finite"),
    ])
    func besselBadRows(_ text: String, _ location: String, _ phrase: String) throws {
        let path = try Self.temporaryFile("bad.csv", text)
        let r = try Self.run(["bessel", "--in", path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(location) && r.stderr.contains(phrase), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test("bessel: --bench without --in is a usage error (exit 2)")
    func besselBenchNeedsInput() throws {
        let r = try Self.run(["bessel", "--bench"])
        #expect(r.status == 2 && r.stderr.contains("--in"))
    }
}
