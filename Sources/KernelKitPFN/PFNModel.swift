import Foundation
import KernelKitLinalg

/// A trained prior-data fitted network: the transformer, its output bar distribution and the prior it
/// was trained on. `predict` approximates the posterior predictive p(y* | x*, context) of that prior in
/// one forward pass (Müller et al., ICLR 2022).
///
/// File format (`write(to:)`, `init(contentsOf:)`): the 8 bytes "KKPFN01\n", an 8-byte little-endian
/// header length, a JSON header (format, prior specification, architecture, borders, training record,
/// tensor count, FNV-1a-64 checksum of the payload), then the payload: every parameter (and, in a
/// checkpoint, the optimiser's two moment vectors) as little-endian Float64 in the canonical tensor
/// order. Loading checks the magic, the header, the sizes and the checksum.
public struct PFNModel: Sendable {
    /// The network.
    public var transformer: PFNTransformer
    /// The output distribution's buckets.
    public let bar: BarDistribution
    /// The prior the network was trained on.
    public let prior: PFNPriorSpecification
    /// How it was trained (steps done, options, seed), for the record.
    public var training: PFNTrainingRecord

    /// A model from its parts. Precondition: the bar distribution has the architecture's bucket count.
    public init(transformer: PFNTransformer, bar: BarDistribution, prior: PFNPriorSpecification, training: PFNTrainingRecord) {
        precondition(bar.bucketCount == transformer.architecture.buckets, "PFNModel: bucket count mismatch")
        self.transformer = transformer
        self.bar = bar
        self.prior = prior
        self.training = training
    }

    /// The architecture.
    public var architecture: PFNArchitecture { transformer.architecture }

    /// Predictive distributions for the query points of every dataset of a batch, in batch order.
    /// One single-precision forward pass (``PFNFloatTransformer``; log densities within 10⁻⁴ nat of
    /// the Float64 pass ``predictFloat64(_:)``), bucket probabilities by a Float64 softmax of its
    /// logits. Cost as ``PFNTransformer`` plus O(parameters) to round the weights to Float.
    public func predict(_ batch: PFNBatch) -> [PFNPredictive] {
        predictives(PFNFloatTransformer(transformer).logits(batch))
    }

    /// As ``predict(_:)`` through the Float64 forward pass (``PFNTransformer/logits(_:)``): the
    /// reference the single-precision path is checked against; about 3.5× slower.
    public func predictFloat64(_ batch: PFNBatch) -> [PFNPredictive] {
        predictives(transformer.logits(batch))
    }

    /// Bucket probabilities softmax(column) for every column of a K × Q logit matrix.
    func predictives(_ logits: Matrix) -> [PFNPredictive] {
        let k = logits.rows
        var shifted = logits.storage
        for q in 0..<logits.columns {
            var top = -Double.infinity
            for i in 0..<k { top = max(top, shifted[q * k + i]) }
            for i in 0..<k { shifted[q * k + i] -= top }
        }
        VectorMath.exp(&shifted)
        return (0..<logits.columns).map { q in
            var p = Array(shifted[(q * k)..<((q + 1) * k)])
            let inverseSum = 1 / p.reduce(0, +)
            for i in p.indices { p[i] *= inverseSum }
            return PFNPredictive(bar: bar, probabilities: p)
        }
    }

    /// Predictive distributions at `queryInputs` (point-major, D per point) given one context.
    /// - Throws: ``PFNError/invalidInput(_:)`` for non-finite values or sizes that are not multiples of D.
    public func predict(contextInputs: [Double], contextTargets: [Double], queryInputs: [Double]) throws -> [PFNPredictive] {
        let d = architecture.inputDimension
        guard contextInputs.count == contextTargets.count * d, queryInputs.count % d == 0 else {
            throw PFNError.invalidInput("inputs must have \(d) value(s) per point")
        }
        guard (contextInputs + contextTargets + queryInputs).allSatisfy({ $0.isFinite }) else {
            throw PFNError.invalidInput("context and query values must be finite")
        }
        var batch = PFNBatch(inputDimension: d)
        batch.append(contextInputs: contextInputs, contextTargets: contextTargets, queryInputs: queryInputs)
        return predict(batch)
    }

    // MARK: Files

    static let magic = Array("KKPFN01\n".utf8)
    static let format = "kernelkit.pfn/1"

    struct Header: Codable {
        var format: String
        var prior: PFNPriorSpecification
        var architecture: PFNArchitecture
        var borders: [Double]
        var training: PFNTrainingRecord
        var payloadDoubles: Int
        var hasOptimizerState: Bool
        var checksum: String
    }

    /// The serialised model (no optimiser state).
    public func serialized() throws -> Data { try Self.serialize(self, optimizer: nil) }

