import Foundation
import KernelKitLinalg
import KernelKitNTK
import KernelKitTestSupport
import PropertyBased
import Testing

/// The closed-form duals against independent evaluations of E[φ(u)φ(v)] and E[φ′(u)φ′(v)]:
/// 2-D Gauss–Hermite quadrature for smooth φ, Monte-Carlo for kinked φ, and PSD structure.
@Suite("Activation duals")
struct DualPropertyTests {
    /// Two 2-D points whose input kernel (x·x′/2) has the given variances and correlation.
    static func inputs(_ v1: Double, _ v2: Double, _ rho: Double) -> Matrix {
        let a = (2 * v1).squareRoot(), b = (2 * v2).squareRoot()
        return Matrix([[a, 0], [b * rho, b * (1 - rho * rho).squareRoot()]])
    }

    /// (E[φφ], E[φ′φ′]) through the public API: Θ after dense(1, 0) equals K, so after the
    /// activation Θ₁₂ / K₀₁₂ is the derivative expectation.
    static func dual(_ a: Activation, _ v1: Double, _ v2: Double, _ rho: Double) throws -> (k: Double, kdot: Double, k11: Double) {
        let net = try InfiniteWidthNetwork([.dense(1, 0), .activation(a)])
        let r = try net.kernels(inputs(v1, v2, rho))
        let c12 = rho * (v1 * v2).squareRoot()
        return (r.nngp![0, 1], r.ntk![0, 1] / c12, r.nngp![0, 0])
    }

    static let smooth: [(String, Activation, @Sendable (Double) -> Double, @Sendable (Double) -> Double)] = [
        ("erf(1.3,0.7,0.2)", .erf(a: 1.3, b: 0.7, c: 0.2), { 1.3 * Foundation.erf(0.7 * $0) + 0.2 },
         { 1.3 * 0.7 * 2 / Double.pi.squareRoot() * Foundation.exp(-0.49 * $0 * $0) }),
        ("gelu", .gelu, { $0 * 0.5 * Foundation.erfc(-$0 / 2.0.squareRoot()) },
         { 0.5 * Foundation.erfc(-$0 / 2.0.squareRoot()) + $0 * Foundation.exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() }),
        ("sin(0.8,1.1,0.3)", .sin(a: 0.8, b: 1.1, c: 0.3), { 0.8 * Foundation.sin(1.1 * $0 + 0.3) }, { 0.88 * Foundation.cos(1.1 * $0 + 0.3) }),
        ("exp(0.5,0.4)", .exp(a: 0.5, b: 0.4), { 0.5 * Foundation.exp(0.4 * $0) }, { 0.2 * Foundation.exp(0.4 * $0) }),
        ("gaussian(1.5,-0.3)", .gaussian(a: 1.5, b: -0.3), { 1.5 * Foundation.exp(-0.3 * $0 * $0) }, { -0.9 * $0 * Foundation.exp(-0.3 * $0 * $0) }),
        ("polynomial(0.5,-1,0.3,0.2)", .polynomial([0.5, -1, 0.3, 0.2]), { 0.5 - $0 + 0.3 * $0 * $0 + 0.2 * $0 * $0 * $0 },
         { -1 + 0.6 * $0 + 0.6 * $0 * $0 }),
    ]

    @Test("smooth closed forms equal 2-D Gauss–Hermite quadrature (80² nodes) to 1e-9 relative",
          arguments: 0..<smooth.count)
    func smoothAgainstQuadrature(index: Int) async {
        let (name, closed, phi, dphi) = Self.smooth[index]
        let numeric = Activation.numerical(name: name, phi: phi, derivative: dphi, order: 80)
        await propertyCheck(count: 12, input: Gen.double(in: 0.05...2), Gen.double(in: 0.05...2), Gen.double(in: -0.95...0.95)) { v1, v2, rho in
            let a = try! Self.dual(closed, v1, v2, rho)
            let b = try! Self.dual(numeric, v1, v2, rho)
            expectClose([a.k, a.kdot, a.k11], [b.k, b.kdot, b.k11], rtol: 1e-9, atol: 1e-12, "\(name) v=(\(v1),\(v2)) ρ=\(rho)")
        }
    }

