/// Opaque object ids in OpenAI's style: a prefix and random letters and digits, e.g.
/// `file-4KMuk3U9cdM7hbWy1rQ2vXoA`.
///
/// ```swift
/// let id = APIIdentifier.make(prefix: "ftjob-")          // "ftjob-" + 24 characters
/// let short = APIIdentifier.make(prefix: "", length: 8)  // the last part of an ft: model name
/// ```
public enum APIIdentifier {
    /// The characters ids are made of: `[A-Za-z0-9]`, safe in paths, file names and model names.
    public static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// A new id: `prefix` followed by `length` characters drawn uniformly from `alphabet` with the
    /// system's cryptographic random number generator.
    /// - Parameters:
    ///   - prefix: e.g. `file-`, `ftjob-`, `ftevent-`, `ftckpt-`, `chatcmpl-`.
    ///   - length: random characters after the prefix (24 by default, 8 for model names).
    public static func make(prefix: String, length: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        var id = prefix
        id.reserveCapacity(prefix.utf8.count + length)
        for _ in 0..<max(0, length) {
            id.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return id
    }

    /// Whether `id` can name a file on disk: 1 to 128 characters of `[A-Za-z0-9._-]`, not starting
    /// with a dot. Ids this server makes always can; ids from requests are checked with this before
    /// they come near the file system.
    public static func isSafeFileName(_ id: String) -> Bool {
        guard let first = id.utf8.first, first != UInt8(ascii: "."), id.utf8.count <= 128 else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}
