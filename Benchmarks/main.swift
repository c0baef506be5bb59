// kernelkit-bench: KernelKit's speed on the operations its anchors are timed on, to be compared
// side by side on the same machine (Benchmarks/run.sh, Benchmarks/README.md).
// Single thread (run with OPENBLAS_NUM_THREADS=1), process CPU time, min over repetitions;
// one JSON object per line.
//
//   kernelkit-bench linalg [reps]            gemm, syrk, potrf (n = 500, 1000, 2000) and vector math (1e7)
//   kernelkit-bench ntk X.npy [phi] [reps]   NNGP+NTK of the 3-hidden-layer MLP of the neural-tangents
//                                            anchor script (Dense(512, 1.5, 0.05) + phi, ×3, Dense(1))
import Foundation
import KernelKit

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func best(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
    var t = Double.infinity
    for _ in 0..<reps {
        let c = cpuSeconds()
        try body()
        t = min(t, cpuSeconds() - c)
    }
    return t
}

func emit(_ name: String, _ n: Int, _ t: Double) {
    print("{\"name\": \"\(name)\", \"n\": \(n), \"cpu_s\": \(t)}")
    fflush(nil)
}

func linalg(reps: Int) throws {
    var rng = SeededGenerator(seed: 0)
    for n in [500, 1000, 2000] {
        let a = rng.normalMatrix(rows: n, columns: n), b = rng.normalMatrix(rows: n, columns: n)
        var c = Matrix(rows: n, columns: n)
        emit("gemm", n, best(reps) { BLAS.gemm(.none, .none, a, b, &c) })
        emit("syrk", n, best(reps) { BLAS.syrk(.lower, .none, a, &c) })
        var spd = BLAS.gram(a)
        spd.addToDiagonal(Double(n))
        emit("potrf", n, try best(reps) { _ = try Cholesky(spd, jitter: .none) })
    }
    let m = 10_000_000
    let u = (0..<m).map { _ in rng.uniform(from: -1, to: 1) }
    let z = (0..<m).map { _ in rng.uniform(from: -6, to: 6) }
    let e = (0..<m).map { _ in rng.uniform(from: -700, to: 700) }
    let p = (0..<m).map { _ in rng.uniform(from: 1e-300, to: 1e3) }
    emit("acos", m, best(reps) { _ = VectorMath.acos(u) })
    emit("asin", m, best(reps) { _ = VectorMath.asin(u) })
    emit("erf", m, best(reps) { _ = VectorMath.erf(z) })
    emit("exp", m, best(reps) { _ = VectorMath.exp(e) })
    emit("log", m, best(reps) { _ = VectorMath.log(p) })
}

func ntk(path: String, phi: String, reps: Int) throws {
    let x = try NPY.read(path).values
    let block = "dense(1.5,0.05),\(phi.lowercased())"
    let net = try InfiniteWidthNetwork(ArchitectureSpec.parse([block, block, block, "dense(1.5,0.05)"].joined(separator: ",")))
    _ = try net.kernels(x.rows(0..<min(64, x.rows)))  // warm-up (page faults, plan caches)
    emit("nngp+ntk \(phi) d=\(x.columns)", x.rows, try best(reps) { _ = try net.kernels(x) })
}

let args = Array(CommandLine.arguments.dropFirst())
do {
    switch args.first {
    case "ntk" where args.count >= 2:
        try ntk(path: args[1], phi: args.count > 2 ? args[2] : "relu", reps: args.count > 3 ? Int(args[3]) ?? 3 : 3)
    case "bessel":
        try benchBessel(Array(args.dropFirst()))
    case "vmf":
        try benchVMF(Array(args.dropFirst()))
    case "kde":
        try benchKDE(Array(args.dropFirst()))
    case "pde":
        try benchPDE(Array(args.dropFirst()))
    case "pfn":
        try benchPFN(Array(args.dropFirst()))
    case "pde-fine":
        try benchPDEFineGrid(Array(args.dropFirst()))
    case "pde-3d":
        try benchPDE3D(Array(args.dropFirst()))
    case "linalg", nil:
        try linalg(reps: args.count > 1 ? Int(args[1]) ?? 5 : 5)
    default:
        FileHandle.standardError.write(Data("usage: kernelkit-bench linalg [reps] | ntk X.npy [relu|erf] [reps] | bessel ... | vmf [p n kappa reps] | kde ... | pde ... | pde-fine ... | pde-3d ... | pfn ...\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("kernelkit-bench: \(error)\n".utf8))
    exit(1)
}
