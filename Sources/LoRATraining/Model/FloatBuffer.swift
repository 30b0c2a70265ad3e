/// An owned, zero-initialised block of floats for activations and scratch space.
///
/// `@unchecked Sendable`: the trainer owns its buffers and uses them from one training step at a
/// time; kernels running on pool threads write disjoint parts.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = max(1, count)
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: self.count)
        pointer.initialize(repeating: 0, count: self.count)
    }

    deinit { pointer.deallocate() }

    /// Sets the first `count` values to zero.
    func zero(_ count: Int? = nil) {
        pointer.update(repeating: 0, count: Swift.min(count ?? self.count, self.count))
    }

    var bytes: Int { count * MemoryLayout<Float>.stride }

    subscript(offset: Int) -> UnsafeMutablePointer<Float> { pointer + offset }
}
