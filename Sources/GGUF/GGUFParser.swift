/// Reads the header, metadata and tensor descriptions of a GGUF file from its mapped bytes (the
/// layout is described on `GGUFFile`). Every read is bounds-checked, and every length or count is
/// checked against the file size before anything is allocated for it, so a corrupt file gets a
/// `GGUFError` naming the field and its byte offset instead of a crash or a huge allocation.
struct GGUFParser {
    /// What the header, metadata and tensor descriptions say.
    struct Contents {
        var version: UInt32
        var metadata: [String: GGUFValue]
        var metadataKeys: [String]
        var alignment: Int
        var tensors: [GGUFTensorInfo]
        var dataOffset: Int
    }

    static let magic: [UInt8] = Array("GGUF".utf8)
    static let defaultAlignment = 32
    /// ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).
    static let maxDimensions = 4
    /// Deeper nesting is certainly corruption, and unbounded recursion could exhaust the stack.
    static let maxArrayDepth = 16

    let path: String
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(path: String, bytes: UnsafeRawBufferPointer) {
        self.path = path
        self.bytes = bytes
    }

    /// Parses everything up to the tensor data and checks that every tensor lies inside the file.
    mutating func parse() throws(GGUFError) -> Contents {
        try require(4, "the magic number \"GGUF\"")
        let magic = (0..<4).map { bytes[$0] }
        guard magic == Self.magic else { throw GGUFError.notGGUF(path: path, magic: magic) }
        offset = 4
        let version = try read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        // A tensor description takes at least 24 bytes (name length, n_dims, type and offset) and a
        // metadata entry 13 (key length, value type, a one-byte value); but a file cut short in its
        // header would then be called corrupt rather than truncated, so these two counts are only
        // checked against one byte each.
        let tensorCount = try readCount("the tensor count", minimumBytesEach: 1)
        let keyCount = try readCount("the metadata entry count", minimumBytesEach: 1)

        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(capacity(for: keyCount, minimumBytesEach: 13))
        var keys: [String] = []
        keys.reserveCapacity(capacity(for: keyCount, minimumBytesEach: 13))
        var alignmentOffset = 0
        for index in 0..<keyCount {
            let keyOffset = offset
            let key = try readString("the key of metadata entry \(index)")
            let typeOffset = offset
            let type = try read(UInt32.self, "the value type of key '\(key)'")
            let value = try readValue(type: type, typeOffset: typeOffset, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError.invalidMetadata(path: path, key: key, offset: keyOffset,
                                                reason: "appears a second time; keys must be unique, so the file is corrupt")
            }
            keys.append(key)
            if key == "general.alignment" { alignmentOffset = keyOffset }
        }
        let alignment = try Self.alignment(in: metadata, path: path, offset: alignmentOffset)

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(capacity(for: tensorCount, minimumBytesEach: 24))
        var names = Set<String>(minimumCapacity: capacity(for: tensorCount, minimumBytesEach: 24))
        for index in 0..<tensorCount {
            let infoOffset = offset
            let tensor = try readTensorInfo(index: index, alignment: alignment)
            guard names.insert(tensor.name).inserted else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: tensor.name, offset: infoOffset,
                                                  reason: "appears a second time; tensor names must be unique")
            }
            tensors.append(tensor)
        }

        let dataOffset = Self.align(offset, to: alignment)
        for tensor in tensors {
            let (start, overflow) = dataOffset.addingReportingOverflow(tensor.offset)
            let end = overflow ? Int.max : start.addingReportingOverflow(tensor.byteCount).partialValue
            if overflow || end < start || end > bytes.count {
                throw GGUFError.tensorOutOfBounds(path: path, tensor: tensor.name, start: overflow ? Int.max : start,
                                                  end: end, fileSize: bytes.count)
            }
        }
        return Contents(version: version, metadata: metadata, metadataKeys: keys, alignment: alignment,
                        tensors: tensors, dataOffset: dataOffset)
    }

    // MARK: Metadata

    /// `general.alignment`, or 32 when absent; it must be a power of two from 1 to 2^30 (the
    /// upper limit, far above any real alignment, keeps the padding arithmetic from overflowing).
    static func alignment(in metadata: [String: GGUFValue], path: String, offset: Int) throws(GGUFError) -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard let alignment = value.intValue, alignment > 0, alignment <= 1 << 30, alignment & (alignment - 1) == 0 else {
            let shown = value.intValue.map(String.init) ?? "\(value)"
            throw GGUFError.invalidMetadata(path: path, key: "general.alignment", offset: offset,
                                            reason: "is \(shown), but the alignment must be a power of two (usually 32); "
                                                + "the file is corrupt")
        }
        return alignment
    }

    /// The smallest number of bytes one value of a type code takes, or nil for an unknown code.
    static func minimumSize(ofType type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1          // uint8, int8, bool
        case 2, 3: 2             // uint16, int16
        case 4, 5, 6: 4          // uint32, int32, float32
        case 10, 11, 12, 8: 8    // uint64, int64, float64; a string's length
        case 9: 12               // an array's element type and count
        default: nil
        }
    }

    /// Reads one value of GGUF type `type` (the code at `typeOffset`) for metadata key `key`.
    mutating func readValue(type: UInt32, typeOffset: Int, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try read(UInt8.self, "the value of key '\(key)'"))
        case 1: return .int8(Int8(bitPattern: try read(UInt8.self, "the value of key '\(key)'")))
        case 2: return .uint16(try read(UInt16.self, "the value of key '\(key)'"))
        case 3: return .int16(try read(Int16.self, "the value of key '\(key)'"))
        case 4: return .uint32(try read(UInt32.self, "the value of key '\(key)'"))
        case 5: return .int32(try read(Int32.self, "the value of key '\(key)'"))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, "the value of key '\(key)'")))
        case 7: return .bool(try read(UInt8.self, "the value of key '\(key)'") != 0)
        case 8: return .string(try readString("the value of key '\(key)'"))
        case 9: return .array(try readArray(key: key, depth: depth))
        case 10: return .uint64(try read(UInt64.self, "the value of key '\(key)'"))
        case 11: return .int64(try read(Int64.self, "the value of key '\(key)'"))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, "the value of key '\(key)'")))
        default: throw GGUFError.unknownValueType(path: path, key: key, type: type, offset: typeOffset)
        }
    }

    /// Reads an array's element type, count and elements. Arrays of fixed-size values are read in
    /// one pass after a single bounds check; strings (a vocabulary of 50,000 tokens) one by one.
    mutating func readArray(key: String, depth: Int) throws(GGUFError) -> [GGUFValue] {
        guard depth < Self.maxArrayDepth else {
            throw GGUFError.invalidMetadata(path: path, key: key, offset: offset,
                                            reason: "nests arrays more than \(Self.maxArrayDepth) deep; the file is corrupt")
        }
        let typeOffset = offset
        let type = try read(UInt32.self, "the element type of array '\(key)'")
        guard let elementSize = Self.minimumSize(ofType: type) else {
            throw GGUFError.unknownValueType(path: path, key: key, type: type, offset: typeOffset)
        }
        let count = try readCount("the element count of array '\(key)'", minimumBytesEach: elementSize)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(capacity(for: count, minimumBytesEach: elementSize))
        switch type {
        case 8:
            for index in 0..<count {
                elements.append(.string(try readString("element \(index) of array '\(key)'")))
            }
        case 9:
            for index in 0..<count {
                elements.append(.array(try readArray(key: "\(key)[\(index)]", depth: depth + 1)))
            }
        default:
            // Fixed-size elements: one bounds check for all of them (readCount has ruled out overflow).
            try require(count * elementSize, "the \(count) elements of array '\(key)'")
            let start = offset
            offset += count * elementSize
            let raw = bytes
            func load<T: FixedWidthInteger>(_ index: Int, _: T.Type) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: start + index * MemoryLayout<T>.size, as: T.self))
            }
            for index in 0..<count {
                let value: GGUFValue = switch type {
                case 0: .uint8(load(index, UInt8.self))
                case 1: .int8(load(index, Int8.self))
                case 2: .uint16(load(index, UInt16.self))
                case 3: .int16(load(index, Int16.self))
                case 4: .uint32(load(index, UInt32.self))
                case 5: .int32(load(index, Int32.self))
                case 6: .float32(Float(bitPattern: load(index, UInt32.self)))
                case 7: .bool(load(index, UInt8.self) != 0)
                case 10: .uint64(load(index, UInt64.self))
                case 11: .int64(load(index, Int64.self))
                default: .float64(Double(bitPattern: load(index, UInt64.self)))
                }
                elements.append(value)
            }
        }
        return elements
    }

    // MARK: Tensor descriptions

    mutating func readTensorInfo(index: Int, alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
        let infoOffset = offset
        let name = try readString("the name of tensor \(index)")
        let dimensionCount = try read(UInt32.self, "the number of dimensions of tensor '\(name)'")
        guard dimensionCount <= Self.maxDimensions else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: name, offset: infoOffset,
                                              reason: "has \(dimensionCount) dimensions, but ggml allows at most \(Self.maxDimensions)")
        }
        var shape: [Int] = []
        var elementCount = 1
        for dimension in 0..<Int(dimensionCount) {
            let size = try read(UInt64.self, "dimension \(dimension) of tensor '\(name)'")
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: Int(truncatingIfNeeded: size))
            guard size <= UInt64(Int.max), !overflow else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: name, offset: infoOffset,
                                                  reason: "has dimension \(dimension) of \(size) elements, too many to address")
            }
            shape.append(Int(size))
            elementCount = product
        }
        let typeOffset = offset
        let rawType = try read(UInt32.self, "the type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError.unknownTensorType(path: path, tensor: name, type: rawType, offset: typeOffset)
        }
        let rowLength = shape.first ?? 1
        guard rowLength % type.blockSize == 0, type.byteCount(elements: elementCount) != nil else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: name, offset: infoOffset,
                                              reason: "is \(type.name) with shape \(shape), but its rows of \(rowLength) "
                                                + "elements are not a whole number of \(type.blockSize)-element blocks")
        }
        let dataOffset = try read(UInt64.self, "the data offset of tensor '\(name)'")
        guard dataOffset <= UInt64(bytes.count) else {
            throw GGUFError.implausibleLength(path: path, what: "the data offset of tensor '\(name)'", length: dataOffset,
                                              offset: offset - 8, fileSize: bytes.count)
        }
        guard Int(dataOffset) % alignment == 0 else {
            throw GGUFError.invalidTensorInfo(path: path, tensor: name, offset: infoOffset,
                                              reason: "starts at data offset \(dataOffset), which is not a multiple of "
                                                + "the alignment \(alignment)")
        }
        return GGUFTensorInfo(name: name, shape: shape, type: type, offset: Int(dataOffset))
    }

    // MARK: Primitives

    static func align(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    /// Throws `truncated` unless `count` more bytes follow the current offset.
    @inline(__always)
    func require(_ count: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= bytes.count - offset else {
            throw GGUFError.truncated(path: path, reading: what(), offset: offset, fileSize: bytes.count)
        }
    }

    /// Reads a little-endian integer.
    @inline(__always)
    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    /// Reads a u64 count of things that take at least `minimumBytesEach` bytes each. A count whose
    /// things could not fit in the whole file is corruption; one that merely runs past the end is
    /// left for the reads to report as truncation. Callers reserve capacity with `capacity(for:)`.
    mutating func readCount(_ what: @autoclosure () -> String, minimumBytesEach: Int) throws(GGUFError) -> Int {
        let countOffset = offset
        let count = try read(UInt64.self, what())
        guard count <= UInt64(bytes.count / minimumBytesEach) else {
            throw GGUFError.implausibleLength(path: path, what: what(), length: count, offset: countOffset,
                                              fileSize: bytes.count)
        }
        return Int(count)
    }

    /// How many of `count` things of at least `minimumBytesEach` bytes can still follow: the most
    /// worth reserving room for.
    func capacity(for count: Int, minimumBytesEach: Int) -> Int {
        min(count, (bytes.count - offset) / minimumBytesEach)
    }

    /// Reads a GGUF string: a u64 byte count and that many bytes of UTF-8.
    @inline(__always)
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let lengthOffset = offset
        let length = try read(UInt64.self, "the length of \(what())")
        guard length <= UInt64(bytes.count) else {
            throw GGUFError.implausibleLength(path: path, what: "the length of \(what())", length: length,
                                              offset: lengthOffset, fileSize: bytes.count)
        }
        let count = Int(length)
        try require(count, what())
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]).assumingMemoryBound(to: UInt8.self)
        guard let text = Self.decodeUTF8(utf8) else {
            throw GGUFError.invalidString(path: path, what: what(), offset: offset)
        }
        offset += count
        return text
    }

    /// The string these bytes encode, or nil when they are not valid UTF-8.
    @inline(__always)
    static func decodeUTF8(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        if #available(macOS 15, iOS 18, *) {
            return String(validating: utf8, as: UTF8.self)
        }
        // Decoding repairs invalid sequences, so an unchanged round trip means the bytes were valid.
        let text = String(decoding: utf8, as: UTF8.self)
        return text.utf8.elementsEqual(utf8) ? text : nil
    }
}
