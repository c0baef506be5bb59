import Foundation

/// One of the GP-HM paper's benchmark problems (Fang et al., ICLR 2024, §6): a PDE on a box with a
/// known exact solution, used ONLY to make the source term and the Dirichlet boundary values and to
/// score the result — never to initialise a solver.
public struct BenchmarkProblem: Sendable {
    /// Short name, e.g. "poisson1d-sin100".
    public let name: String
    /// The equation as text, e.g. "u_xx = f".
    public let equationText: String
    /// The exact solution as text.
    public let solutionText: String
    /// The domain [lower, upper] in every dimension (a cube).
    public let lower: Double, upper: Double
    /// Dimension d (1 or 2).
    public let dimension: Int
    /// The paper's grid size per dimension.
    public let defaultGridSize: Int
    /// The differential operator E.
    public let equation: DifferentialOperator
    /// The highest angular frequency in the exact solution (rad/unit, in any dimension): a grid must
    /// sample it above the Nyquist rate, h < π/ω.
    public let highestAngularFrequency: Double
    /// The exact solution u(x).
    public let exactSolution: @Sendable ([Double]) -> Double
    /// The source f(x) = E(u)(x), computed analytically from the exact solution.
    public let source: @Sendable ([Double]) -> Double

    /// The domain as text, e.g. "[0, 2π]²".
    public var domainText: String {
        func t(_ x: Double) -> String { abs(x - 2 * .pi) < 1e-12 ? "2π" : String(format: "%g", x) }
        return "[\(t(lower)), \(t(upper))]" + (dimension == 2 ? "²" : "")
    }

    /// The tensor grid with `size` points per dimension.
    /// - Throws: `PDEError.invalidProblem` for size < 2.
    public func grid(size: Int) throws -> TensorGrid {
        let axis = try UniformGrid(lower: lower, upper: upper, count: size)
        return TensorGrid(Array(repeating: axis, count: dimension))
    }

    /// The collocation problem on a grid of `size` points per dimension: f at every grid point and the
    /// exact solution's values on the boundary.
    /// - Throws: `PDEError.invalidProblem` when the grid is too coarse to resolve the solution's highest
    ///   frequency (fewer than two points per period).
    public func problem(gridSize size: Int) throws -> PDEProblem {
        let g = try grid(size: size)
        let nyquist = g.axes[0].nyquistFrequency
        let needed = highestAngularFrequency / (2 * .pi)
        guard needed < nyquist else {
            let minimum = Int(((upper - lower) * highestAngularFrequency / .pi).rounded(.up)) + 2
            throw PDEError.invalidProblem("a grid of \(size) points resolves frequencies up to \(String(format: "%.3g", nyquist)) cycles/unit but \(name) contains \(String(format: "%.3g", needed)) (\(String(format: "%g", highestAngularFrequency)) rad/unit); use at least \(minimum) points")
        }
        let boundary = g.boundaryIndices.map { exactSolution(g.point($0)) }
        return try PDEProblem(grid: g, equation: equation, source: g.sample(source), boundaryValues: boundary)
    }

