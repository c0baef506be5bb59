import Foundation
import KernelKitLinalg

/// Classification by average similarity under ε-differential privacy (the application of Backurs et
/// al., ICLR 2024): one private Gaussian kernel-mean release per class, and a query is assigned the
/// class c maximising K̂_c(y) ≈ (1/n_c) Σ_{i: cᵢ = c} exp(−‖y − xᵢ‖²/(2h²)).
///
/// **Mechanism.** Each class's points are released with `RandomFeatureLaplaceMechanism` (dimension-free,
/// so it works for d = 30 or 64 where a grid cannot), with D_c = `tunedFeatureCount(count: n_c, epsilon:)`
/// features unless given, and independent features and noise per class (seed + class index).
///
/// **Privacy.** Assumptions: class labels and class sizes n_c are public (as when each class is a
/// separate private dataset); neighbouring datasets substitute one point within one class. Each class's
/// release is ε-DP for its own points (sensitivity in `RandomFeatureLaplaceMechanism`), the classes are
/// disjoint, so by parallel composition the set of releases — and every prediction, by post-processing —
/// is ε-DP. (If a substitution may change a point's label, two releases change: the guarantee is 2ε.)
/// Feature scaling (e.g. standardisation) must also be public or data-independent.
///
/// Complexity: O(n D d) to release, O(m C D d) to classify m queries into C classes.
public struct PrivateKernelClassifier: Sendable {
    /// The class labels, sorted; `predict` returns elements of this array.
    public let classes: [Int]
    /// One private release per class, in the order of `classes`.
    public let releases: [RandomFeatureLaplaceMechanism]

    /// Releases one private kernel mean per class of `data` (n × d) labelled by `labels` (length n).
    /// - Throws: `KernelDensityError.emptyData`, `.nonFinite`, `.invalidBandwidth`, `.invalidEpsilon`,
    ///   `.invalidParameter` when labels and rows differ in number, fewer than 2 classes, or features < 1.
    public init(data: Matrix, labels: [Int], bandwidth h: Double, epsilon: Double, features: Int? = nil,
                seed: UInt64) throws(KernelDensityError) {
        try KernelDensity.validate(data: data)
        guard labels.count == data.rows else {
            throw .invalidParameter("\(labels.count) labels for \(data.rows) data rows")
        }
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2 else { throw .invalidParameter("classification needs at least 2 classes, got \(classes.count)") }
        var releases: [RandomFeatureLaplaceMechanism] = []
        for (k, c) in classes.enumerated() {
            let rows = labels.indices.filter { labels[$0] == c }
            let points = data.rows(rows)
            let count = features ?? RandomFeatureLaplaceMechanism.tunedFeatureCount(count: rows.count, epsilon: epsilon)
            releases.append(try RandomFeatureLaplaceMechanism(data: points, bandwidth: h, features: count, epsilon: epsilon,
                                                              seed: seed &+ UInt64(k)))
        }
        self.classes = classes
        self.releases = releases
    }

    /// The private similarity scores K̂_c(y), one row per query and one column per class. O(m C D d).
    /// - Throws: `KernelDensityError.dimensionMismatch`, `.nonFinite`.
    public func scores(_ queries: Matrix) throws(KernelDensityError) -> Matrix {
        var s = Matrix(rows: queries.rows, columns: classes.count)
        for (k, r) in releases.enumerated() {
            let v = try r.kernelMean(at: queries)
            for i in 0..<queries.rows { s[i, k] = v[i] }
        }
        return s
    }

    /// The predicted class argmax_c K̂_c(y) of each query row (ties to the smaller label). O(m C D d).
    /// - Throws: as `scores`.
    public func predict(_ queries: Matrix) throws(KernelDensityError) -> [Int] {
        let s = try scores(queries)
        return (0..<queries.rows).map { i in
            var best = 0
            for k in 1..<classes.count where s[i, k] > s[i, best] { best = k }
            return classes[best]
        }
    }
}
