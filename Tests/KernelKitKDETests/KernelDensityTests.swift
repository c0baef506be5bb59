import Foundation
import KernelKitKDE
import KernelKitLinalg
import KernelKitTestSupport
import Testing

/// n × d points from a fixed seed: a two-component Gaussian mixture (modes at ∓1.5 in every coordinate).
private func mixtureData(n: Int, d: Int, seed: UInt64) -> Matrix {
    var g = SeededGenerator(seed: seed)
    return Matrix(rows: n, columns: d) { i, _ in (i % 2 == 0 ? -1.5 : 1.5) + 0.7 * g.standardNormal() }
}

/// Direct double loop: C_d/(n hᵈ) Σᵢ k(‖y − xᵢ‖).
private func naiveDensity(_ x: Matrix, _ q: Matrix, _ kernel: DensityKernel, _ h: Double) -> [Double] {
    let (n, d) = (x.rows, x.columns)
    let c = kernel.normalization(dimension: d) / (Double(n) * pow(h, Double(d)))
    return (0..<q.rows).map { a in
        var s = 0.0
        for i in 0..<n {
            var r2 = 0.0
            for j in 0..<d { let t = q[a, j] - x[i, j]; r2 += t * t }
            s += kernel.profile(squaredDistance: r2, bandwidth: h)
        }
        return c * s
    }
}

@Suite("Exact kernel density")
struct ExactKernelDensityTests {
    @Test("blocked GEMM evaluation equals a naive loop (rtol 1e-10, atol 1e-14) across blocks, kernels, dimensions")
    func matchesNaive() throws {
        for d in [1, 3] {
            // n = 4100 > one data block (4096), m = 300 > one query block (256); offset 100 tests centring.
            var x = mixtureData(n: 4100, d: d, seed: 7)
            for k in x.storage.indices { x.storage[k] += 100 }
            var q = mixtureData(n: 300, d: d, seed: 8)
            for k in q.storage.indices { q.storage[k] += 100 }
            for kernel in DensityKernel.allCases {
                let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: .fixed(0.6))
                expectClose(try kde.density(at: q), naiveDensity(x, q, kernel, 0.6), rtol: 1e-10, atol: 1e-14,
                            "\(kernel) d=\(d)")
            }
        }
    }

    @Test("1-D densities integrate to 1 (Gauss–Legendre, 400 nodes per unit-h panel; tolerance 1e-9)")
    func integratesToOne1D() throws {
        let x = mixtureData(n: 40, d: 1, seed: 3)
        let h = 0.5
        for kernel in DensityKernel.allCases {
            let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: .fixed(h))
            // Panels of width h/2 over [−25, 25] keep the kinks (Laplace, Epanechnikov) inside few panels.
            let rule = try Quadrature.gaussLegendre(order: 20, from: 0, to: 0.25)
            var nodes: [Double] = [], weights: [Double] = []
            for p in 0..<200 {
                for (t, w) in zip(rule.nodes, rule.weights) { nodes.append(-25 + Double(p) * 0.25 + t); weights.append(w) }
            }
            let f = try kde.density(at: Matrix(rows: nodes.count, columns: 1, columnMajor: nodes))
            let total = zip(f, weights).reduce(0) { $0 + $1.0 * $1.1 }
            // The kinks of Laplace / Epanechnikov inside a panel limit Gauss–Legendre to ≈ 1e-5.
            expectClose(total, 1, rtol: kernel == .gaussian ? 1e-9 : 2e-4, "\(kernel)")
        }
    }

    @Test("2-D Gaussian and Epanechnikov densities integrate to 1 (tensor Gauss–Legendre; tol 1e-8 / 1e-3)")
    func integratesToOne2D() throws {
        let x = mixtureData(n: 10, d: 2, seed: 4)
        for kernel in [DensityKernel.gaussian, .epanechnikov] {
            let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: .fixed(0.8))
            let rule = try Quadrature.gaussLegendre(order: 10, from: 0, to: 0.5)
            var pts: [[Double]] = [], w: [Double] = []
            var axis: [Double] = [], aw: [Double] = []
            for p in 0..<48 { for (t, ww) in zip(rule.nodes, rule.weights) { axis.append(-12 + Double(p) * 0.5 + t); aw.append(ww) } }
            for (a, wa) in zip(axis, aw) { for (b, wb) in zip(axis, aw) { pts.append([a, b]); w.append(wa * wb) } }
            let f = try kde.density(at: Matrix(pts))
            let total = zip(f, w).reduce(0) { $0 + $1.0 * $1.1 }
            expectClose(total, 1, rtol: kernel == .gaussian ? 1e-8 : 1e-3, "\(kernel)")
        }
    }

    @Test("normalising constants: closed forms in d = 1, 2, 3 (rtol 1e-14)")
    func normalization() {
        expectClose(DensityKernel.laplace.normalization(dimension: 1), 0.5, rtol: 1e-14)
        expectClose(DensityKernel.laplace.normalization(dimension: 2), 1 / (2 * Double.pi), rtol: 1e-14)
        expectClose(DensityKernel.laplace.normalization(dimension: 3), 1 / (8 * Double.pi), rtol: 1e-14)
        expectClose(DensityKernel.epanechnikov.normalization(dimension: 1), 0.75, rtol: 1e-14)
        expectClose(DensityKernel.epanechnikov.normalization(dimension: 2), 2 / Double.pi, rtol: 1e-14)
        expectClose(DensityKernel.epanechnikov.normalization(dimension: 3), 15 / (8 * Double.pi), rtol: 1e-14)
        expectClose(DensityKernel.gaussian.normalization(dimension: 2), 1 / (2 * Double.pi), rtol: 1e-14)
    }

    @Test("bad input throws typed errors")
    func badInput() throws {
        let x = Matrix([[0.0, 1.0], [1.0, 2.0], [2.0, 0.5]])
        #expect(throws: KernelDensityError.invalidBandwidth(0)) { try KernelDensity(data: x, bandwidth: .fixed(0)) }
        #expect(throws: KernelDensityError.emptyData) { try KernelDensity(data: Matrix(rows: 0, columns: 2)) }
        #expect(throws: KernelDensityError.nonFinite(what: "data")) {
            try KernelDensity(data: Matrix([[0.0, .nan], [1, 1]]), bandwidth: .fixed(1))
        }
        let kde = try KernelDensity(data: x, bandwidth: .fixed(1))
        #expect(throws: KernelDensityError.dimensionMismatch(expected: 2, got: 3)) { try kde.density(at: Matrix(rows: 1, columns: 3)) }
        #expect(throws: KernelDensityError.self) { try KernelDensity(data: Matrix([[1.0], [1.0]]), bandwidth: .scott) }
        #expect(throws: KernelDensityError.self) {
            try BinnedKernelDensity(data: Matrix(rows: 3, columns: 3, repeating: 1), bandwidth: 1)
        }
    }
}