    /// The built-in problems, in the order of the issue's table.
    public static let all: [BenchmarkProblem] = {
        let twoPi = 2 * Double.pi
        func oneD(_ name: String, _ eq: String, _ text: String, _ upper: Double, _ n: Int, omega: Double, allenCahn: Bool,
                  _ u: @escaping @Sendable (Double) -> Double, _ uxx: @escaping @Sendable (Double) -> Double) -> BenchmarkProblem {
            BenchmarkProblem(name: name, equationText: eq, solutionText: text, lower: 0, upper: upper, dimension: 1,
                             defaultGridSize: n, equation: allenCahn ? .allenCahn(dimension: 1) : .laplacian(dimension: 1),
                             highestAngularFrequency: omega,
                             exactSolution: { u($0[0]) },
                             source: { x in
                                 let v = u(x[0])
                                 return uxx(x[0]) + (allenCahn ? v * (v * v - 1) : 0)
                             })
        }
        let poisson = "u_xx = f", allen = "u_xx + u(u^2 - 1) = f"
        return [
            oneD("poisson1d-sin100", poisson, "sin(100x)", twoPi, 400, omega: 100, allenCahn: false,
                 { sin(100 * $0) }, { -10_000 * sin(100 * $0) }),
            oneD("poisson1d-mix", poisson, "sin(x) + 0.1 sin(20x) + 0.05 sin(100x)", 1, 900, omega: 100, allenCahn: false,
                 { sin($0) + 0.1 * sin(20 * $0) + 0.05 * sin(100 * $0) },
                 { -sin($0) - 40 * sin(20 * $0) - 500 * sin(100 * $0) }),
            oneD("poisson1d-sincos", poisson, "sin(6x) cos(100x)", twoPi, 400, omega: 106, allenCahn: false,
                 { sin(6 * $0) * cos(100 * $0) },
                 { 0.5 * (-106 * 106 * sin(106 * $0) + 94 * 94 * sin(94 * $0)) }),
            oneD("poisson1d-xsin200", poisson, "x sin(200x)", twoPi, 900, omega: 200, allenCahn: false,
                 { $0 * sin(200 * $0) }, { 400 * cos(200 * $0) - 40_000 * $0 * sin(200 * $0) }),
            oneD("poisson1d-sin500", poisson, "sin(500x) - 2(x - 0.5)^2", 1, 400, omega: 500, allenCahn: false,
                 { sin(500 * $0) - 2 * ($0 - 0.5) * ($0 - 0.5) }, { -250_000 * sin(500 * $0) - 4 }),
            oneD("allencahn1d-sin100", allen, "sin(100x)", twoPi, 400, omega: 100, allenCahn: true,
                 { sin(100 * $0) }, { -10_000 * sin(100 * $0) }),
            oneD("allencahn1d-sincos", allen, "sin(6x) cos(100x)", twoPi, 400, omega: 106, allenCahn: true,
                 { sin(6 * $0) * cos(100 * $0) },
                 { 0.5 * (-106 * 106 * sin(106 * $0) + 94 * 94 * sin(94 * $0)) }),
            BenchmarkProblem(name: "poisson2d-sin100", equationText: "u_xx + u_yy = f", solutionText: "sin(100x) sin(100y)",
                             lower: 0, upper: twoPi, dimension: 2, defaultGridSize: 400, equation: .laplacian(dimension: 2),
                             highestAngularFrequency: 100,
                             exactSolution: { sin(100 * $0[0]) * sin(100 * $0[1]) },
                             source: { -20_000 * sin(100 * $0[0]) * sin(100 * $0[1]) }),
            BenchmarkProblem(name: "poisson2d-sincos", equationText: "u_xx + u_yy = f",
                             solutionText: "sin(6x) cos(20x) + sin(6y) cos(20y)",
                             lower: 0, upper: twoPi, dimension: 2, defaultGridSize: 200, equation: .laplacian(dimension: 2),
                             highestAngularFrequency: 26,
                             exactSolution: { sin(6 * $0[0]) * cos(20 * $0[0]) + sin(6 * $0[1]) * cos(20 * $0[1]) },
                             source: { x in
                                 func h2(_ t: Double) -> Double { 0.5 * (-676 * sin(26 * t) + 196 * sin(14 * t)) }
                                 return h2(x[0]) + h2(x[1])
                             }),
            BenchmarkProblem(name: "allencahn2d-mix", equationText: "u_xx + u_yy + u(u^2 - 1) = f",
                             solutionText: "(sin x + 0.1 sin 20x + cos 100x)(sin y + 0.1 sin 20y + cos 100y)",
                             lower: 0, upper: 1, dimension: 2, defaultGridSize: 400, equation: .allenCahn(dimension: 2),
                             highestAngularFrequency: 100,
                             exactSolution: { x in
                                 func p(_ t: Double) -> Double { sin(t) + 0.1 * sin(20 * t) + cos(100 * t) }
                                 return p(x[0]) * p(x[1])
                             },
                             source: { x in
                                 func p(_ t: Double) -> Double { sin(t) + 0.1 * sin(20 * t) + cos(100 * t) }
                                 func p2(_ t: Double) -> Double { -sin(t) - 40 * sin(20 * t) - 10_000 * cos(100 * t) }
                                 let u = p(x[0]) * p(x[1])
                                 return p2(x[0]) * p(x[1]) + p(x[0]) * p2(x[1]) + u * (u * u - 1)
                             }),
            BenchmarkProblem(name: "advection-beta200", equationText: "200 u_x + u_y = 0", solutionText: "sin(x - 200y)",
                             lower: 0, upper: 1, dimension: 2, defaultGridSize: 200,
                             equation: DifferentialOperator(secondOrder: [0, 0], firstOrder: [200, 1]),
                             highestAngularFrequency: 200,
                             exactSolution: { sin($0[0] - 200 * $0[1]) }, source: { _ in 0 }),
        ]
    }()

    /// The built-in problem called `name`.
    /// - Throws: `PDEError.invalidProblem` listing the known names.
    public static func named(_ name: String) throws -> BenchmarkProblem {
        guard let p = all.first(where: { $0.name == name }) else {
            throw PDEError.invalidProblem("unknown problem '\(name)'; known: \(all.map(\.name).joined(separator: ", "))")
        }
        return p
    }
}
