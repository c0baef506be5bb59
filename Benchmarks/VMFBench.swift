import KernelKit

/// `kernelkit-bench vmf [p] [n] [kappa] [reps]`: the maximum-likelihood vMF fit of n points in p
/// dimensions once the data is in memory (issue goal: n = 5000, p = 32768 in ≤ 0.25 s), beside one
/// dgemv over the same data (the floor: the fit must read the 1.3 GB once). The points are drawn
/// with Wood's sampler (not timed), so κ̂ can be compared with κ.
func benchVMF(_ args: [String]) throws {
    let p = args.count > 0 ? Int(args[0]) ?? 32768 : 32768
    let n = args.count > 1 ? Int(args[1]) ?? 5000 : 5000
    let kappa = args.count > 2 ? Double(args[2]) ?? 56172 : 56172
    let reps = args.count > 3 ? Int(args[3]) ?? 5 : 5
    var rng = SeededGenerator(seed: 1)
    let truth = try VonMisesFisher(meanDirection: rng.normalVector(count: p), concentration: kappa)
    let x = try truth.sample(count: n, using: &rng)
    var fit: VonMisesFisherFit?
    emit("vmf fit p=\(p) kappa_hat=\(try VonMisesFisher.fit(x).distribution.concentration)", n,
         try best(reps) { fit = try VonMisesFisher.fit(x) })
    var s = Vector.zeros(p)
    emit("dgemv X^T 1 (floor) p=\(p)", n, best(reps) { BLAS.gemv(.transpose, x, Vector(repeating: 1, count: n), &s) })
    _ = fit
}
