import Foundation

/// Small file-system queries that do not need Foundation's attribute dictionaries.
enum FileInfo {
    /// The size in bytes of the regular file at `path`, or nil when there is none.
    static func size(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Whether a folder exists at `path` (a link to one counts).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether a regular file exists at `path`.
    static func isFile(_ path: String) -> Bool {
        size(of: path) != nil
    }
}
