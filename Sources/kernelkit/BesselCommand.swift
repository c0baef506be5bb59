import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit bessel`: log I_v(x) and log K_v(x) for rows (v, x), or a timing of the batch API.
struct BesselCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bessel",
        abstract: "Compute log I_v(x) and log K_v(x) (modified Bessel functions) for rows v,x.",
        discussion: """
            Reads rows `v,x` (CSV from --in or standard input, an optional header line; or a .npy \
            float64 array of shape (n, 2)) and writes `v,x,logI,logK` with 17 significant digits. \
            Valid rows have finite v >= 0 and x >= 0; x = 0 gives the limits logI = 0 (v = 0) or -inf, \
            logK = inf. A bad row stops the run with an error naming its line (exit status 1). \
            Accuracy: |error| <= 1e-14 * max(1, |value|) for v <= 1e5, x in [1e-10, 1e6]. \
            With --bench, times the batch API single-threaded on the rows of --in and prints \
            `logI <ns> ns/eval` and `logK <ns> ns/eval` (process CPU time, best of --repetitions).
            """)

    @Option(name: .customLong("in"), help: "Input file (.csv or .npy). Default: CSV on standard input.")
    var input: String?

    @Option(help: "Threads for the evaluation (default 1; --bench always uses one).")
    var threads: Int = 1

    @Flag(help: "Time the batch API on the rows of --in instead of printing values.")
    var bench = false

    @Option(help: "Timing repetitions for --bench (the minimum is reported).")
    var repetitions: Int = 5

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
        if bench && input == nil { throw ValidationError("--bench needs --in FILE (.npy or .csv)") }
    }

    func run() throws {
        let (v, x) = try readRows()
        if bench {
            try runBenchmark(v, x)
            return
        }
        let (logI, logK) = try evaluate(v, x)
        var out = "v,x,logI,logK\n"
        out.reserveCapacity(80 * v.count)
        for i in 0..<v.count {
            out += format(v[i]) + "," + format(x[i]) + "," + format(logI[i]) + "," + format(logK[i]) + "\n"
            if out.utf8.count > 1 << 20 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// %.17g (round-trips), with "inf"/"-inf" for the x = 0 limits.
    private func format(_ value: Double) -> String { String(format: "%.17g", value) }

    /// log I and log K for every row, on `threads` threads (contiguous chunks of the batch API).
    private func evaluate(_ v: [Double], _ x: [Double]) throws -> ([Double], [Double]) {
        let n = v.count
        let chunks = max(1, min(threads, n / 1024))
        if chunks == 1 {
            let r = try LogBessel.logIK(orders: v, arguments: x)
            return (r.logI, r.logK)
        }
        let results = ChunkResults(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let range = (c * n / chunks)..<((c + 1) * n / chunks)
            let outcome = Result { try LogBessel.logIK(orders: Array(v[range]), arguments: Array(x[range])) }
            results.store(outcome, at: c)
        }
        var logI: [Double] = [], logK: [Double] = []
        logI.reserveCapacity(n); logK.reserveCapacity(n)
        for part in results.parts {
            let r = try part!.get()
            logI += r.logI; logK += r.logK
        }
        return (logI, logK)
    }

    /// One slot per chunk, written once each under a lock.
    private final class ChunkResults: @unchecked Sendable {
        private(set) var parts: [Result<(logI: [Double], logK: [Double]), Error>?]
        private let lock = NSLock()
        init(count: Int) { parts = Array(repeating: nil, count: count) }
        func store(_ result: Result<(logI: [Double], logK: [Double]), Error>, at index: Int) {
            lock.lock(); parts[index] = result; lock.unlock()
        }
    }

    private func runBenchmark(_ v: [Double], _ x: [Double]) throws {
        func cpuSeconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        }
        var sink = 0.0
        for (name, f) in [("logI", LogBessel.logI(orders:arguments:)), ("logK", LogBessel.logK(orders:arguments:))] {
            var bestTime = Double.infinity
            for _ in 0..<repetitions {
                let start = cpuSeconds()
                let y = try f(v, x)
                bestTime = min(bestTime, cpuSeconds() - start)
                sink += y[y.count / 2]
            }
            print("\(name) \(String(format: "%.1f", bestTime / Double(max(1, v.count)) * 1e9)) ns/eval")
        }
        if sink.isNaN { throw CLIError("the benchmark produced NaN") }
    }

    // MARK: Input

    /// The rows (v, x), every value checked: finite, v >= 0, x >= 0, exactly two columns.
    private func readRows() throws -> ([Double], [Double]) {
        if let input, input.hasSuffix(".npy") {
            let array = try NPY.read(input)
            guard array.shape.count == 2, array.shape[1] == 2 else {
                throw CLIError("\(input): expected a .npy array of shape (n, 2) with columns v, x; got shape \(array.shape)")
            }
            let n = array.values.rows
            let v = Array(array.values.storage[0..<n]), x = Array(array.values.storage[n..<(2 * n)])
            for i in 0..<n { try check(v[i], x[i], where: "\(input): row \(i)") }
            return (v, x)
        }
        let text: String
        let name: String
        if let input {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw CLIError("cannot read '\(input)': no such file or not readable")
            }
            text = String(decoding: data, as: UTF8.self)
            name = input
        } else {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            name = "<stdin>"
        }
        var v: [Double] = [], x: [Double] = []
        var lineNumber = 0
        let headerCandidate = firstContentLine(text)
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            let values = fields.map { Double($0) }
            if v.isEmpty && lineNumber == headerCandidate && values.contains(where: { $0 == nil }) {
                continue // header
            }
            guard fields.count == 2 else {
                throw CLIError("\(name):\(lineNumber): expected 2 columns v,x, got \(fields.count)")
            }
            guard let a = values[0], let b = values[1] else {
                let bad = values[0] == nil ? fields[0] : fields[1]
                throw CLIError("\(name):\(lineNumber): '\(bad)' is not a number")
            }
            try check(a, b, where: "\(name):\(lineNumber)")
            v.append(a); x.append(b)
        }
        return (v, x)
    }

    private func firstContentLine(_ text: String) -> Int {
        var n = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            if !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return n }
        }
        return n
    }

    private func check(_ v: Double, _ x: Double, where location: String) throws {
        guard v.isFinite, x.isFinite else {
            throw CLIError("\(location): v and x must be finite, got v = \(v), x = \(x)")
        }
        guard v >= 0 else { throw CLIError("\(location): the order v must be >= 0, got \(v)") }
        guard x >= 0 else { throw CLIError("\(location): the argument x must be >= 0, got \(x)") }
    }
}
