import CGSL

/// Internal bridge to the GNU Scientific Library: error-handler set-up and status conversion.
///
/// GSL's default error handler calls `abort()`. `GSLBridge.prepare()` switches it off exactly once
/// per process (a lazily initialised static, which Swift initialises thread-safely), after which
/// every GSL routine reports failure only through its integer status, which `check` turns into a
/// thrown `LinalgError`. Every wrapper in this module calls `prepare()` before its first GSL call.
enum GSLBridge {
    private static let handlerDisabled: Bool = {
        _ = gsl_set_error_handler_off()
        return true
    }()

    /// Disable GSL's aborting error handler (idempotent, thread-safe, O(1) after the first call).
    @inline(__always)
    static func prepare() { _ = handlerDisabled }

    /// GSL's human-readable message for `status` (e.g. "input domain error", "overflow").
    static func message(_ status: Int32) -> String {
        guard let text = gsl_strerror(status) else { return "unknown GSL status" }
        return String(cString: text)
    }

    /// Throw when `status` is not `GSL_SUCCESS`.
    ///
    /// `GSL_EDOM` (an argument outside the function's domain) becomes `LinalgError.domain` with a
    /// message naming the call; any other status (overflow, underflow, maximum iterations, roundoff,
    /// divergence, …) becomes `LinalgError.library(name: "GSL", …)` carrying `gsl_strerror`'s text.
    static func check(_ status: Int32, routine: String) throws {
        guard status != GSL_SUCCESS else { return }
        if status == GSL_EDOM {
            throw LinalgError.domain("\(routine): \(message(status)) (GSL status \(status))")
        }
        throw LinalgError.library(name: "GSL", routine: routine, status: Int(status), message: message(status))
    }
}
