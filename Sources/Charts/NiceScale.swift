import Foundation

/// An axis range widened to round numbers with ticks at 1, 2 or 5 × 10ⁿ (Heckbert, "Nice numbers
/// for graph labels", Graphics Gems, 1990).
struct NiceScale: Sendable {
    let low: Double, high: Double, spacing: Double
    let ticks: [Double]

    /// - Parameters:
    ///   - low, high: the data's range (one value is given room around it).
    ///   - maxTicks: about how many ticks the axis has room for.
    ///   - integral: whole-number ticks only (steps).
    init(low dataLow: Double, high dataHigh: Double, maxTicks: Int, integral: Bool) {
        var lowValue = dataLow, highValue = dataHigh
        if highValue - lowValue < 1e-12 {   // one value: give it room
            let pad = integral ? 1 : max(abs(lowValue) * 0.1, 0.1)
            lowValue -= integral ? 0 : pad
            highValue += pad
        }
        var spacing = Self.nice((highValue - lowValue) / Double(max(1, maxTicks - 1)), round: true)
        if integral { spacing = max(1, spacing.rounded()) }
        let low = (lowValue / spacing).rounded(.down) * spacing
        let high = (highValue / spacing).rounded(.up) * spacing
        let count = Int(((high - low) / spacing).rounded())
        self.low = low
        self.high = high
        self.spacing = spacing
        ticks = (0...count).map { low + Double($0) * spacing }
    }

    /// The tick's text, with as many decimals as the spacing needs.
    func label(_ value: Double) -> String {
        let decimals = max(0, Int((-log10(spacing) - 1e-9).rounded(.up)))
        return String(format: "%.\(decimals)f", abs(value) < spacing * 1e-9 ? 0 : value)
    }

    /// 1, 2, 5 or 10 × 10ⁿ near `value`.
    static func nice(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = log10(value).rounded(.down)
        let fraction = value / pow(10, exponent)
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }
}
