import Foundation
import KernelKit

/// `kernelkit-bench bessel FILE.npy [reps]`: single-thread process CPU time per evaluation of the batch
/// APIs `LogBessel.logI(orders:arguments:)` and `LogBessel.logK(orders:arguments:)` on the (v, x) rows
/// of FILE.npy (shape (n, 2), as written by ../shared/anchors/scipy_bessel_time.py), best of `reps`
/// (default 5). Prints `logI <ns> ns/eval`, `logK <ns> ns/eval`, one JSON line per function, then
/// the time per evaluation within each region of `LogBessel` (which rows cost what) and the time
/// per call of the scalar API on the first 2e5 rows.
func benchBessel(_ args: [String]) throws {
    guard let path = args.first else {
        throw BesselBenchError("usage: kernelkit-bench bessel FILE.npy [reps]")
    }
    let reps = args.count > 1 ? Int(args[1]) ?? 5 : 5
    let array = try NPY.read(path)
    guard array.values.columns == 2 else { throw BesselBenchError("\(path): expected shape (n, 2), got \(array.shape)") }
    let n = array.values.rows
    let v = Array(array.values.storage[0..<n]), x = Array(array.values.storage[n..<(2 * n)])
    var sink = 0.0
    let tI = try best(reps) { sink += try LogBessel.logI(orders: v, arguments: x)[n / 2] }
    let tK = try best(reps) { sink += try LogBessel.logK(orders: v, arguments: x)[n / 2] }
    print("logI \(String(format: "%.1f", tI / Double(n) * 1e9)) ns/eval")
    print("logK \(String(format: "%.1f", tK / Double(n) * 1e9)) ns/eval")
    emit("logI batch", n, tI)
    emit("logK batch", n, tK)
    // Where the time goes: the same rows split by the regions of LogBessel (share of rows, ns/eval).
    let regions: [(String, (Double, Double) -> Bool)] = [
        ("v>=20 (Debye)", { v, _ in v >= 20 }),
        ("v<20, x<=2", { v, x in v < 20 && x <= 2 }),
        ("v<20, 2<x<max(30,0.3v^2)", { v, x in v < 20 && x > 2 && x < max(30, 0.3 * v * v) }),
        ("v<20, x>=max(30,0.3v^2) (Hankel)", { v, x in v < 20 && x >= max(30, 0.3 * v * v) }),
    ]
    for (name, inRegion) in regions {
        let idx = (0..<n).filter { inRegion(v[$0], x[$0]) }
        guard !idx.isEmpty else { continue }
        let rv = idx.map { v[$0] }, rx = idx.map { x[$0] }
        let ti = try best(reps) { sink += try LogBessel.logI(orders: rv, arguments: rx)[0] }
        let tk = try best(reps) { sink += try LogBessel.logK(orders: rv, arguments: rx)[0] }
        print("  \(name): \(String(format: "%.1f", 100 * Double(idx.count) / Double(n)))% of rows, logI \(String(format: "%.1f", ti / Double(idx.count) * 1e9)) ns, logK \(String(format: "%.1f", tk / Double(idx.count) * 1e9)) ns")
    }
    // The scalar API on the first 2e5 rows in their random order (one call per row, four lanes
    // filled with the same row): the cost of a single evaluation, for comparison.
    let m = min(n, 200_000)
    let sI = try best(reps) { for j in 0..<m { sink += try LogBessel.logI(order: v[j], x[j]) } }
    let sK = try best(reps) { for j in 0..<m { sink += try LogBessel.logK(order: v[j], x[j]) } }
    print("  scalar API (one call per row): logI \(String(format: "%.1f", sI / Double(m) * 1e9)) ns, logK \(String(format: "%.1f", sK / Double(m) * 1e9)) ns")
    if sink.isNaN { print("unexpected NaN") }
}

/// A usage error of the benchmark driver (printed by main.swift, exit 1).
struct BesselBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
