/// One metadata value of a GGUF file.
///
/// Not declared `indirect`: the only recursive case, `array`, already keeps its elements in an
/// array's heap storage, and boxing every element would cost an allocation per token of a
/// 50,000-entry vocabulary.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32),
         uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String),
         array([GGUFValue])

    /// The value of any integer case, or nil (also for a `uint64` above `Int.max`).
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value of any numeric case (integer or floating point), or nil.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        case .uint64(let v): Double(v)
        default: intValue.map(Double.init)
        }
    }

    /// The text of a `string`, or nil.
    public var stringValue: String? {
        if case .string(let v) = self { v } else { nil }
    }

    /// The value of a `bool`, or nil.
    public var boolValue: Bool? {
        if case .bool(let v) = self { v } else { nil }
    }

    /// The elements of an `array`, or nil.
    public var arrayValue: [GGUFValue]? {
        if case .array(let v) = self { v } else { nil }
    }

    /// The elements of an array of strings, or nil when this is not an array or an element is not a string.
    public var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { return nil }
            result.append(text)
        }
        return result
    }

    /// The elements of an array of integers, or nil when this is not an array or an element is not an integer.
    public var intArray: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let value = element.intValue else { return nil }
            result.append(value)
        }
        return result
    }

    /// The elements of an array of numbers as `Float`, or nil when this is not an array or an element is not a number.
    public var floatArray: [Float]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Float] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            if case .float32(let value) = element {
                result.append(value)
            } else if let value = element.doubleValue {
                result.append(Float(value))
            } else {
                return nil
            }
        }
        return result
    }

    /// GGUF's value type code (`enum gguf_type` in gguf.h).
    var typeCode: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}
