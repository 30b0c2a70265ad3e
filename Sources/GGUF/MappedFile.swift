#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes away.
final class MappedFile {
    let path: String
    /// The file's bytes (empty, with no base address, for an empty file).
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`.
    /// - Throws: `GGUFError.cannotOpen` when the file is missing, unreadable, not a regular file or
    ///   cannot be mapped.
    init(path: String) throws(GGUFError) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw GGUFError.cannotOpen(path: path, reason: Self.reason(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw GGUFError.cannotOpen(path: path, reason: Self.reason(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let reason = (info.st_mode & S_IFMT) == S_IFDIR ? "it is a directory; give the path of a .gguf file inside it"
                                                            : "it is not a regular file"
            throw GGUFError.cannotOpen(path: path, reason: reason)
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw GGUFError.cannotOpen(path: path, reason: "it cannot be mapped into memory (\(Self.reason(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// A short, actionable explanation of an `errno` value from open/stat/mmap.
    static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file; check the path"
        case EACCES, EPERM: "permission denied; check the file's permissions"
        case EISDIR: "it is a directory; give the path of a .gguf file inside it"
        case ENOMEM: "not enough memory or address space to map it"
        default: String(cString: strerror(code))
        }
    }
}
