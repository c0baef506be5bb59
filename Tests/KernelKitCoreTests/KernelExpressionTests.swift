import Foundation
import KernelKitCore
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

/// The error a parse throws, or nil.
private func parseError(_ text: String) -> KernelExpressionError? {
    do {
        _ = try KernelExpression.parse(text)
        return nil
    } catch let e as KernelExpressionError {
        return e
    } catch {
        return nil
    }
}

@Suite("Kernel expressions")
struct KernelExpressionTests {
    @Test("every kernel name parses with its defaults (sklearn: all hyperparameters 1 in [1e-5, 1e5])")
    func namesAndDefaults() throws {
        for name in KernelExpression.kernelNames {
            let k = try KernelExpression.parse(name)
            #expect(k.hyperparameters.allSatisfy { $0.bounds == 1e-5...1e5 && !$0.isFixed }, "\(name)")
            if name != "sm" { #expect(k.hyperparameters.allSatisfy { $0.value == 1 }, "\(name)") }
        }
        #expect(try KernelExpression.parse("se").description == "rbf(length=1)")
        #expect(try KernelExpression.parse("sm(q=3)").parameterCount == 9)
        #expect(try KernelExpression.parse("sm(q=2, d=3)").parameterCount == 2 + 2 * 6)
    }

    @Test("keyword values, ARD lists, bounds and fixed flags")
    func keywordArguments() throws {
        let k = try KernelExpression.parse(
            "rbf(length=50) + periodic(length=1, period=1 fixed) * rbf(length=100) + white(noise=0.1 in [1e-3, 1])")
        #expect(k.hyperparameters.map(\.value) == [50, 1, 1, 100, 0.1])
        #expect(k.isFixed == [false, false, true, false, false])
        #expect(k.hyperparameters[4].bounds == 1e-3...1)
        let ard = try KernelExpression.parse("matern32(length=[1, 2.5 fixed, 3] in [0.1, 10])")
        #expect(ard.inputDimension == 3)
        #expect(ard.hyperparameters.map(\.value) == [1, 2.5, 3])
        #expect(ard.isFixed == [false, true, false])
        #expect(ard.hyperparameters.allSatisfy { $0.bounds == 0.1...10 })
    }

    @Test("precedence: * binds tighter than +, parentheses group, numbers scale")
    func precedence() throws {
        let a = try KernelExpression.parse("rbf + rq * white")
        let sum = try #require(a as? SumKernel)
        #expect(sum.terms.count == 2 && sum.terms[1] is ProductKernel)
        let b = try KernelExpression.parse("(rbf + rq) * white")
        let product = try #require(b as? ProductKernel)
        #expect(product.factors.count == 2 && product.factors[0] is SumKernel)
        #expect(b.description == "(rbf(length=1) + rq(length=1, alpha=1)) * white(noise=1)")
        let c = try KernelExpression.parse("2.5*rbf(length=3)")
        #expect(c.description == "constant(value=2.5) * rbf(length=3)")
        // Flattening: nested products and sums become one n-ary node, as with the operators.
        let d = try KernelExpression.parse("(rbf * rq) * (white * constant)")
        #expect((d as? ProductKernel)?.factors.count == 4)
    }

    @Test("the sklearn CO2 kernel parses and prints canonically")
    func co2Kernel() throws {
        let text = "constant(value=44.8)*rbf(length=51) + constant(value=2.64)*rbf(length=91.5)*periodic(length=1.48, period=1)"
            + " + constant(value=0.536)*rq(length=0.976, alpha=2.89) + constant(value=0.0342)*rbf(length=0.136) + white(noise=0.0335)"
        let k = try KernelExpression.parse(text)
        #expect(k.parameterCount == 12)
        #expect(k.description == text.replacingOccurrences(of: "*", with: " * ").replacingOccurrences(of: "  ", with: " "))
    }

    @Test("description round-trips exactly for random kernels with random values, bounds and fixed flags")
    func roundTrip() async throws {
        await propertyCheck(count: 100, input: Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { d, seed in
            var rng = TestRNG(seed: UInt64(seed))
            var kernel = randomCompositeKernel(dimension: d, using: &rng)
            var h = kernel.hyperparameters
            for k in h.indices {
                h[k].value = exp(Double.random(in: -20...20, using: &rng))
                if Bool.random(using: &rng) {
                    let lo = exp(Double.random(in: -10...0, using: &rng))
                    h[k].bounds = lo...(lo * exp(Double.random(in: 0...10, using: &rng)))
                }
                h[k].isFixed = Int.random(in: 0..<4, using: &rng) == 0
            }
            kernel.hyperparameters = h
            let text = kernel.description
            let parsed = try KernelExpression.parse(text)
            #expect(parsed.description == text)
            #expect(parsed.hyperparameters == kernel.hyperparameters, "\(text)")
            let x = randomPoints(5, d, using: &rng)
            #expect(parsed.gram(x) == kernel.gram(x), "same kernel, same arithmetic: identical Gram matrices")
        }
    }

    @Test("syntax errors name the position and what was expected")
    func syntaxErrors() throws {
        let cases: [(String, Int, String)] = [
            ("rbf(length=1", 12, "',' or ')'"),
            ("rbf +", 5, "a kernel name, a number or '('"),
            ("rbf rq", 4, "'+', '*' or the end of the expression"),
            ("rbf(length 1)", 11, "'=' after 'length'"),
            ("(rbf + rq", 9, "')'"),
            ("rbf(length=1 in [2, )", 20, "an upper bound"),
            ("rbf(length=1 wobble)", 13, "'fixed', 'in', ',' or ')'"),
            ("rbf - rq", 4, "a kernel name, a number, '(' or an operator"),
        ]
        for (text, position, expected) in cases {
            let error = try #require(parseError(text), "\(text) must not parse")
            guard case let .syntax(_, p, e, _) = error else {
                Issue.record("\(text): expected a syntax error, got \(error)")
                continue
            }
            #expect(p == position && e == expected, "\(text): \(error)")
            #expect(error.description.contains("column \(position + 1)"))
        }
    }

    @Test("unknown kernels and parameters list the valid ones; bad values are rejected")
    func semanticErrors() throws {
        let unknown = try #require(parseError("rbf + gaussian(length=2)"))
        #expect(unknown == .unknownKernel(expression: "rbf + gaussian(length=2)", position: 6, name: "gaussian",
                                          valid: KernelExpression.kernelNames))
        #expect(unknown.description.contains("matern52") && unknown.description.contains("column 7"))
        let parameter = try #require(parseError("rbf(period=2)"))
        #expect(parameter == .unknownParameter(expression: "rbf(period=2)", position: 4, kernel: "rbf",
                                               name: "period", valid: ["length"]))
        for bad in ["rbf(length=-1)", "rbf(length=0)", "rbf(length=1 in [2, 1])", "rbf(length=1, length=2)",
                    "periodic(period=[1, 2])", "sm(q=2, weights=[1])", "sm(q=1.5)", "sm(q=2, means=[1, 2, 3])",
                    "0 * rbf", "rbf(length=[1, 2]) + rbf(length=[1, 2, 3])"] {
            let error = parseError(bad)
            guard case .invalidValue = error else {
                Issue.record("\(bad): expected invalidValue, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test("kernel operators build the same kernels as expressions")
    func operatorsMatchExpressions() throws {
        let built = 2.0 * RBFKernel(lengthScale: 3) * PeriodicKernel(period: 0.5) + WhiteKernel(noiseLevel: 0.01)
        let parsed = try KernelExpression.parse("2*rbf(length=3)*periodic(length=1, period=0.5) + white(noise=0.01)")
        #expect(built.description == parsed.description)
        #expect(built.hyperparameters == parsed.hyperparameters)
    }
}
