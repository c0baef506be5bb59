import ArgumentParser
import Foundation
import KernelKit

/// `kernelkit kernel`: the NNGP or NTK matrix of an infinitely wide network.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Compute the infinite-width NNGP or NTK matrix of a network architecture.",
        discussion: """
            ARCHITECTURE (--arch) is a compact string or the path of a JSON layer list in \
            neural-tangents' schema (objects with type, out_dim, W_std, b_std, parameterization, args).
            Compact form: layers separated by commas:
              dense(W) | dense(W,b) | dense(W,b,width) | dense(W,none,width)   (width matters only
                                                                               with --parameterization standard)
              relu  leaky_relu(a)  ab_relu(a,b)  abs  erf(a,b,c)  sigmoid_like  gelu  sin(a,b,c)
              cos(a,b,c)  rbf(gamma)  gaussian(a,b)  exp(a,b)  sign  monomial(k)  rectified_monomial(k)
              polynomial(c0,c1,...)  hermite(k)  tanh  layer_norm  identity
              residual([layers])  parallel([layers],[layers],...)
            Example: dense(1.5,0.05),relu,dense(1.5,0.05),relu,dense(1.5,0.05)
            Conventions are neural-tangents': input kernel x.x'/d, kernels per output unit.

            X files hold one point per row, numbers only (CSV with or without header, or .npy). \
            The matrix is printed as CSV (%.17g) unless --out is given.
            """)

    @Option(help: "Architecture: compact string or JSON file.")
    var arch: String

    @Option(help: "Points (rows), .csv or .npy.")
    var x: String

    @Option(help: "Second set of points for a cross kernel (rows of the result are --x).")
    var x2: String?

    @Option(help: "nngp or ntk.")
    var get: String = "ntk"

    @Option(help: "Dense parameterization for compact strings: ntk or standard.")
    var parameterization: String = "ntk"

    @Option(help: "Write the matrix to FILE (.csv or .npy).")
    var out: String?

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard get == "nngp" || get == "ntk" else { throw ValidationError("--get must be nngp or ntk, got '\(get)'") }
        guard Parameterization(rawValue: parameterization) != nil else { throw ValidationError("--parameterization must be ntk or standard") }
        if let out, !(out.hasSuffix(".csv") || out.hasSuffix(".npy")) { throw ValidationError("--out must end in .csv or .npy") }
    }

    func run() throws {
        runtime.apply()
        let network = try InfiniteWidthNetwork(parseArchitecture(arch, parameterization: Parameterization(rawValue: parameterization)!))
        let a = try Dataset.load(x, options: DataReadOptions(header: .detect)).features
        let b = try x2.map { try Dataset.load($0, options: DataReadOptions(header: .detect)).features }
        if let b, b.columns != a.columns {
            throw CLIError("--x has \(a.columns) columns but --x2 has \(b.columns)")
        }
        let selection: KernelSelection = get == "nngp" ? .nngp : .ntk
        let k = try network.kernels(a, b, get: selection, threads: runtime.threads ?? 1)
        let m = (selection == .nngp ? k.nngp : k.ntk)!
        guard m.isFinite else { throw CLIError("the kernel has non-finite entries (overflow in a deep network?)") }
        if let out {
            try writeMatrix(m, columnNames: (0..<m.columns).map { "k\($0)" }, to: out)
            return
        }
        var text = ""
        text.reserveCapacity(m.rows * m.columns * 24)
        for i in 0..<m.rows {
            text += (0..<m.columns).map { String(format: "%.17g", m[i, $0]) }.joined(separator: ",")
            text += "\n"
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
