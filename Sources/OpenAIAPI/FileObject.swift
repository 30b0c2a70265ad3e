/// The processing state of an uploaded file.
public enum FileStatus: String, Codable, Sendable, Equatable, CaseIterable {
    case uploaded, processed, error
}

/// An uploaded file (`object: "file"`).
public struct FileObject: Codable, Sendable, Equatable, Identifiable {
    public var id: String
    public var object: String
    /// Exact size in bytes.
    public var bytes: Int
    /// Unix seconds.
    public var createdAt: Int
    /// The multipart filename as uploaded.
    public var filename: String
    /// The upload purpose, echoed (`fine-tune`, `fine-tune-results`, ...).
    public var purpose: String
    public var status: FileStatus
    /// Why the file is in `error` (names the first bad lines); `null` otherwise.
    public var statusDetails: String?
    /// Unix seconds, or `null` when the file never expires.
    public var expiresAt: Int?
    /// Together's `FileType` (`jsonl`, `csv`, `parquet`); left out when nil.
    public var fileType: String?
    /// Together's `processing_status` (`COMPLETED`, `FAILED`, ...); left out when nil.
    public var processingStatus: String?

    public init(
        id: String, object: String = "file", bytes: Int, createdAt: Int, filename: String, purpose: String,
        status: FileStatus, statusDetails: String? = nil, expiresAt: Int? = nil,
        fileType: String? = nil, processingStatus: String? = nil
    ) {
        self.id = id
        self.object = object
        self.bytes = bytes
        self.createdAt = createdAt
        self.filename = filename
        self.purpose = purpose
        self.status = status
        self.statusDetails = statusDetails
        self.expiresAt = expiresAt
        self.fileType = fileType
        self.processingStatus = processingStatus
    }

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status
        case createdAt = "created_at"
        case statusDetails = "status_details"
        case expiresAt = "expires_at"
        case fileType = "FileType"
        case processingStatus = "processing_status"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(filename, forKey: .filename)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(status, forKey: .status)
        try container.encode(statusDetails, forKey: .statusDetails)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encodeIfPresent(fileType, forKey: .fileType)
        try container.encodeIfPresent(processingStatus, forKey: .processingStatus)
    }
}