    static let kinked: [(String, Activation, @Sendable (Double) -> Double, @Sendable (Double) -> Double)] = [
        ("relu", .relu, { max($0, 0) }, { $0 > 0 ? 1 : 0 }),
        ("ab_relu(-0.5,1.2)", .abRelu(a: -0.5, b: 1.2), { $0 < 0 ? -0.5 * $0 : 1.2 * $0 }, { $0 < 0 ? -0.5 : 1.2 }),
        ("abs", .abs, { Swift.abs($0) }, { $0 < 0 ? -1 : 1 }),
        ("sign", .sign, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, { _ in 0 }),
        ("rectified_monomial(2)", .rectifiedMonomial(2), { $0 > 0 ? $0 * $0 : 0 }, { $0 > 0 ? 2 * $0 : 0 }),
        ("rectified_monomial(3)", .rectifiedMonomial(3), { $0 > 0 ? $0 * $0 * $0 : 0 }, { $0 > 0 ? 3 * $0 * $0 : 0 }),
        ("rectified_monomial(4)", .rectifiedMonomial(4), { $0 > 0 ? pow($0, 4) : 0 }, { $0 > 0 ? 4 * pow($0, 3) : 0 }),
        ("rectified_monomial(5)", .rectifiedMonomial(5), { $0 > 0 ? pow($0, 5) : 0 }, { $0 > 0 ? 5 * pow($0, 4) : 0 }),
        ("rectified_monomial(1) = relu", .rectifiedMonomial(1), { max($0, 0) }, { $0 > 0 ? 1 : 0 }),
    ]

    @Test("kinked closed forms equal Monte-Carlo averages within 5 standard errors (N = 200 000)",
          arguments: 0..<kinked.count)
    func kinkedAgainstMonteCarlo(index: Int) throws {
        let (name, closed, phi, dphi) = Self.kinked[index]
        var rng = SeededGenerator(seed: UInt64(100 + index))
        for (v1, v2, rho) in [(1.0, 1.0, 0.3), (0.5, 2.0, -0.7), (1.5, 0.8, 0.95)] {
            let a = try Self.dual(closed, v1, v2, rho)
            let n = 200_000
            var s = 0.0, s2 = 0.0, d = 0.0, d2 = 0.0
            for _ in 0..<n {
                let z1 = rng.standardNormal(), z2 = rng.standardNormal()
                let u = v1.squareRoot() * z1
                let v = v2.squareRoot() * (rho * z1 + (1 - rho * rho).squareRoot() * z2)
                let f = phi(u) * phi(v), g = dphi(u) * dphi(v)
                s += f; s2 += f * f; d += g; d2 += g * g
            }
            let mean = s / Double(n), se = ((s2 / Double(n) - mean * mean) / Double(n)).squareRoot()
            let dmean = d / Double(n), dse = ((d2 / Double(n) - dmean * dmean) / Double(n)).squareRoot()
            #expect(Swift.abs(a.k - mean) <= 5 * se + 1e-12, "\(name) E[φφ] \(a.k) vs MC \(mean) ± \(se)")
            #expect(Swift.abs(a.kdot - dmean) <= 5 * dse + 1e-12, "\(name) E[φ′φ′] \(a.kdot) vs MC \(dmean) ± \(dse)")
        }
    }

    static func minEigenvalue(_ m: Matrix) throws -> Double { try SymmetricEigen(m).eigenvalues.elements.min()! }

    static let architectures = [
        "dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)",
        "dense(2,0.1),erf,dense(1.3),gelu,dense(1,0.2)",
        "dense(1.2,0.1),residual([relu,dense(1,0.1)]),layer_norm,abs,dense(1.4,0.3)",
        "dense(1,0.1),parallel([sin(1,2,0.1),dense(0.5)],[relu,dense(1.1,0.2)]),dense(1.3,0.1)",
        "dense(1,0.1),leaky_relu(0.2),dense(1.2,0.05),polynomial(0.1,1,0.5),dense(0.8,0.1)",
    ]

