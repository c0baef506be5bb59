/// Why a kernel expression (`--kernel EXPR`) could not be turned into a kernel. Positions are
/// 0-based character offsets into the expression; messages show them as 1-based columns.
public enum KernelExpressionError: Error, Equatable, CustomStringConvertible {
    /// The text does not follow the grammar: `expected` describes what could appear at `position`.
    case syntax(expression: String, position: Int, expected: String, found: String)
    /// A kernel name that is not one of `valid`.
    case unknownKernel(expression: String, position: Int, name: String, valid: [String])
    /// A keyword argument the kernel does not take; `valid` lists the ones it does.
    case unknownParameter(expression: String, position: Int, kernel: String, name: String, valid: [String])
    /// A well-formed value outside its domain (non-positive, inverted bounds, inconsistent counts).
    case invalidValue(expression: String, position: Int, message: String)

    /// Offset of the offending character.
    public var position: Int {
        switch self {
        case let .syntax(_, p, _, _), let .unknownKernel(_, p, _, _), let .unknownParameter(_, p, _, _, _),
             let .invalidValue(_, p, _): return p
        }
    }

    /// The canonical kernel expression (see ``KernelExpression``).
    public var description: String {
        switch self {
        case let .syntax(e, p, expected, found):
            return "kernel expression \"\(e)\", column \(p + 1): expected \(expected) but found \(found)"
        case let .unknownKernel(e, p, name, valid):
            return "kernel expression \"\(e)\", column \(p + 1): unknown kernel '\(name)'; valid kernels: "
                + valid.joined(separator: ", ")
        case let .unknownParameter(e, p, kernel, name, valid):
            return "kernel expression \"\(e)\", column \(p + 1): \(kernel) has no parameter '\(name)'; valid: "
                + valid.joined(separator: ", ")
        case let .invalidValue(e, p, message):
            return "kernel expression \"\(e)\", column \(p + 1): \(message)"
        }
    }
}