    /// Writes the model file. - Throws: the file system's error.
    public func write(to path: String) throws {
        try serialized().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a model file. - Throws: ``PFNError/invalidInput(_:)`` for a missing, truncated,
    /// corrupt (checksum) or malformed file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PFNError.invalidInput("cannot read PFN model file '\(path)' (missing or unreadable)")
        }
        self = try Self.deserialize(data, source: path).model
    }

    /// Parses serialised model bytes. - Throws: ``PFNError/invalidInput(_:)`` as ``init(contentsOf:)``.
    public init(data: Data) throws {
        self = try Self.deserialize(data, source: "model data").model
    }

    static func serialize(_ model: PFNModel, optimizer: AdamWState?) throws -> Data {
        var doubles: [Double] = []
        doubles.reserveCapacity(model.architecture.parameterCount * (optimizer == nil ? 1 : 2))
        for t in model.transformer.parameters { doubles += t.storage }
        if let optimizer {
            for t in optimizer.firstMoment { doubles += t.storage }
            for t in optimizer.secondMoment { doubles += t.storage }
        }
        var payloadBytes = [UInt8](repeating: 0, count: doubles.count * 8)
        for (i, x) in doubles.enumerated() {
            let bits = x.bitPattern
            for b in 0..<8 { payloadBytes[8 * i + b] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b))) }
        }
        let payload = Data(payloadBytes)
        let header = Header(format: format, prior: model.prior, architecture: model.architecture,
                            borders: model.bar.borders, training: model.training, payloadDoubles: doubles.count,
                            hasOptimizerState: optimizer != nil, checksum: fnv1a(payload))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var out = Data(magic)
        out.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) })
        out.append(json)
        out.append(payload)
        return out
    }

    static func deserialize(_ data: Data, source: String) throws -> (model: PFNModel, optimizer: AdamWState?) {
        let bytes = [UInt8](data)
        func corrupt(_ why: String) -> PFNError { PFNError.invalidInput("'\(source)' is not a valid PFN model file: \(why)") }
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw corrupt("wrong magic bytes") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 16) else { throw corrupt("truncated header") }
        let headerEnd = 16 + Int(length)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<headerEnd]))
        } catch {
            throw corrupt("unreadable header")
        }
        guard header.format == format else { throw corrupt("unknown format '\(header.format)'") }
        do { try header.architecture.validate() } catch { throw corrupt("\(error)") }
        let count = header.architecture.parameterCount
        let expected = count * (header.hasOptimizerState ? 3 : 1)
        guard header.payloadDoubles == expected, bytes.count - headerEnd == expected * 8 else {
            throw corrupt("payload has \(bytes.count - headerEnd) bytes, expected \(expected * 8)")
        }
        let payload = Data(bytes[headerEnd...])
        guard fnv1a(payload) == header.checksum else { throw corrupt("checksum mismatch (file damaged)") }
        var doubles = [Double](repeating: 0, count: expected)
        for i in 0..<expected {
            var bits: UInt64 = 0
            let base = headerEnd + 8 * i
            for b in 0..<8 { bits |= UInt64(bytes[base + b]) << (8 * UInt64(b)) }
            doubles[i] = Double(bitPattern: bits)
        }
        let shapes = header.architecture.tensorShapes
        var offset = 0
        func tensors() -> [Matrix] {
            shapes.map { s in
                let n = s.rows * s.columns
                defer { offset += n }
                return Matrix(rows: s.rows, columns: s.columns, columnMajor: Array(doubles[offset..<(offset + n)]))
            }
        }
        let parameters = tensors()
        let bar: BarDistribution
        let transformer: PFNTransformer
        do {
            bar = try BarDistribution(borders: header.borders)
            transformer = try PFNTransformer(architecture: header.architecture, parameters: parameters)
        } catch { throw corrupt("\(error)") }
        guard bar.bucketCount == header.architecture.buckets else { throw corrupt("borders do not match the bucket count") }
        let model = PFNModel(transformer: transformer, bar: bar, prior: header.prior, training: header.training)
        guard header.hasOptimizerState else { return (model, nil) }
        let m = tensors(), v = tensors()
        return (model, AdamWState(firstMoment: m, secondMoment: v))
    }

    /// FNV-1a 64-bit hash as 16 hex digits (corruption check, not security).
    static func fnv1a(_ data: Data) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return String(h, radix: 16)
    }
}

/// A predictive distribution for one query point: a ``BarDistribution`` with bucket probabilities.
public struct PFNPredictive: Sendable {
    /// The buckets.
    public let bar: BarDistribution
    /// Bucket probabilities (sum 1).
    public let probabilities: [Double]

    /// Predictive mean. O(K).
    public var mean: Double { bar.mean(probabilities: probabilities) }
    /// The q-quantile, 0 < q < 1. O(K).
    public func quantile(_ q: Double) -> Double { bar.quantile(q, probabilities: probabilities) }
    /// log p(y). O(K).
    public func logDensity(_ y: Double) -> Double {
        let (k, within) = bar.logDensityWithinBucket(y)
        return Foundation.log(probabilities[k]) + within
    }
}
