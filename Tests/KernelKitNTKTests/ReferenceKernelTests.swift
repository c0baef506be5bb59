import Foundation
import KernelKitLinalg
import KernelKitNTK
import KernelKitTestSupport
import Testing

/// Agreement with neural-tangents 0.6.5 on the reference file mlp_kernels.json (copied from
/// shared/reference/ntk; see Fixtures/README.md). Tolerance from that file:
/// |a − b| ≤ 1e-10·|b| + 1e-12·max|K|.
@Suite("NNGP/NTK agree with neural-tangents")
struct ReferenceKernelTests {
    struct Case: Decodable {
        let name: String
        let results: [String: Result]
        struct Result: Decodable { let x1: String; let x2: String?; let nngp: [[Double]]; let ntk: [[Double]] }
    }
    struct File: Decodable { let inputs: [String: [[Double]]]; let cases: [Case] }

    static let data: Data = {
        let url = Bundle.module.url(forResource: "Fixtures/mlp_kernels", withExtension: "json")!
        return try! Data(contentsOf: url)
    }()
    static let file = try! JSONDecoder().decode(File.self, from: data)
    /// Each case's `arch` layer list, re-serialised, to exercise the JSON architecture reader.
    static let architectures: [String: Data] = {
        let obj = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        var out: [String: Data] = [:]
        for c in obj["cases"] as! [[String: Any]] {
            out[c["name"] as! String] = try! JSONSerialization.data(withJSONObject: c["arch"]!)
        }
        return out
    }()

    @Test("every reference case, self and cross kernels", arguments: file.cases.map(\.name))
    func referenceCase(name: String) throws {
        let c = Self.file.cases.first { $0.name == name }!
        let net = try InfiniteWidthNetwork(ArchitectureJSON.layers(from: Self.architectures[name]!))
        for (pair, expected) in c.results {
            let x1 = Matrix(Self.file.inputs[expected.x1]!)
            let x2 = expected.x2.map { Matrix(Self.file.inputs[$0]!) }
            let k = try net.kernels(x1, x2)
            for (got, want, what) in [(k.nngp!, Matrix(expected.nngp), "nngp"), (k.ntk!, Matrix(expected.ntk), "ntk")] {
                expectClose(got, want, rtol: 1e-10, atol: 1e-12 * want.maxAbs, "\(name) \(pair) \(what)")
            }
        }
    }
}
