import Foundation
import KernelKitLinalg
@testable import KernelKitScaleMixtures

/// Fixtures/student_t_process.json: the Student-t process (own closed-form numpy/scipy) over a
/// neural-tangents 0.6.5 NNGP kernel, the ν → ∞ sequence, and a Burr XII prior by quadrature.
enum Reference {
    static var json: [String: Any] {
        let url = Bundle.module.url(forResource: "Fixtures/student_t_process", withExtension: "json")!
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func matrix(_ key: String, in object: [String: Any] = json) -> Matrix {
        Matrix((object[key] as! [[Double]]))
    }
    static func vector(_ key: String, in object: [String: Any] = json) -> [Double] { object[key] as! [Double] }
    static func number(_ key: String, in object: [String: Any] = json) -> Double { (object[key] as! NSNumber).doubleValue }

    static var jitter: Double { number("eps") }
    static var yTrain: [Double] { vector("y_train") }

    /// The conditional GP of the reference data with its ε.
    static func base() throws -> ScaleFamilyGP {
        try ScaleFamilyGP(trainKernel: matrix("K_train_train"), targets: yTrain, jitter: jitter,
                          testTrainKernel: matrix("K_test_train"), testKernel: matrix("K_test_test"))
    }

    static var studentT: [[String: Any]] { json["student_t"] as! [[String: Any]] }
    static var gpLimit: [String: Any] { json["gp_limit_check"] as! [String: Any] }
    static var largeNu: [[String: Any]] { gpLimit["tp_large_nu"] as! [[String: Any]] }
    static var generalPriors: [[String: Any]] { json["general_scale_prior"] as! [[String: Any]] }
    static var yStar: [Double] { vector("y_star", in: studentT[0]) }
}
