import Foundation
import KernelKitLinalg
import KernelKitTestSupport
import PropertyBased
import Testing

@Suite("Root finding")
struct RootFindingTests {
    @Test("cos x = x at the Dottie number 0.739085133215160641…")
    func dottie() throws {
        let root = try RootFinding.brent({ Foundation.cos($0) - $0 }, bracket: 0...1)
        // Default tolerance: 2e-12 + 4ε·|x| on the bracket width.
        expectClose(root, 0.73908513321516064166, rtol: 0, atol: 3e-12)
    }

    @Test("cube roots: x³ = a on [0, 10] (property)")
    func cubeRoots() async {
        await propertyCheck(input: Gen.double(in: 0.01...900)) { a in
            let root = try! RootFinding.brent({ $0 * $0 * $0 - a }, bracket: 0...10, absoluteTolerance: 1e-14)
            expectClose(root, Foundation.cbrt(a), rtol: 1e-13, atol: 1e-14)
        }
    }

    @Test("a root exactly at an end point is returned as is")
    func endpointRoot() throws {
        #expect(try RootFinding.brent({ $0 - 2 }, bracket: 2...5) == 2)
        #expect(try RootFinding.brent({ $0 - 5 }, bracket: 2...5) == 5)
    }

    @Test("failures throw: not bracketed, non-finite, too few iterations, a throwing f")
    func failures() {
        #expect {
            try RootFinding.brent({ $0 * $0 + 1 }, bracket: -1...1)
        } throws: { error in
            if case LinalgError.domain(let message)? = error as? LinalgError { return message.contains("not bracketed") }
            return false
        }
        #expect(throws: LinalgError.self) { try RootFinding.brent({ 1 / $0 }, bracket: 0...1) }
        #expect {
            try RootFinding.brent({ Foundation.cos($0) - $0 }, bracket: 0...1, absoluteTolerance: 0, relativeTolerance: 0, maxIterations: 3)
        } throws: { error in
            if case LinalgError.noConvergence(_, let iterations, let width)? = error as? LinalgError { return iterations == 3 && width > 0 }
            return false
        }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try RootFinding.brent({ x in if abs(x - 0.5) < 0.4 { throw Boom() }; return x - 0.5 }, bracket: 0...1)
        }
    }
}