@Suite("Bandwidth selection")
struct BandwidthTests {
    @Test("Scott and Silverman equal scipy's factors times the sample sd (1-D, rtol 1e-14)")
    func rulesOfThumb1D() throws {
        // x = 1…5: sample sd √2.5; scipy gaussian_kde(x).factor = 5^(−1/5) (scott), (5·3/4)^(−1/5) (silverman).
        let x = Matrix(rows: 5, columns: 1, columnMajor: [1, 2, 3, 4, 5])
        expectClose(try KernelDensity.scottBandwidth(x), 2.5.squareRoot() * pow(5, -0.2), rtol: 1e-14)
        expectClose(try KernelDensity.silvermanBandwidth(x), 2.5.squareRoot() * pow(3.75, -0.2), rtol: 1e-14)
    }

    @Test("2-D rules use σ̂ = √(mean marginal variance) and exponent −1/(d+4) (rtol 1e-14)")
    func rulesOfThumb2D() throws {
        // Columns (0,0,2,2) var 4/3 and (0,3,0,3) var 3: σ̂² = 13/6; n = 4, d = 2.
        let x = Matrix([[0.0, 0.0], [0.0, 3.0], [2.0, 0.0], [2.0, 3.0]])
        let sigma = (13.0 / 6).squareRoot()
        expectClose(try KernelDensity.scottBandwidth(x), sigma * pow(4, -1.0 / 6), rtol: 1e-14)
        expectClose(try KernelDensity.silvermanBandwidth(x), sigma * pow(4.0 * 4 / 4, -1.0 / 6), rtol: 1e-14)
    }

