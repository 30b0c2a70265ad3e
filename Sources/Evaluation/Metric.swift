import Foundation

/// How far a number may be from the truth and still count as right.
///
/// Written (and encoded in JSON) as `10%` (relative) or `5` (absolute, in the answer's units).
public enum Tolerance: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A share of the true value: 0.1 is 10 %.
    case relative(Double)
    /// An amount in the answer's units.
    case absolute(Double)

    /// Parses `10%` or `5` (non-negative).
    /// - Throws: `EvaluationError.invalidMetric` when it is neither.
    public init(parsing text: String) throws(EvaluationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let isRelative = trimmed.hasSuffix("%")
        let number = isRelative ? String(trimmed.dropLast()) : trimmed
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
            throw .invalidMetric(name: text, reason: "not a tolerance; give a percentage of the true value like 10% or an absolute amount like 5")
        }
        self = isRelative ? .relative(value / 100) : .absolute(value)
    }

    /// Whether `prediction` is within the tolerance of `truth`: |p − t| ≤ tol (relative: ≤ tol·|t|),
    /// with a slack of 1e-9·max(1, |t|) so that a value on the boundary counts despite rounding.
    public func contains(_ prediction: Double, truth: Double) -> Bool {
        abs(prediction - truth) <= allowance(for: truth) + 1e-9 * max(1, abs(truth))
    }

    /// How far from `truth` an answer may be: tol·|t| (relative) or tol (absolute).
    public func allowance(for truth: Double) -> Double {
        switch self {
        case .relative(let share): share * abs(truth)
        case .absolute(let amount): amount
        }
    }

    /// `10%` or `5`.
    public var description: String {
        switch self {
        case .relative(let share): Self.format(share * 100) + "%"
        case .absolute(let amount): Self.format(amount)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { self = try Tolerance(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Up to 9 decimals, no trailing zeros: 10, 12.5, 0.25.
    static func format(_ value: Double) -> String {
        let rounded = (value * 1e9).rounded() / 1e9
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }
}

/// A metric to compute, as `--metric` names it.
public struct MetricSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case exact, normalized, accuracy, f1, mae, rmse, mape, within, format
    }

    public var kind: Kind
    /// `within` only.
    public var tolerance: Tolerance?

    public init(kind: Kind, tolerance: Tolerance? = nil) {
        self.kind = kind
        self.tolerance = kind == .within ? (tolerance ?? .relative(0.1)) : nil
    }

    /// Parses `exact`, `normalized`, `accuracy`, `f1`, `mae`, `rmse`, `mape`, `format`, `within:10%`,
    /// `within:5` (case-insensitive; bare `within` takes `defaultTolerance`).
    /// - Throws: `EvaluationError.invalidMetric` listing the accepted names, or saying what is wrong with
    ///   the tolerance.
    public init(parsing text: String, defaultTolerance: Tolerance = .relative(0.1)) throws(EvaluationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, let kind = Kind(rawValue: name) else {
            throw .invalidMetric(name: text, reason: "unknown metric; use one of " + Self.acceptedNames)
        }
        if parts.count == 2 {
            guard kind == .within else {
                throw .invalidMetric(name: text, reason: "only `within` takes a tolerance (within:10% or within:5)")
            }
            do { self.init(kind: .within, tolerance: try Tolerance(parsing: parts[1])) } catch {
                throw .invalidMetric(name: text, reason: "the tolerance '\(parts[1])' is not a percentage like 10% or an amount like 5")
            }
        } else {
            self.init(kind: kind, tolerance: kind == .within ? defaultTolerance : nil)
        }
    }

    /// What `--metric` accepts, for messages.
    public static let acceptedNames = "exact, normalized, accuracy, f1, mae, rmse, mape, within:<tolerance> (within:10% or within:5), format"

    /// `within:10%`, `mae`, … (what `init(parsing:)` reads back).
    public var description: String {
        kind == .within ? "within:\(tolerance ?? .relative(0.1))" : kind.rawValue
    }

    /// The stable key in JSON and MLflow: `mae`, `within_10%`, `within_5`.
    public var key: String {
        kind == .within ? "within_\(tolerance ?? .relative(0.1))" : kind.rawValue
    }

    /// The name people read: `MAE`, `Within 10%`, `Within ±5`, `Exact match`, `Macro F1`, `Format`.
    public var name: String {
        switch kind {
        case .exact: "Exact match"
        case .normalized: "Normalized match"
        case .accuracy: "Accuracy"
        case .f1: "Macro F1"
        case .mae: "MAE"
        case .rmse: "RMSE"
        case .mape: "MAPE"
        case .within:
            switch tolerance ?? .relative(0.1) {
            case .relative: "Within \(tolerance ?? .relative(0.1))"
            case .absolute: "Within ±\(tolerance ?? .relative(0.1))"
            }
        case .format: "Format"
        }
    }

    /// False for the errors (MAE, RMSE, MAPE), true for the shares.
    public var higherIsBetter: Bool {
        switch kind {
        case .mae, .rmse, .mape: false
        default: true
        }
    }

    /// Whether the value is a share of 0…1, shown as a percentage (all but MAE and RMSE).
    public var isFraction: Bool {
        switch kind {
        case .mae, .rmse: false
        default: true
        }
    }

    /// The metrics a task gets without `--metric`:
    /// numeric: mae, rmse, mape, within:`tolerance`, exact, format; label: accuracy, f1, exact, format;
    /// text: exact, normalized, format.
    public static func defaults(for task: TaskKind, tolerance: Tolerance = .relative(0.1)) -> [MetricSpec] {
        switch task {
        case .numeric: [.init(kind: .mae), .init(kind: .rmse), .init(kind: .mape), .init(kind: .within, tolerance: tolerance),
                        .init(kind: .exact), .init(kind: .format)]
        case .label: [.init(kind: .accuracy), .init(kind: .f1), .init(kind: .exact), .init(kind: .format)]
        case .text: [.init(kind: .exact), .init(kind: .normalized), .init(kind: .format)]
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { self = try MetricSpec(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One metric's value for one model.
public struct MetricValue: Sendable, Codable, Equatable {
    /// `MetricSpec.key`: `mae`, `within_10%`, …
    public var key: String
    /// `MetricSpec.name`: `MAE`, `Within 10%`, …
    public var name: String
    /// nil when it cannot be computed (no answer holds a number, no examples, …).
    public var value: Double?
    public var higherIsBetter: Bool
    /// A share of 0…1, printed as a percentage (exact, normalized, accuracy, f1, mape, within, format).
    public var isFraction: Bool
    /// The examples it was computed over (for MAE, RMSE and MAPE, those whose answer holds a number).
    public var count: Int

    public init(key: String, name: String, value: Double?, higherIsBetter: Bool, isFraction: Bool, count: Int) {
        self.key = key
        self.name = name
        self.value = value
        self.higherIsBetter = higherIsBetter
        self.isFraction = isFraction
        self.count = count
    }

    public init(_ spec: MetricSpec, value: Double?, count: Int) {
        self.init(key: spec.key, name: spec.name, value: value, higherIsBetter: spec.higherIsBetter, isFraction: spec.isFraction, count: count)
    }

    enum CodingKeys: String, CodingKey {
        case key, name, value, count
        case higherIsBetter = "higher_is_better"
        case isFraction = "is_fraction"
    }
}