    @Test("K and Θ are symmetric PSD and Θ − K is PSD for networks ending in an NTK-parameterised Dense",
          arguments: architectures)
    func psd(spec: String) throws {
        var rng = SeededGenerator(seed: 7)
        let x = rng.normalMatrix(rows: 30, columns: 5)
        let net = try InfiniteWidthNetwork(ArchitectureSpec.parse(spec))
        let k = try net.kernels(x)
        let (kk, theta) = (k.nngp!, k.ntk!)
        #expect(kk == kk.transposed && theta == theta.transposed)
        // Θ = K_L + W²(…) with the bracket a sum of Hadamard products of PSD matrices (Schur), so
        // Θ − K ⪰ 0; eigenvalue tolerance 1e-10 relative to the largest entry.
        for (m, what) in [(kk, "K"), (theta, "Θ"), (theta - kk, "Θ − K")] {
            let lam = try Self.minEigenvalue(m)
            #expect(lam >= -1e-10 * m.maxAbs, "\(what) smallest eigenvalue \(lam) for \(spec)")
        }
    }

    @Test("a cross kernel equals the corresponding block of the joint kernel")
    func crossKernelBlock() throws {
        var rng = SeededGenerator(seed: 3)
        let a = rng.normalMatrix(rows: 7, columns: 4), b = rng.normalMatrix(rows: 5, columns: 4)
        let joint = Matrix(rows: 12, columns: 4) { i, j in i < 7 ? a[i, j] : b[i - 7, j] }
        let net = try InfiniteWidthNetwork(ArchitectureSpec.parse(Self.architectures[2]))
        let cross = try net.kernels(a, b), full = try net.kernels(joint, tileSize: 16)
        let block = Matrix(rows: 7, columns: 5) { i, j in full.ntk![i, 7 + j] }
        expectClose(cross.ntk!, block, rtol: 1e-12, atol: 1e-14)
    }

    @Test("bad input is rejected with a typed error")
    func badInput() throws {
        let net = try InfiniteWidthNetwork(ArchitectureSpec.parse("dense(1),relu"))
        #expect(throws: NTKError.self) { try net.kernels(Matrix([[1, 2]]), Matrix([[1, 2, 3]])) }
        #expect(throws: NTKError.self) { try net.kernels(Matrix([[1, .nan]])) }
        #expect(throws: NTKError.self) { try ArchitectureSpec.parse("dense(1),foo") }
        #expect(throws: NTKError.self) { try ArchitectureSpec.parse("dense(1,2,3,4)") }
        #expect(throws: NTKError.self) { try ArchitectureSpec.parse("dense(1") }
        #expect(throws: NTKError.self) { try InfiniteWidthNetwork([.activation(.hermite(9))]) }
    }
}

@Suite("Tiled computation")
struct TiledComputationTests {
    @Test("results are bitwise identical for any tile size and thread count")
    func tilesAndThreads() throws {
        var rng = SeededGenerator(seed: 12)
        let x = rng.normalMatrix(rows: 70, columns: 6), x2 = rng.normalMatrix(rows: 33, columns: 6)
        let net = try InfiniteWidthNetwork(ArchitectureSpec.parse("dense(1.3,0.1),relu,dense(1.2,0.1),erf,dense(1,0.2)"))
        let reference = try net.kernels(x, tileSize: 256, threads: 1)
        for (tile, threads) in [(16, 1), (16, 2), (32, 3), (64, 2)] {
            let k = try net.kernels(x, tileSize: tile, threads: threads)
            #expect(k.nngp! == reference.nngp! && k.ntk! == reference.ntk!, "tile \(tile), threads \(threads)")
        }
        let crossReference = try net.kernels(x, x2, threads: 1)
        let cross = try net.kernels(x, x2, tileSize: 16, threads: 2)
        #expect(cross.nngp! == crossReference.nngp! && cross.ntk! == crossReference.ntk!)
    }
}