    @Test("leave-one-out log-likelihood equals a naive double loop (rtol 1e-12)")
    func leaveOneOutNaive() throws {
        let x = mixtureData(n: 50, d: 2, seed: 5)
        for kernel in DensityKernel.allCases {
            let h = 0.9
            var total = 0.0
            for i in 0..<50 {
                let others = Matrix(rows: 49, columns: 2) { r, j in x[r < i ? r : r + 1, j] }
                total += log(naiveDensity(others, x.rows(i..<(i + 1)), kernel, h)[0])
            }
            expectClose(try KernelDensity.leaveOneOutLogLikelihood(x, kernel: kernel, bandwidth: h), total,
                        rtol: 1e-12, "\(kernel)")
        }
    }

    @Test("likelihood CV on N(0,1), n = 400: h within [0.4, 2]× Silverman, and a local maximum of L(h) (±2 %)")
    func crossValidation() throws {
        var g = SeededGenerator(seed: 11)
        let x = Matrix(rows: 400, columns: 1) { _, _ in g.standardNormal() }
        let cv = try KernelDensity.crossValidatedBandwidth(x, kernel: .gaussian)
        let hS = try KernelDensity.silvermanBandwidth(x)
        #expect(cv.bandwidth > 0.4 * hS && cv.bandwidth < 2 * hS, "CV h \(cv.bandwidth) vs Silverman \(hS)")
        for factor in [0.98, 1.02] {
            let l = try KernelDensity.leaveOneOutLogLikelihood(x, kernel: .gaussian, bandwidth: cv.bandwidth * factor)
            #expect(l <= cv.logLikelihood + 1e-9)
        }
    }

    @Test("duplicated points make CV fail with a typed error, not a degenerate h")
    func crossValidationDuplicates() {
        let x = Matrix(rows: 6, columns: 1, columnMajor: [0, 0, 1, 1, 2, 2])
        #expect(throws: KernelDensityError.self) { try KernelDensity.crossValidatedBandwidth(x) }
    }
}

@Suite("Binned FFT kernel density")
struct BinnedKernelDensityTests {
    @Test("1-D binned FFT estimate is within its stated error bound of the exact one, and the bound is < 1e-3 of the peak")
    func binned1D() throws {
        let x = mixtureData(n: 3000, d: 1, seed: 21)
        let q = Matrix(rows: 400, columns: 1) { i, _ in -5 + 10 * Double(i) / 399 }
        for kernel in DensityKernel.allCases {
            let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: .fixed(0.3))
            let binned = try kde.binned(gridPoints: 4096)
            let exact = try kde.density(at: q)
            let approx = try binned.density(at: q)
            let worst = zip(exact, approx).map { abs($0 - $1) }.max()!
            #expect(worst <= binned.errorBound, "\(kernel): error \(worst) > bound \(binned.errorBound)")
            if kernel == .gaussian {
                // The second-order (smooth-kernel) bound must also be useful; the first-order bounds
                // for the kinked kernels are valid but loose (≈ 15 % of the peak here).
                #expect(binned.errorBound < 1e-3 * exact.max()!, "bound \(binned.errorBound) too loose")
            }
        }
    }

    @Test("2-D binned FFT estimate is within its stated error bound of the exact one")
    func binned2D() throws {
        let x = mixtureData(n: 800, d: 2, seed: 22)
        let q = mixtureData(n: 100, d: 2, seed: 23)
        for kernel in DensityKernel.allCases {
            let kde = try KernelDensity(data: x, kernel: kernel, bandwidth: .fixed(0.5))
            let binned = try kde.binned(gridPoints: 512)
            let exact = try kde.density(at: q)
            let approx = try binned.density(at: q)
            let worst = zip(exact, approx).map { abs($0 - $1) }.max()!
            #expect(worst <= binned.errorBound, "\(kernel): error \(worst) > bound \(binned.errorBound)")
            if kernel == .gaussian {
                #expect(binned.errorBound < 0.02 * exact.max()!, "bound \(binned.errorBound) too loose")
            }
        }
    }
}
