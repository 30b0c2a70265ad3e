import Foundation
import TensorKernels

/// Debian's OpenBLAS picks its kernels when the library loads, from `OPENBLAS_CORETYPE` or its own
/// CPU detection — which does not know recent CPUs (Sapphire Rapids, Zen 5) and falls back to
/// kernels several times slower (see ../shared/MACHINE.md: 60 instead of 300 GFLOP/s). The library
/// is loaded before `main` runs, so the variable has to be in the environment at process start:
/// the `finetune` executable re-executes itself once with it set (`environmentForRelaunch`).
///
/// A value already set is kept unless it names AVX2-or-older kernels on a CPU with AVX-512 (some
/// images set `OPENBLAS_CORETYPE=Haswell` for every CPU; on AVX-512 machines that halves the
/// speed of prompt processing). `FINETUNE_KEEP_OPENBLAS_CORETYPE=1` keeps any value as it is.
public enum BLASEnvironment {
    public static let variable = "OPENBLAS_CORETYPE"

    /// The OpenBLAS core type for this CPU, or nil to let OpenBLAS decide.
    public static var recommendedCoreType: String? {
        #if os(Linux) && arch(x86_64)
        if tk_cpu_has_avx512() != 0 { return "SkylakeX" }
        if tk_cpu_has_avx2() != 0 { return "Haswell" }
        #endif
        return nil
    }

    /// OpenBLAS kernel families without AVX-512.
    static let olderCoreTypes: Set<String> = [
        "haswell", "zen", "sandybridge", "nehalem", "prescott", "core2", "penryn", "dunnington",
        "atom", "barcelona", "bulldozer", "piledriver", "steamroller", "excavator", "katmai",
        "coppermine", "northwood", "opteron", "opteron_sse3", "bobcat",
    ]

    /// The environment to re-execute with, or nil when the process already runs with a core type
    /// (set by the user or by an earlier relaunch) or none is recommended.
    public static func environmentForRelaunch(_ environment: [String: String]) -> [String: String]? {
        guard let core = recommendedCoreType, environment[variable] != core,
              environment["FINETUNE_KEEP_OPENBLAS_CORETYPE"] != "1" else { return nil }
        if let current = environment[variable] {
            // Keep a user's choice unless it is one of the older kernel families.
            guard core == "SkylakeX", olderCoreTypes.contains(current.lowercased()) else { return nil }
        }
        var updated = environment
        updated[variable] = core
        return updated
    }
}
