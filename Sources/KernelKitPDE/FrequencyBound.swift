import Foundation
import KernelKitLinalg

extension KernelLearning {
    /// The main-lobe half-width 4/L (cycles per unit) of the Blackman–Harris window over an axis of
    /// length L: how far `dataFrequencyBound` can lie above a pure tone's frequency.
    public static func windowMainLobeHalfWidth(length: Double) -> Double { 4 / length }

    /// The highest frequency (cycles per unit) per axis at which the problem's data — the source term f
    /// and the boundary values g, never an exact solution — carry significant power; the default
    /// maximum initial frequency of kernel learning is `margin` times it, capped at the axis' Nyquist
    /// frequency (at `fixedKernelNyquistFraction` of it for a kernel held fixed).
    ///
    /// Per axis k, every fibre of f along k (and every fibre along k lying wholly on the boundary, e.g.
    /// the y = const edges for the x axis in 2-D) is detrended (its endpoint chord removed, which takes
    /// away the jump of a non-periodic signal that would leak power to all frequencies), multiplied by
    /// the 4-term Blackman–Harris window (sidelobes ≤ −92 dB, main lobe ±4/(nₖh) cycles per unit;
    /// Harris, Proc. IEEE 66, 1978), zero-padded to ≥ 4nₖ and transformed (FFTW); f's and g's
    /// periodograms are summed separately and each scaled by its peak. The bound is the largest
    /// frequency whose power is ≥ `threshold` (1e-8 by default, i.e. an amplitude 1e-4 of the strongest)
    /// in either; as the sidelobes lie below that threshold, a pure tone's bound exceeds its frequency
    /// by at most the main lobe's half-width 4/(nₖh). (With a Hann window, −31 dB sidelobes falling as
    /// 1/k³, a tone at 7 cycles/unit on 200 points gave a bound of 20.)
    /// Since f contains Eu, and second derivatives multiply a frequency ω's amplitude by ω², the highest
    /// frequencies of u are, if anything, over-represented in f.
    /// Returns 0 for an axis with no data (f ≡ 0 and no boundary fibre along it). Data whose fibres are
    /// all linear along the axis are skipped too: detrending leaves only rounding, at most
    /// `roundingLevel` (1e-12) of the data's largest value.
    /// Why it is needed: initial frequencies spread up to the Nyquist frequency of a fine grid place most
    /// components far above the solution's content; on poisson1d-mix (900 points, content ≤ 16
    /// cycles/unit, Nyquist 449.5) L-BFGS-B then drives those components' weights to their bound and the
    /// solution error to 0.6, while starting them below 2× the data's bound gives 2e-4.
    /// Cost: O(N log nₖ) per axis.
    public static func dataFrequencyBound(_ problem: PDEProblem, threshold: Double = 1e-8) -> [Double] {
        let roundingLevel = 1e-12
        let grid = problem.grid
        let shape = grid.shape, n = grid.count
        var boundary = [Double?](repeating: nil, count: n)
        for (j, r) in grid.boundaryIndices.enumerated() { boundary[r] = problem.boundaryValues[j] }
        return (0..<grid.dimension).map { k in
            let nk = shape[k], h = grid.axes[k].spacing
            let padded = FFT.fastLength(atLeast: 4 * nk)
            let bins = padded / 2 + 1
            let stride = shape[(k + 1)...].reduce(1, *)
            // Per kind (source, boundary): the summed periodogram, the largest |value| and the largest
            // |value| left after detrending.
            struct Accumulated { var power: [Double]; var largest = 0.0, largestDetrended = 0.0 }
            var source = Accumulated(power: [Double](repeating: 0, count: bins)), boundaryData = source
            func accumulate(_ fibre: [Double], into data: inout Accumulated) {
                let first = fibre[0], last = fibre[nk - 1]
                var x = [Double](repeating: 0, count: padded)
                for i in 0..<nk {
                    let t = Double(i) / Double(nk - 1)
                    let phase = 2 * Double.pi * Double(i) / Double(nk - 1)
                    let window = 0.35875 - 0.48829 * cos(phase) + 0.14128 * cos(2 * phase) - 0.01168 * cos(3 * phase)
                    let detrended = fibre[i] - (first + t * (last - first))
                    data.largest = max(data.largest, abs(fibre[i]))
                    data.largestDetrended = max(data.largestDetrended, abs(detrended))
                    x[i] = detrended * window
                }
                let spectrum = FFT.forwardReal(x).squaredMagnitudes
                for m in 0..<bins { data.power[m] += spectrum[m] }
            }
            for start in 0..<n where (start / stride) % nk == 0 {
                let indices = (0..<nk).map { start + $0 * stride }
                accumulate(indices.map { problem.source[$0] }, into: &source)
                if indices.allSatisfy({ boundary[$0] != nil }) {
                    accumulate(indices.map { boundary[$0]! }, into: &boundaryData)
                }
            }
            var highest = 0
            for data in [source, boundaryData] {
                // Data that are linear along the axis leave only rounding after detrending, whose flat
                // periodogram would otherwise put the bound at Nyquist (u = xyz on a cube's faces did).
                guard data.largestDetrended > roundingLevel * data.largest, let peak = data.power.max(), peak > 0 else { continue }
                if let m = data.power.lastIndex(where: { $0 >= threshold * peak }) { highest = max(highest, m) }
            }
            return Double(highest) / (Double(padded) * h)
        }
    }
}
